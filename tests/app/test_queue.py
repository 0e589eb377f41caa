"""A crowded lecture hall: a learner whose training waits for a heavy-work slot sees where
they stand in line, the page keeps ticking, and training starts on its own when served."""

from __future__ import annotations

import pytest

from ml101 import runtime
from tests.conftest import OpenPage, assert_clean, shown_text


def _epoch(at: object) -> int:
    return at.session_state["tr_runs"]["value"][0][1].epoch  # type: ignore[attr-defined]


def test_a_waiting_learner_sees_their_place_in_line(open_app: OpenPage,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    slots = runtime._Slots(runtime.MAX_HEAVY)
    slots.held = slots.n  # every slot held by other learners' training
    monkeypatch.setattr(runtime, "_slots", slots)
    at = open_app("training", tr_speed="5")
    other = object()
    with runtime.in_line_as(other), runtime.heavy_slot():  # another learner waits first
        pass
    at.button(key="tr_play").click().run()
    assert "One learner is ahead of you" in shown_text(at)
    assert at.button(key="tr_play").label == "Pause" and _epoch(at) == 0

    runtime.leave_line(other)  # the learner ahead paused
    at.run()  # the next tick
    assert "You are next in line" in shown_text(at) and _epoch(at) == 0

    slots.release()  # a slot frees
    at.run()
    assert "Waiting for a free slot" not in shown_text(at)
    assert _epoch(at) > 0
    assert_clean(at)

    at.button(key="tr_play").click().run()  # pause: no longer in line for anything
    assert runtime.place_in_line(at.session_state["tr_player"].ticket) is None
