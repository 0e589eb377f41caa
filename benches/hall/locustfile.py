"""Locust learners for a lecture hall: each speaks Streamlit's websocket protocol, no browser.

    locust -f benches/hall/locustfile.py --host http://127.0.0.1:8501 --headless -u 50 -r 10 \\
        --run-time 10m --only-summary

(`benches/hall_load.py` starts the servers, runs 50, 100 and 200 of these and prints the
tables.) A learner opens Home, follows the sidebar to every page in lesson order, moves two of
each page's controls (the lesson's own presets where a page has them), then on the training
page picks the lesson's XOR run and plays it to the end, one timer beat at a time, the way the
browser drives `st.fragment(run_every=...)`. Between actions it thinks for about
`ML101_THINK_S` seconds (default 5; a student reading the page takes longer).

What Locust records, per page: `open` (the page's first run after a sidebar link), `rerun` (a
control changed), `tick` (one beat of the player while training), `wait` (a beat whose page
said "Waiting for a free slot": every heavy-work slot was taken) and `queue` (for a learner
who waited: from the first such beat to the first that trained). An error box on the page or
a stream that broke counts as a failure. Loopback only: the host must be 127.0.0.1 or
localhost.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gevent
from locust import User, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml101.lesson_map import built_pages
from tests.e2e.protocol import Learner as Tab
from tests.e2e.protocol import ProtocolError, Run

# Two moves per page, by URL key (URL keys never change: old deep links must keep working);
# a key the page does not show falls back to the presenter toggle, present on every page.
MOVES: dict[str, tuple[str, ...]] = {
    "start": ("present", "present"),
    "tensors": ("t_kind", "t_dtype"),
    "benchmark": ("bm_op", "bm_plot"),
    "autograd": ("ag_p_graph", "ag_step"),
    "one-step": ("ts_next", "ts_act"),
    "layers": ("ly_layer", "ly_layer"),
    "numpy-vs-torch": ("np_dt", "np_act"),
    "optimizers": ("op_preset_diverge", "op_surf"),
    "dataloader": ("dl_bs", "dl_shuf"),
    "training": ("tr_pre_xor",),  # the lesson's XOR: 2,000 epochs, 100 a beat
}
TRAIN_PAGE, PLAY = "training", "tr_play"
MAX_BEATS = 400  # a run that has not ended by then is stopped (and counted as a failure)
BUSY = "Waiting for a free slot"
_AHEAD = re.compile(r"(\d+) learners are ahead|One learner is ahead|next in line")


class PageError(Exception):
    """The page showed an exception box or an st.error."""


def place_in_line(run: Run) -> int | None:
    """The learner's place in the heavy-work line as the busy notice says it, if shown."""
    for text in run.texts():
        if BUSY in text:
            m = _AHEAD.search(text)
            if m is None:
                return 0  # busy, place not said
            return int(m.group(1)) + 1 if m.group(1) else 2 if "One" in m.group(0) else 1
    return None


class Learner(User):
    """One student with the app open in a tab, touring the lesson once."""

    think_s = float(os.environ.get("ML101_THINK_S", "5"))
    tours = 1  # how many times each learner tours the lesson (hall_load.py's throughput
    # runs tour without end, until it stops them)
    linger = False  # stay connected after the tours, until hall_load.py ends the level
    # across learners, read by hall_load.py:
    finished = 0  # learners who completed their tours
    gave_up = 0  # learners whose stream broke
    longest_line = 0  # the farthest back in line any learner was told they stood
    waiters = 0  # learners who waited in line at least once

    arrivals = 0  # learners started so far: each thinks with its own seeded rhythm

    def on_start(self) -> None:
        type(self).arrivals += 1
        self.rng = random.Random(type(self).arrivals)  # noqa: S311 (think times, not secrets)
        self.tab = Tab(self.host, timeout_s=float(os.environ.get("ML101_RUN_TIMEOUT_S", 300)))

    def on_stop(self) -> None:
        self.tab.close()

    def think(self) -> None:
        gevent.sleep(self.rng.uniform(0.5, 1.5) * self.think_s)

    def timed(self, kind: str, page: str, act: Callable[[], Run]) -> Run | None:
        """Run one action and report it to Locust; None if the stream broke. A tick whose
        page says the learner waits in line is reported as a `wait` tick."""
        start = time.perf_counter()
        try:
            run = act()
        except (ProtocolError, OSError, KeyError) as exc:  # KeyError: a control is missing
            self._report(kind, page, start, exc)
            return None
        errors = run.errors()
        if kind == "tick" and place_in_line(run) is not None:
            kind = "wait"
        self._report(kind, page, start, PageError(errors[0][:200]) if errors else None,
                     len(run.elements))
        return run

    def _report(self, kind: str, page: str, start: float, exc: Exception | None,
                length: int = 0) -> None:
        self.environment.events.request.fire(
            request_type=kind, name=f"/{page}", context={}, exception=exc,
            response_time=(time.perf_counter() - start) * 1000, response_length=length)

    @task
    def lecture(self) -> None:
        for _ in range(self.tours):
            if not self.tour():
                type(self).gave_up += 1
                raise StopUser
        type(self).finished += 1
        while self.linger:
            gevent.sleep(1)
        raise StopUser

    def tour(self) -> bool:
        """Home, every page in lesson order, a training run; False if the stream broke."""
        tab = self.tab
        if self.timed("open", "start", lambda: tab.open()) is None:
            return False
        for info in built_pages():
            nav = "" if info.url_path == "start" else info.url_path
            self.think()
            if info.url_path != "start" and self.timed(
                    "open", info.url_path, lambda nav=nav: tab.goto(nav)) is None:
                return False
            for key in MOVES.get(info.url_path, ("present", "present")):
                self.think()
                key = key if key in tab.last_widgets else "present"
                if self.timed("rerun", info.url_path, lambda k=key: tab.move(k)) is None:
                    return False
            if info.url_path == TRAIN_PAGE and not self.train():
                return False
        return True

    def train(self) -> bool:
        """Press Play and let the player's timer beat until the run ends."""
        tab = self.tab
        self.think()
        run = self.timed("rerun", TRAIN_PAGE, lambda: tab.click(PLAY))
        waiting_since, waited = None, False
        for _ in range(MAX_BEATS):
            if run is None or not tab.timers:
                return run is not None
            place = place_in_line(run)
            if place is not None:
                waiting_since = waiting_since or time.perf_counter()
                type(self).longest_line = max(type(self).longest_line, place)
                type(self).waiters += not waited
                waited = True
            elif waiting_since is not None:
                self._report("queue", TRAIN_PAGE, waiting_since, None)
                waiting_since = None
            fragment, interval = next(iter(tab.timers.items()))
            gevent.sleep(interval)
            run = self.timed("tick", TRAIN_PAGE, lambda f=fragment: tab.tick(f))
        self._report("tick", TRAIN_PAGE, time.perf_counter(),
                     PageError(f"training still running after {MAX_BEATS} beats"))
        return True
