"""Per-learner state the views share: objects rebuilt when their settings change, slider
values kept inside their range, and the notice shown when the server is busy.

Everything here lives in `st.session_state`, so one learner's objects are invisible to
every other session.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

from ml101.runtime import MAX_HEAVY

T = TypeVar("T")


def rebuilt(slot: str, settings: Hashable, build: Callable[[], T]) -> T:
    """The object kept in `slot`, built anew whenever `settings` differ from last time.

    A model, an optimizer or a training run belongs to one learner and survives reruns,
    but must start over when a control that defines it changes."""
    held: dict[str, Any] | None = st.session_state.get(slot)
    if held is None or held["settings"] != settings:
        held = {"settings": settings, "value": build()}
        st.session_state[slot] = held
    return held["value"]


def forget(slot: str) -> None:
    """Drop what `rebuilt` keeps in `slot`, so the next call builds it again."""
    st.session_state.pop(slot, None)


def clamp(key: str, lo: int, hi: int) -> None:
    """Keep a widget's remembered value inside [lo, hi] before the widget is drawn.

    A slider whose range shrank (fewer steps, fewer batches) would otherwise raise on the
    value it kept from before, or a deep link could ask for a step that does not exist."""
    value = st.session_state.get(key)
    if isinstance(value, int | float) and not lo <= value <= hi:
        st.session_state[key] = min(max(value, lo), hi)


def busy_notice(what: str = "training", place: int | None = None) -> None:
    """Say, without blocking, that every heavy-work slot is taken and where this learner
    stands in line (`runtime.place_in_line`), so a crowded lecture hall sees progress."""
    ahead = {None: "", 1: " You are next in line.", 2: " One learner is ahead of you."}
    line = ahead.get(place, f" {(place or 0) - 1} learners are ahead of you.")
    st.caption(f":material/hourglass_top: Waiting for a free slot: {MAX_HEAVY} learners are "
               f"{what} right now.{line} Yours starts on its own.")
