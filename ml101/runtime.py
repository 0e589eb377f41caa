"""PyTorch runtime policy for one server process shared by many learners.

Streamlit runs every session as a thread of one process, so torch's thread pool
and its global random state are shared. This module is the single place that
decides both: a small intra-op pool (so one learner's heavy op cannot starve the
others) and seeded work done under a lock on a forked RNG (so one learner's seed
never leaks into another's numbers).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

import torch

# One intra-op thread per rerun: the app's tensors are small, so a second thread mostly
# adds hand-off cost, and on a shared host learners' reruns are the parallelism.
DEFAULT_THREADS = 1
# Heavy work (a training chunk, a benchmark sweep) runs at most this many at once in the
# process; the rest wait their turn, so sliders stay responsive for everybody.
MAX_HEAVY = int(os.environ.get("ML101_MAX_HEAVY", "2"))
# A learner who found every slot taken keeps a place in line while asking again within this
# many seconds (a playing page asks on every tick, twice a second); one who paused or left
# drops out, so the line never waits for nobody for longer than this.
LINE_KEEP_S = 5.0
# How long a playing page's tick waits for its turn before it redraws and asks again.
TURN_S = 0.25
# No single user request may allocate more than this for its tensors.
MEMORY_BUDGET_BYTES = 64 * 2**20

_rng_lock = threading.Lock()
_log_lock = threading.Lock()
_configured = False
_thread = threading.local()  # OpenMP keeps its thread count per OS thread


class BudgetError(ValueError):
    """A request would allocate more than MEMORY_BUDGET_BYTES."""


def torch_threads() -> int:
    """Intra-op threads torch may use per rerun: ML101_TORCH_THREADS, else DEFAULT_THREADS."""
    raw = os.environ.get("ML101_TORCH_THREADS", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_THREADS


@contextmanager
def logged_run(page: str, kind: str = "rerun") -> Iterator[None]:
    """Time one script run that finishes, appending it to ML101_RUN_LOG when that is set.

    The load benchmark reads this log to tell the server's own rerun time from the time
    its browsers, sharing the machine, add on top; when unset this costs one lookup."""
    path = os.environ.get("ML101_RUN_LOG")
    start = time.perf_counter()
    yield
    if path:
        line = json.dumps({"page": page, "kind": kind, "s": time.perf_counter() - start,
                           "at": time.time()})
        with _log_lock, open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def configure() -> None:
    """Apply the policy to the calling thread (safe, and needed, on every rerun).

    torch.set_num_threads sets OpenMP's count for the calling thread only: a thread
    started later (Streamlit runs each rerun in a fresh script thread) gets OpenMP's
    default, all cores, and on a busy machine one tiny LSTM then takes ~250 ms
    instead of 0.4 ms. So the count is set once per thread, the inter-op pool once
    per process."""
    global _configured
    if not getattr(_thread, "configured", False):
        torch.set_num_threads(torch_threads())
        _thread.configured = True
    if _configured:
        return
    with suppress(RuntimeError):  # already set, or parallel work has started
        torch.set_num_interop_threads(1)
    _configured = True


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block as if `torch.manual_seed(seed)` came first, without touching
    anyone else's random state. Generated code reproduces it with manual_seed."""
    with _rng_lock, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def generator(seed: int) -> torch.Generator:
    """A private CPU generator, for sampling that takes `generator=`."""
    return torch.Generator().manual_seed(seed)


class _Slots:
    """The MAX_HEAVY slots, handed out in turn. Who waits stands in `line` (ticket -> when it
    last asked, in arrival order): a call that blocks waits there, and a learner who asks again
    on every tick keeps the place between tries. A freed slot goes to the first in line who is
    there to take it (`present`): one who is between two ticks keeps the place but is not
    waited for, so no slot sits idle while somebody waits."""

    def __init__(self, n: int) -> None:
        self.n, self.held = n, 0
        self.cond = threading.Condition()
        self.line: dict[Hashable, float] = {}
        self.present: dict[Hashable, int] = {}  # ticket -> calls of it waiting right now

    def acquire(self, ticket: Hashable, wait_s: float, keep_place: bool) -> bool:
        deadline = time.monotonic() + wait_s
        with self.cond:
            self.present[ticket] = self.present.get(ticket, 0) + 1
            try:
                while True:
                    now = time.monotonic()
                    self.line[ticket] = now  # a ticket already in line keeps its place
                    self._drop_stale(now)
                    if self._waiting_ahead(ticket) < self.n - self.held:
                        del self.line[ticket]
                        self.held += 1
                        return True
                    if now >= deadline:
                        if not keep_place:
                            del self.line[ticket]
                        return False
                    self.cond.wait(min(deadline - now, LINE_KEEP_S / 2))
            finally:
                self.present[ticket] -= 1
                if not self.present[ticket]:
                    del self.present[ticket]
                self.cond.notify_all()  # who was behind this caller may now be first

    def _waiting_ahead(self, ticket: Hashable) -> int:
        ahead = 0
        for t in self.line:
            if t == ticket:
                return ahead
            ahead += t in self.present
        return ahead

    def release(self) -> None:
        with self.cond:
            self.held -= 1
            self.cond.notify_all()

    def leave(self, ticket: Hashable) -> None:
        with self.cond:
            if self.line.pop(ticket, None) is not None:
                self.cond.notify_all()

    def place(self, ticket: Hashable) -> int | None:
        with self.cond:
            self._drop_stale(time.monotonic())
            line = list(self.line)
            return line.index(ticket) + 1 if ticket in self.line else None

    def _drop_stale(self, now: float) -> None:
        for t in [t for t, seen in self.line.items() if now - seen > LINE_KEEP_S]:
            del self.line[t]
            self.cond.notify_all()


_slots = _Slots(max(1, MAX_HEAVY))
_ticket: ContextVar[Hashable | None] = ContextVar("ml101_heavy_ticket", default=None)


@contextmanager
def in_line_as(ticket: Hashable) -> Iterator[None]:
    """Heavy work asked for inside this block waits in line under `ticket`, and keeps its
    place when it finds no free slot, so the next try (a player's next tick) is served in
    turn and `place_in_line(ticket)` can tell the learner where they stand."""
    token = _ticket.set(ticket)
    try:
        yield
    finally:
        _ticket.reset(token)


def place_in_line(ticket: Hashable) -> int | None:
    """1 for next in line, 2 behind one other learner, ...; None when not waiting."""
    return _slots.place(ticket)


def leave_line(ticket: Hashable) -> None:
    """Give up a place in line (the learner paused)."""
    _slots.leave(ticket)


@contextmanager
def heavy_slot(wait_s: float = 0.0) -> Iterator[bool]:
    """Hold one of the MAX_HEAVY slots for heavy work, in turn with everybody waiting;
    yields False if none freed within `wait_s` (a learner in line waits at least TURN_S)."""
    ticket = _ticket.get()
    if ticket is None:
        got = _slots.acquire(object(), wait_s, keep_place=False)
    else:
        got = _slots.acquire(ticket, max(wait_s, TURN_S), keep_place=True)
    try:
        yield got
    finally:
        if got:
            _slots.release()


def check_budget(n_bytes: int, what: str) -> None:
    """Refuse, before allocating, anything a user asked for that exceeds the budget."""
    if n_bytes > MEMORY_BUDGET_BYTES:
        raise BudgetError(
            f"{what} would need {n_bytes / 2**20:,.1f} MiB; this shared server allows "
            f"{MEMORY_BUDGET_BYTES / 2**20:,.0f} MiB per request. Try a smaller size."
        )
