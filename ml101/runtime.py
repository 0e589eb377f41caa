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
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import torch

# One intra-op thread per rerun: the app's tensors are small, so a second thread mostly
# adds hand-off cost, and on a shared host learners' reruns are the parallelism.
DEFAULT_THREADS = 1
# Heavy work (a training chunk, a benchmark sweep) runs at most this many at once in the
# process; the rest wait their turn, so sliders stay responsive for everybody.
MAX_HEAVY = int(os.environ.get("ML101_MAX_HEAVY", "2"))
# No single user request may allocate more than this for its tensors.
MEMORY_BUDGET_BYTES = 64 * 2**20

_rng_lock = threading.Lock()
_log_lock = threading.Lock()
_heavy = threading.BoundedSemaphore(max(1, MAX_HEAVY))
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


@contextmanager
def heavy_slot(wait_s: float = 0.0) -> Iterator[bool]:
    """Hold one of the MAX_HEAVY slots for heavy work; yields False if none freed in time."""
    got = _heavy.acquire(timeout=wait_s) if wait_s > 0 else _heavy.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            _heavy.release()


def check_budget(n_bytes: int, what: str) -> None:
    """Refuse, before allocating, anything a user asked for that exceeds the budget."""
    if n_bytes > MEMORY_BUDGET_BYTES:
        raise BudgetError(
            f"{what} would need {n_bytes / 2**20:,.1f} MiB; this shared server allows "
            f"{MEMORY_BUDGET_BYTES / 2**20:,.0f} MiB per request. Try a smaller size."
        )
