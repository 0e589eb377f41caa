"""One player for every page that moves: play / pause / step / back / reset / speed, one
timed tick, the same keys everywhere, and a notice when the server is busy.

Modelled on TF Playground's `Player`: a small object with one timer. The page says what
a step, a tick and a reset do (`Transport`); the player owns the buttons, the timer
(`st.fragment(run_every=...)`, so only the animated part reruns) and its state, kept in
one session-state slot per page (`<prefix>_player`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import streamlit as st

from ml101 import runtime
from ml101.ui import access, controls, deck
from ml101.ui.state import busy_notice

# The same keys on every page. Arrows, Space and Home stay free for the widgets that use
# them (a focused slider moves with the arrows); "C" and "R" are Streamlit's own.
KEYS = {"play": "P", "step": "N", "back": "B", "reset": "Shift+X"}


class Tick(Enum):
    """What one step or tick did."""

    MOVED = "moved"  # something advanced: keep playing
    DONE = "done"  # the end is reached: pause
    BUSY = "busy"  # every heavy-work slot was taken: try again next tick


@dataclass(frozen=True)
class Transport:
    """What the page's own buttons mean. `advance(seconds, speed)` moves the picture on by
    the time that passed since the last tick, so a slow server skips frames, not speed."""

    advance: Callable[[float, Any], Tick]
    step: Callable[[], Tick]
    reset: Callable[[], None]
    back: Callable[[], None] | None = None
    at_end: Callable[[], bool] = lambda: False
    at_start: Callable[[], bool] = lambda: False


@dataclass
class _State:
    playing: bool = False
    last_tick: float = 0.0
    busy: bool = False
    held: bool = False  # a deck scene asked to play, and the browser asks for less motion
    ticket: object = field(default_factory=object)  # this learner's place in the slot line


class Player:
    """The transport of one page. Draw `controls()` once per run, outside the animated
    part, then pass the animated part to `live()`."""

    def __init__(self, prefix: str, transport: Transport, *, tick_s: float = 0.25,
                 what: str = "training", keys: str | None = None) -> None:
        self.prefix = prefix
        # the transport's own widget keys (<keys>_play, _step, ...): the page prefix unless
        # the page's URL keys already take one of those names (the autograd page's ag_step)
        self.keys = keys or prefix
        self.transport = transport
        self.tick_s = tick_s
        self.what = what
        self.state: _State = st.session_state.setdefault(f"{prefix}_player", _State())
        self.speed: Any = None
        self._autoplay()

    def _autoplay(self) -> None:
        """A deck scene says play: start, unless the learner's browser asks for reduced
        motion (then wait for Play). A browser reports that on its first run, so the
        request waits for the report; without one (no browser) it plays at once."""
        slot = f"{self.prefix}_autoplay"
        reduce = access.reduced_motion()
        if not st.session_state.get(slot) or (reduce is None and access.will_report()):
            return
        del st.session_state[slot]
        if reduce:
            self.state.held = True
        else:
            self.state.playing = True
            self.state.last_tick = time.monotonic() - self.tick_s

    @property
    def playing(self) -> bool:
        return self.state.playing

    def pause(self) -> None:
        """Stop the timer; a page calls this when a setting changes under a playing view."""
        self.state.playing = False
        runtime.leave_line(self.state.ticket)

    def _toggle(self) -> None:
        s = self.state
        restart = not s.playing and self.transport.at_end()
        if restart:
            self.transport.reset()
        s.playing = not s.playing
        s.held = False
        if not s.playing:
            runtime.leave_line(s.ticket)
        # Play moves on at once, except from the end: then the start is shown first.
        s.last_tick = time.monotonic() - (0.0 if restart else self.tick_s)
        s.busy = False

    def _step(self) -> None:
        self.state.playing = False
        self.state.held = False
        with runtime.in_line_as(self.state.ticket):
            self.state.busy = self.transport.step() is Tick.BUSY

    def _back(self) -> None:
        self.state.playing = False
        if self.transport.back is not None:
            self.transport.back()

    def _reset(self) -> None:
        self.state.playing = False
        self.state.held = False
        self.state.busy = False
        runtime.leave_line(self.state.ticket)
        self.transport.reset()

    def controls(self, speeds: Sequence[Any] = (), *, default: Any = None,
                 speed_label: str = "Speed", format_func: Callable[[Any], str] = str,
                 speed_help: str | None = None) -> Any:
        """Play/Pause, Back, Step, Reset and (when `speeds` is given) a URL-bound speed
        control in one row; returns the chosen speed. Each button carries its key."""
        p, s = self.keys, self.state
        with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
            st.button("Pause" if s.playing else "Play", key=f"{p}_play",
                      on_click=self._toggle, type="primary", shortcut=KEYS["play"],
                      icon=":material/pause:" if s.playing else ":material/play_arrow:")
            if self.transport.back is not None:
                st.button("Back", key=f"{p}_back", on_click=self._back,
                          shortcut=KEYS["back"], icon=":material/skip_previous:",
                          disabled=self.transport.at_start(), help="One step back")
            st.button("Step", key=f"{p}_step", on_click=self._step, shortcut=KEYS["step"],
                      icon=":material/skip_next:", disabled=self.transport.at_end(),
                      help="One step forward")
            st.button("Reset", key=f"{p}_reset", on_click=self._reset,
                      shortcut=KEYS["reset"], icon=":material/replay:",
                      help="Back to the start")
            if speeds:
                self.speed_control(speeds, default=default, label=speed_label,
                                   format_func=format_func, help=speed_help)
        if s.held:
            st.caption(f":material/motion_photos_paused: Your browser asks for reduced motion, "
                       f"so this scene waits: press Play ({KEYS['play']}) to run it, or Step "
                       f"({KEYS['step']}) one move at a time.")
        return self.speed

    def speed_control(self, speeds: Sequence[Any], *, default: Any = None,
                      label: str = "Speed", format_func: Callable[[Any], str] = str,
                      help: str | None = None, width: int | str = 220) -> Any:
        """The URL-bound speed control alone, for a page that places it apart from the
        buttons (`controls()` without speeds); draw it before `live()`."""
        self.speed = controls.select_slider(
            label, list(speeds), value=default if default is not None else speeds[0],
            key=f"{self.keys}_speed", format_func=format_func, help=help, width=width)
        return self.speed

    def live(self, body: Callable[[], None], working: Callable[[], bool] | None = None
             ) -> None:
        """Run `body` now and, while playing, again every tick after advancing.

        `working`, if given, also keeps the tick going while paused for as long as it says
        True (work the body finishes a chunk per tick, such as a result still being
        computed); the page reruns when the timer must start or stop."""
        ticking = self.state.playing or (working is not None and working())

        @st.fragment(run_every=self.tick_s if ticking else None)
        def tick() -> None:
            deck.hold_scene(self.prefix)
            s = self.state
            if s.playing:
                now = time.monotonic()
                elapsed = min(now - s.last_tick, 4 * self.tick_s)
                s.last_tick = now
                with runtime.in_line_as(s.ticket):
                    outcome = self.transport.advance(elapsed, self.speed)
                s.busy = outcome is Tick.BUSY
                if outcome is Tick.DONE:
                    s.playing = False
                    st.rerun()  # the whole page: the button reads Play again
            if s.busy:
                busy_notice(self.what, runtime.place_in_line(s.ticket))
            body()
            if working is not None and not s.playing and working() != ticking:
                st.rerun()  # the timer must start (or stop): only a full run sets it

        tick()
