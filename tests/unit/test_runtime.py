"""The runtime policy: private seeds, bounded heavy work, a memory budget."""

from __future__ import annotations

import ctypes
import json
import threading
import time
from typing import Any

import pytest
import torch

from ml101 import runtime


def test_seeded_block_matches_manual_seed_and_leaves_global_state_alone() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    with runtime.seeded(7):
        inside = torch.randn(3)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(7)
    assert torch.equal(inside, torch.randn(3))


def test_generator_is_private_and_reproducible() -> None:
    a = torch.rand(4, generator=runtime.generator(3))
    b = torch.rand(4, generator=runtime.generator(3))
    assert torch.equal(a, b)


def test_heavy_slots_are_bounded() -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with runtime.heavy_slot() as got:
            assert got
            held.set()
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(runtime.MAX_HEAVY)]
    for t in threads:
        held.clear()
        t.start()
        assert held.wait(5)
    with runtime.heavy_slot(wait_s=0.05) as got:
        assert not got, "one slot too many was handed out"
    release.set()
    for t in threads:
        t.join()
    with runtime.heavy_slot() as got:
        assert got


def test_budget_refuses_big_requests_with_a_clear_message() -> None:
    runtime.check_budget(1024, "a small tensor")
    with pytest.raises(runtime.BudgetError, match="MiB"):
        runtime.check_budget(runtime.MEMORY_BUDGET_BYTES + 1, "a huge tensor")


def test_thread_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML101_TORCH_THREADS", "3")
    assert runtime.torch_threads() == 3
    monkeypatch.setenv("ML101_TORCH_THREADS", "lots")
    assert runtime.torch_threads() == runtime.DEFAULT_THREADS == 1


def test_every_script_thread_gets_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit runs each rerun in a new thread, and OpenMP keeps its thread count per
    thread: configure() must apply it in each one, not once per process."""
    try:
        omp_max = ctypes.CDLL(None).omp_get_max_threads  # torch's OpenMP, loaded already
    except AttributeError:
        pytest.skip("this torch build does not use OpenMP")
    monkeypatch.setenv("ML101_TORCH_THREADS", "1")
    runtime.configure()
    seen: list[int] = []

    def rerun() -> None:
        runtime.configure()
        seen.append(omp_max())

    for _ in range(2):
        t = threading.Thread(target=rerun)
        t.start()
        t.join()
    assert seen == [1, 1]


def test_finished_runs_are_logged_only_when_asked(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path) -> None:
    log = tmp_path / "runs.jsonl"
    monkeypatch.delenv("ML101_RUN_LOG", raising=False)
    with runtime.logged_run("tensors"):
        pass
    assert not log.exists()
    monkeypatch.setenv("ML101_RUN_LOG", str(log))
    with runtime.logged_run("tensors", "open"):
        pass
    with pytest.raises(KeyError), runtime.logged_run("autograd"):
        raise KeyError("a rerun that was interrupted is not a finished run")
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["page"], r["kind"]) for r in runs] == [("tensors", "open")] and runs[0]["s"] >= 0



@pytest.fixture
def crowded(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A server whose two heavy-work slots are both held by other learners."""
    slots = runtime._Slots(2)
    slots.held = 2
    monkeypatch.setattr(runtime, "_slots", slots)
    return slots


def _try(ticket: object) -> bool:
    """One tick of a playing page: ask once, without blocking, keeping the place."""
    with runtime.in_line_as(ticket), runtime.heavy_slot() as got:
        return got


def _wait(wait_s: float) -> bool:
    with runtime.heavy_slot(wait_s=wait_s) as got:
        return got


def _queue(ticket: object, wait_s: float, served: list[bool]) -> threading.Thread:
    """A learner whose tick is waiting in line right now (in another script thread)."""
    def wait() -> None:
        with runtime.in_line_as(ticket), runtime.heavy_slot(wait_s=wait_s) as got:
            served.append(got)

    thread = threading.Thread(target=wait)
    thread.start()
    deadline = time.monotonic() + 5
    while ticket not in runtime._slots.present and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread


def test_waiting_learners_keep_their_place_and_are_served_in_turn(crowded: Any) -> None:
    alice, bob = object(), object()
    assert not _try(alice) and not _try(bob)
    assert (runtime.place_in_line(alice), runtime.place_in_line(bob)) == (1, 2)
    assert not _try(bob) and runtime.place_in_line(bob) == 2, "asking again keeps the place"
    served: list[bool] = []
    alice_waits = _queue(alice, 5, served)
    bob_waits = _queue(bob, 5, served)
    crowded.release()  # one slot frees while both wait: it is alice's
    alice_waits.join(5)
    assert served[0] is True and runtime.place_in_line(alice) is None
    bob_waits.join(5)  # alice's slot came free when she was done: then it was bob's
    assert served == [True, True]


def test_a_learner_between_two_ticks_keeps_the_place_but_is_not_waited_for(crowded: Any
                                                                           ) -> None:
    alice, bob = object(), object()
    assert not _try(alice) and not _try(bob)
    crowded.release()  # a slot frees while alice's page is between two ticks
    assert _try(bob), "the slot does not sit idle while bob is there"
    assert runtime.place_in_line(alice) == 1


def test_a_learner_who_leaves_or_stops_asking_drops_out(crowded: Any,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    alice, bob, carol = object(), object(), object()
    for t in (alice, bob, carol):
        assert not _try(t)
    runtime.leave_line(alice)  # alice paused
    assert runtime.place_in_line(bob) == 1
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + runtime.LINE_KEEP_S + 1)
    assert not _try(carol)  # bob stopped asking long ago: carol moves up
    assert runtime.place_in_line(bob) is None and runtime.place_in_line(carol) == 1


def test_a_blocked_call_that_gives_up_leaves_the_line(crowded: Any) -> None:
    alice = object()
    assert not _try(alice)
    assert not _wait(0.2)
    assert list(crowded.line) == [alice], "a call that gave up is not left in line"
    crowded.release()
    assert _try(alice)


def test_a_blocked_call_is_served_as_soon_as_a_slot_frees(crowded: Any) -> None:
    served: list[bool] = []
    waiter = threading.Thread(target=lambda: served.append(_wait(5)))
    waiter.start()
    time.sleep(0.1)
    crowded.release()
    waiter.join(5)
    assert served == [True]
