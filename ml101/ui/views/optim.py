"""The Optimizer race page. Its main picture is the race's map (the `op_picture` container):
the surface as a smooth field with contours, every racer's path up to the step shown and
the inspected racer's state arrows. The few controls that move it sit beside it, the step
scrubber and the transport under it; the standings and curves follow.

A race is shared: one growing `Race` per race spec for every learner who asks for it
(st.cache_resource, its `advance` serialised by a lock), computed a chunk at a time as
anyone watches. Per learner there is only the player (`op_player`) and the playhead
(`op_race`, rebuilt with each new race).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from functools import partial

import pandas as pd
import streamlit as st

from ml101 import runtime
from ml101.optim import charts, describe, tuning
from ml101.optim.code import code_for
from ml101.optim.race import MAX_START, MAX_STEPS, STATE, Race, RaceError, RaceSpec, make_racer
from ml101.optim.standings import leaderboard
from ml101.optim.surfaces import SURFACES
from ml101.optimizers import OPTIMIZERS
from ml101.ui import controls, state
from ml101.ui.layout import chart, explain, picture_px, show_code, stage
from ml101.ui.player import Player, Tick, Transport
from ml101.ui.presenter import is_presenting

LESSON = {"sgd": 0.001, "momentum": 0.001, "adam": 0.01, "rmsprop": 0.01}
MODES = {"own": "Your rates", "same": "Same rate for all", "tuned": "Tuned per optimizer"}
SPEEDS = {"slow": 0.5, "normal": 1.0, "fast": 2.0, "fastest": 4.0}
TOLERANCES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-6]
# Each hyperparameter's input in the Rates popover: label, upper bound, step, format, URL key
# prefix (the key is <prefix>_<optimizer>) and its column (lr sits in the first).
HYPER = {
    "momentum": ("momentum", 0.999, 0.05, "%.3f", "op_mom", 1),
    "beta1": ("beta1", 0.999, 0.05, "%.3f", "op_b1", 1),
    "beta2": ("beta2", 0.9999, 0.001, "%.4f", "op_b2", 2),
    "alpha": ("alpha", 0.999, 0.01, "%.3f", "op_al", 2),
    "weight_decay": ("weight decay", 1.0, 0.01, "%.3f", "op_wd", 0),
}
TICK_S = 0.25
RACE_S = 15.0  # seconds to play a whole race at normal speed...
RATE_CAP = 40.0  # ...or at most this many steps a second, so a tick computes ~10 steps
FRAME_S = 0.12  # computing the frame a run shows: at most this (a new race's first frame)
FILL_S = 0.35  # catching up with the step asked for, paused: at most this per tick
PLAY_S = 0.1  # computing while playing: at most this per tick (a few ms at normal speed)
TUNE_WAIT_S = 30.0  # a search that finds no free slot for this long gives up
PLAYBACK = "op_race"
# The optimizer pills wrap instead of scrolling sideways, and the map shrinks to fit a narrow
# column (a phone) keeping its square: Vega draws SVG, so picking and tooltips still follow.
_CSS = """<style>
.st-key-op_opts [role="toolbar"] { flex-wrap: wrap; }
.st-key-op_picture svg.marks { max-width: 100%; height: auto; }
</style>"""

_LESSON_SCENE = {"op_surf": "rosenbrock", "op_opts": list(LESSON), "op_mode": "own",
                 "op_steps": 100, "op_x": -1.0, "op_y": 1.0, "op_t": 100,
                 **{f"op_lr_{k}": v for k, v in LESSON.items()}, "op_mom_momentum": 0.9}
SCENES = {
    "lesson": ("The lesson's race", "Rosenbrock from (-1, 1), 100 steps, the lesson's rates",
               _LESSON_SCENE),
    "diverge": ("Too big a step", "SGD at lr 1 on Rosenbrock: watch it leave the map",
                {**_LESSON_SCENE, "op_opts": ["sgd", "adam"], "op_lr_sgd": 1.0}),
    "saddle": ("Escape the saddle", "Start on the ridge of a saddle, same rate for all",
               {"op_surf": "saddle", "op_opts": ["sgd", "momentum", "adam", "rmsprop"],
                "op_mode": "same", "op_lr": 0.01, "op_steps": 1000, "op_x": 0.001,
                "op_y": 1.8, "op_t": 1000}),
}


@dataclass
class SharedRace:
    """A race every learner shares, and the lock that serialises its growth."""

    race: Race
    lock: threading.Lock


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def shared_race(spec: RaceSpec) -> SharedRace:
    """One race per spec for the whole server: a lecture hall watching the same scene
    computes it once. It only ever grows, and every row up to its frontier is final."""
    return SharedRace(Race(spec), threading.Lock())


def compute(shared: SharedRace, upto: int, budget_s: float) -> int | None:
    """Grow the shared race towards `upto` steps for at most `budget_s`; the frontier
    reached, or None when every heavy-work slot is taken."""
    race = shared.race
    if race.frontier >= min(upto, race.steps):
        return race.frontier
    if not shared.lock.acquire(blocking=False):
        return race.frontier  # another learner is growing this race right now
    try:
        with runtime.heavy_slot() as got:
            return race.advance(upto, budget_s) if got else None
    finally:
        shared.lock.release()


@dataclass
class Playback:
    """One learner's view of one race: where the playhead is while playing (the slider's
    own value may still be on its way back from the browser), a click that moved the
    start, and whether the race is new to this learner."""

    head: int = 0
    carry: float = 0.0  # steps owed to the playhead, below one
    moved: bool = False
    fresh: bool = True
    first_run: bool = False  # this full run already computed its frame
    waiting: bool = False  # the last catch-up found every heavy-work slot taken


# ---------------------------------------------------------------------------- controls
def _surface_changed() -> None:
    """A new surface starts from its own start point, at the race's end. A callback can
    fire for a control whose state was just cleared (a deck opening a scene): then the
    scene sets the start."""
    if "op_surf" not in st.session_state:
        return
    surf = SURFACES[st.session_state["op_surf"]]
    st.session_state["op_x"], st.session_state["op_y"] = surf.start
    st.session_state["op_t"] = st.session_state.get("op_steps", 100)


def _steps_changed() -> None:
    if "op_steps" in st.session_state:  # not a control a deck's scene just cleared
        st.session_state["op_t"] = st.session_state["op_steps"]


def _num(label: str, lo: float, hi: float, value: float, key: str, **kw: object) -> float:
    return float(controls.number_input(label, lo, hi, value, key=key, **kw))


def _rates(chosen: list[str], mode: str) -> list:
    """Each chosen optimizer's rate and hyperparameters (inside the Rates popover)."""
    racers = []
    for k in chosen:
        info, base = OPTIMIZERS[k], make_racer(k)
        st.markdown(f"**{info.label}** · `torch.optim.{info.cls}`")
        cols = st.columns(3)
        with cols[0]:
            lr = _num("lr", 1e-5, 10.0, LESSON.get(k, info.default_lr), f"op_lr_{k}",
                      format="%g", disabled=mode != "own",
                      help=None if mode == "own" else f"Set by the mode: {MODES[mode]}")
        hyper: dict[str, float] = {}
        for name in info.hyper:
            label, hi, step, fmt, prefix, col = HYPER[name]
            with cols[col]:
                hyper[name] = _num(label, 0.0, hi, getattr(base, name), f"{prefix}_{k}",
                                   step=step, format=fmt)
        racers.append(make_racer(k, lr, **hyper))
    return racers


def _settings() -> tuple[RaceSpec | None, str, float | None]:
    """The controls beside the map; returns the race they ask for (before tuning), the
    rate mode and the shared rate. None (with the reason shown) when there is no race."""
    s1, s2 = st.columns([3, 2], vertical_alignment="bottom")
    with s1:
        surf_key = controls.selectbox("Surface", list(SURFACES), key="op_surf",
                                      format_func=lambda k: SURFACES[k].name,
                                      on_change=_surface_changed)
    with s2, st.popover("Scenes", icon=":material/theaters:", width="stretch",
                        help="Presets: the lesson's race and two more"):
        for key, (label, note, values) in SCENES.items():
            st.button(label, key=f"op_preset_{key}", on_click=controls.apply_preset,
                      args=(values,), help=note, width="stretch")
    surf = SURFACES[surf_key]
    st.latex(surf.latex)
    chosen = controls.pills("Optimizers", list(OPTIMIZERS), selection_mode="multi",
                            default=list(LESSON), key="op_opts",
                            format_func=lambda k: OPTIMIZERS[k].label) or []
    c1, c2, c3 = st.columns(3)
    with c1:
        steps = int(controls.number_input("Steps", 1, MAX_STEPS, 100, step=50, key="op_steps",
                                          on_change=_steps_changed))
    with c2:
        x0 = _num("Start x", -MAX_START, MAX_START, surf.start[0], "op_x", step=0.1,
                  format="%.3f", help="Or click the map")
    with c3:
        y0 = _num("Start y", -MAX_START, MAX_START, surf.start[1], "op_y", step=0.1,
                  format="%.3f", help="Or click the map")
    m1, m2 = st.columns([3, 2], vertical_alignment="bottom")
    with m1:
        mode = controls.selectbox(
            "Learning rates", list(MODES), key="op_mode", format_func=MODES.get,
            help="One shared rate is an unfair race: each optimizer has its own good range. "
            "'Tuned' searches a small grid for each.") or "own"
    with m2:
        popover = st.popover("Rates", icon=":material/tune:", width="stretch",
                             help="Each optimizer's learning rate and hyperparameters")
    shared_lr = None
    if mode == "same":
        shared_lr = _num("Learning rate for all", 1e-5, 10.0, 0.01, "op_lr", format="%g")
    with popover:
        racers = _rates(chosen, mode)
    if not racers:
        return None, mode, shared_lr
    if shared_lr is not None:
        racers = [replace(r, lr=shared_lr) for r in racers]
    return RaceSpec(surf_key, tuple(racers), (x0, y0), steps), mode, shared_lr


def _tuned(spec: RaceSpec) -> RaceSpec | None:
    """The spec at each optimizer's best grid rate; the search is shared and cached like a
    race, and shows its progress. None if the server stayed too busy to search."""
    search = tuning.search_spec(spec)
    if search is None:
        return spec
    shared = shared_race(search)
    race = shared.race
    if not race.complete:
        bar = st.progress(0.0)
        waited = 0.0
        while not race.complete:
            before = race.frontier
            got = compute(shared, race.steps, 0.1)
            if got is None or got == before:  # no free slot, or another learner is on it
                waited += 0.2 if got is None else 0.0
                if waited > TUNE_WAIT_S:
                    bar.empty()
                    return None
                time.sleep(0.2)
            bar.progress(race.frontier / race.steps, text=(
                f"Searching a rate for each optimizer: {len(search.racers)} candidates, "
                f"step {race.frontier} of {race.steps}"))
        bar.empty()
    return tuning.tuned(spec, race)


def _mode_note(spec: RaceSpec, mode: str, shared_lr: float | None) -> str:
    if mode == "same":
        return (f"**Mode: same rate for all (lr = {shared_lr:g}).** A classic unfair race: a "
                "rate that suits one optimizer is too big or too small for another.")
    if mode == "tuned" and not tuning.tunable(spec):
        return ("**Mode: tuned per optimizer.** Nothing to tune: L-BFGS keeps lr 1, its line "
                "search sets its steps.")
    if mode == "tuned":
        n = tuning.search_steps(spec)
        grid = ", ".join(f"{v:g}" for v in tuning.LR_GRID)
        rates = ", ".join(f"{r.label} {r.lr:g}" for r in spec.racers if r.key != "lbfgs")
        lbfgs = (" L-BFGS keeps lr 1: its line search sets its steps."
                 if any(r.key == "lbfgs" for r in spec.racers) else "")
        return (f"**Mode: tuned per optimizer.** For each optimizer, the rate from {grid} "
                f"with the lowest f after {n} steps from this start on this surface "
                f"(every candidate raced; a search is capped at {tuning.BUDGET:,} optimizer "
                f"steps, so more optimizers means fewer steps): {rates}.{lbfgs}")
    return "**Mode: your rates.** Each optimizer uses the learning rate set for it (Rates)."


# ---------------------------------------------------------------------------- the race
def _wanted(steps: int) -> int:
    """The step the scrubber asks for, before the scrubber is drawn (on a page's first run
    its value is still in the URL)."""
    t = st.session_state.get("op_t")
    if t is None:
        raw = st.query_params.get("op_t", "")
        t = int(raw) if raw.isdigit() else steps
    return min(max(int(t), 0), steps)


def steps_per_s(steps: int) -> float:
    """How fast a race of `steps` plays at normal speed."""
    return min(steps / RACE_S, RATE_CAP)


def _transport(pb: Playback, shared: SharedRace) -> Transport:
    steps = shared.race.steps

    def frame() -> int:
        return min(max(int(st.session_state.get("op_t", steps)), 0), steps)

    def go(t: int) -> None:
        pb.head = t
        st.session_state["op_t"] = t

    def advance(elapsed: float, speed: str) -> Tick:
        pb.carry += elapsed * steps_per_s(steps) * SPEEDS.get(speed, 1.0)
        n, pb.carry = int(pb.carry), pb.carry % 1
        target = min(steps, pb.head + n)
        got = compute(shared, target + 1, PLAY_S)  # one ahead: the state's next step
        if got is None:
            return Tick.BUSY
        go(min(target, got))
        return Tick.DONE if pb.head >= steps else Tick.MOVED

    def step() -> Tick:
        t = min(steps, frame() + 1)
        got = compute(shared, t + 1, FRAME_S)
        if got is None:
            return Tick.BUSY
        go(min(t, got))
        return Tick.MOVED

    return Transport(advance=advance, step=step, reset=lambda: go(0),
                     back=lambda: go(max(0, frame() - 1)),
                     at_end=lambda: frame() >= steps, at_start=lambda: frame() <= 0)


def _on_click(pb: Playback) -> None:
    """A click on the map moves the start. The map lives in the player's fragment, whose
    events rerun only the fragment: `moved` asks it for a full rerun (a new race)."""
    picked = st.session_state.get("op_map", {}).get("selection", {}).get(charts.CLICK) or []
    if picked:
        st.session_state["op_x"] = round(float(picked[0]["x"]), 3)
        st.session_state["op_y"] = round(float(picked[0]["y"]), 3)
        pb.moved = True


def _num4(v: float) -> str:
    return "—" if v != v else f"{v:.4g}"


def _state_panel(race: Race, i: int, frame: int) -> None:
    """What racer i holds at `frame`: where it is, its gradient, torch's state for it and
    the step it takes next, x and y side by side."""
    r = race.racers[i]
    t = race.at(i, frame)
    st.markdown(f"**{r.label}** at step {t} (lr = {r.lr:g}): f = {race.losses[t, i]:.6g}")
    rows = [("position", race.paths[t, i]), ("gradient g", race.grads[t, i])]
    meanings = []
    for slot, (name, meaning) in enumerate(STATE[r.key]):
        if name == "momentum_buffer" and not r.momentum:
            continue  # torch keeps no buffer without momentum
        rows.append((f"`{name}`", race.state[t, i, slot]))
        meanings.append(f"`{name}`: {meaning}")
    nxt = t < race.frontier and not race.diverged_by(i, t + 1)
    if nxt:
        move = race.paths[t + 1, i] - race.paths[t, i]
        g = race.grads[t, i]
        rows += [("next step Δ", move),
                 ("\\|Δ\\| / \\|g\\|", [abs(d) / abs(gi) if gi else float("nan")
                                       for d, gi in zip(move, g, strict=True)])]
    table = "| | x | y |\n|---|--:|--:|\n" + "\n".join(
        f"| {label} | {_num4(float(v[0]))} | {_num4(float(v[1]))} |" for label, v in rows)
    st.markdown(table)
    notes = [*meanings, "— : nothing yet (no step taken)"] if t == 0 and meanings else meanings
    if nxt:
        notes.append("|Δ| / |g|: the effective learning rate per coordinate; the arrows "
                     f"on the map are scaled ×{charts.arrows(race, i, t)[1]:.3g} to be seen")
    if notes:
        st.caption("; ".join(notes) + ".")
    if race.diverged_by(i, frame):
        st.warning(f"{r.label} diverged at step {race.diverged_at[i]}.")
    st.caption(r.info.blurb)


def _standings(race: Race, frame: int, tol: float, note: str) -> None:
    done = "" if race.complete else (
        f" (computed up to step {race.frontier} of {race.steps} so far)")
    st.subheader(f"Standings at step {frame} of {race.steps}{done}")
    st.markdown(note)
    rows = leaderboard(race, frame, tol)
    table = pd.DataFrame(rows)
    table["steps to tolerance"] = table["steps to tolerance"].map(
        lambda v: "not reached" if v is None or pd.isna(v) else str(int(v)))
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "lr": st.column_config.NumberColumn(format="%g"),
        "loss": st.column_config.NumberColumn("f(x, y)", format="%.6g"),
        "distance to minimum": st.column_config.NumberColumn(format="%.4g"),
        "x": st.column_config.NumberColumn(format="%.6f"),
        "y": st.column_config.NumberColumn(format="%.6f"),
    })
    for row in rows:
        if row["diverged"] != "no":
            st.warning(f"{row['optimizer']} (lr {row['lr']:g}) {row['diverged']}: its "
                       "position became NaN or infinite or left a box 50 times the map's "
                       "size, so its path stops there. The rest of the race goes on.")


def race() -> RaceSpec | None:
    """The map beside its controls, the scrubber and transport under it, one racer's
    state, the standings and the curves. Returns the race shown (None if there is none)."""
    st.html(_CSS)
    picture, side = stage(controls=1.0, picture=1.45)
    with side:
        spec, mode, shared_lr = _settings()
        inspect_box, state_box = st.container(), st.container()
    standings_box = st.container()
    tol = float(controls.select_slider(
        "Tolerance for 'steps to tolerance'", TOLERANCES, value=1e-3, key="op_tol",
        format_func=lambda v: f"f < {v:g}", width=360))
    curves_box = st.container()
    with picture:
        if spec is None:
            st.info("Choose at least one optimizer to start the race.")
            return None
        try:
            if mode == "tuned":
                tuned = _tuned(spec)
                if tuned is None:
                    st.warning("The server stayed too busy to search for rates; try again in "
                               "a moment. Showing your own rates meanwhile.")
                    mode = "own"
                else:
                    spec = tuned
            shared = shared_race(spec)
        except RaceError as exc:
            st.error(f"Cannot run this race: {exc}")
            return None
        transport_box, live_box = st.container(), st.container()
        timeline_box, caption_box = st.container(), st.container()
    _live(shared, transport_box=transport_box, live_box=live_box, timeline_box=timeline_box,
          caption_box=caption_box, inspect_box=inspect_box, state_box=state_box,
          standings_box=standings_box, curves_box=curves_box, tol=tol,
          note=_mode_note(spec, mode, shared_lr))
    return spec


def _live(shared: SharedRace, *, transport_box, live_box, timeline_box, caption_box,
          inspect_box, state_box, standings_box, curves_box, tol: float, note: str) -> None:
    """The player: its transport, and the tick that redraws the map, scrubber, state and
    standings (while paused, the tick only runs while the race catches up)."""
    race = shared.race
    steps = race.steps
    replaced = PLAYBACK in st.session_state  # this learner was watching another race
    pb = state.rebuilt(PLAYBACK, race.spec, Playback)
    player = Player("op", _transport(pb, shared), tick_s=TICK_S, what="racing")
    if pb.fresh:
        pb.fresh = False
        if replaced:
            player.pause()  # a setting changed under a playing view (a deck scene may play)
    state.clamp("op_t", 0, steps)
    with transport_box:
        player.controls()
    with timeline_box:
        scrub_box, end_box, speed_box = st.columns([4, 1.3, 2], vertical_alignment="bottom")
    end_box.button("End", key="op_end", icon=":material/last_page:", shortcut="E",
                   help="Compute the rest of the race and show its last step",
                   on_click=_to_end, args=(steps,), disabled=player.playing)
    with speed_box:
        player.speed_control(list(SPEEDS), default="normal", width="stretch", help=(
            f"At normal speed a race plays in {RACE_S:g} s, or at {RATE_CAP:g} steps a "
            f"second when it has more than {RACE_S * RATE_CAP:,.0f}"))
    with inspect_box:
        keys = [r.key for r in race.racers]
        inspect_key = controls.selectbox("Show the optimizer state of", keys, key="op_insp",
                                         format_func=lambda k: OPTIMIZERS[k].label)
    inspect = keys.index(inspect_key) if inspect_key in keys else 0
    if not player.playing:  # the first frame, computed before the timer is set
        pb.head = _wanted(steps)
        pb.waiting = compute(shared, pb.head + 1, FRAME_S) is None
        pb.first_run = True

    def wanted() -> int:
        return pb.head if player.playing else _wanted(steps)

    def body() -> None:
        if pb.moved:
            pb.moved = False
            st.rerun()  # the start moved: a new race, and everything outside follows
        if not player.playing:
            pb.head = _wanted(steps)
            if not pb.first_run:
                pb.waiting = compute(shared, pb.head + 1, FILL_S) is None
        pb.first_run = False
        frame = min(wanted(), race.frontier)
        _map(race, frame, inspect, pb)
        with scrub_box:
            controls.slider("Step shown", 0, steps, steps, key="op_t")
        with caption_box:
            if frame < wanted():
                wait = " (waiting for a free slot: other learners are computing)"
                st.progress(race.frontier / max(wanted(), 1), text=(
                    f"Computing the race with torch.optim: step {race.frontier} of "
                    f"{wanted()}{wait if pb.waiting else ''}"))
            else:
                st.caption("Click the map to start from there. ★ marks the minima, ○ the "
                           "start, ✕ a path that diverged.")
        with state_box:
            _state_panel(race, inspect, frame)
        with standings_box:
            _standings(race, frame, tol, note)
        with curves_box:
            for col, what in zip(st.columns(2), ("loss", "distance"), strict=True):
                chart(charts.curves_spec(race, frame, what, _scale()),
                      describe.curves(race, what), where=col, width="stretch")

    with live_box:
        player.live(body, working=lambda: not player.playing and race.frontier < wanted())


def _map_px() -> int:
    """The map's side: the picture's width less its axes and key, and on a 1080-line
    projector still short enough for its x axis to show under the header and transport."""
    return min(picture_px() - 130, 580)


def _scale() -> float:
    """Chart type sizes: larger on a projector."""
    return 1.5 if is_presenting() else 1.0


def _to_end(steps: int) -> None:
    st.session_state["op_t"] = steps


def _map(race: Race, frame: int, inspect: int, pb: Playback) -> None:
    """The main picture: the map at `frame`, clickable."""
    with st.container(key="op_picture"):
        spec = charts.contour_spec(race, frame, inspect, _map_px(), _scale())
        chart(spec, describe.race_map(race, frame), key="op_map",
              on_select=partial(_on_click, pb), selection_mode=charts.CLICK,
              width="content")


# ---------------------------------------------------------------------------- words, code
def explanations(spec: RaceSpec | None) -> None:
    """What the race shows, why the lesson's defaults, and how the page computes it."""
    surf = SURFACES[spec.surface if spec else "rosenbrock"]
    explain(
        f"- **{surf.name}.** {surf.lesson}\n"
        "- **Same rate for all is unfair.** SGD's step is lr × gradient, so a good rate "
        "depends on how steep the surface is. Adam's step is about lr per coordinate "
        "whatever the gradient's size: its bias correction makes even the first step lr. "
        "RMSprop has no bias correction: its running mean of g² starts at 0, so its first "
        "steps are many times lr (10× and 14× lr in the lesson's race) and shrink as the "
        "mean fills. One shared number favours whoever it happens to suit; *Tuned per "
        "optimizer* compares each at its best rate from a small grid.\n"
        "- **Momentum** keeps an exponentially decaying sum of past gradients "
        "(buf = momentum · buf + g, so a gradient k steps old counts momentumᵏ): along a "
        "valley they agree and the steps grow; across it they alternate and cancel. The "
        "dashed arrow is the buffer, times −lr.\n"
        "- **Adam** divides its running mean of gradients (m, torch's `exp_avg`) by the "
        "root of the running mean of their squares (v, `exp_avg_sq`). The |Δ| / |g| row of "
        "the state panel, its effective learning rate per coordinate, shows how "
        "differently it treats x and y.\n"
        "- **Adagrad** divides by the root of the sum of every squared gradient so far: its "
        "effective learning rate only ever shrinks, yet a step can grow when the gradient "
        "does (from the lesson's start at lr 0.1, its step grows from 0.10 to 0.14 between "
        "steps 1 and 2).\n"
        "- **Divergence**: on a quadratic with curvature c, plain SGD overshoots further "
        "with every step once lr × c exceeds 2. A path stops at the first step that is "
        "NaN, infinite or outside a box 50 times the map's size, like the code's.",
        title="What is going on?",
    )
    explain(
        "The lesson races SGD (lr 0.001), SGD with momentum 0.9 (lr 0.001), Adam (lr 0.01) "
        "and RMSprop (lr 0.01) for 100 steps from (-1, 1) on Rosenbrock. *Scenes → The "
        "lesson's race* sets exactly that; the code below is then the lesson's experiment, "
        "and prints the standings' numbers at step 100. In 100 steps nobody reaches (1, 1): "
        "momentum gets closest.",
        title="Why these defaults? (the lesson's race)",
    )
    cost = ""
    if spec is not None:
        race = shared_race(spec).race
        if race.racer_steps:
            per_step_us = race.seconds / race.racer_steps * 1e6
            cost = (" For this race, one racer's step (its share of the forward and backward "
                    f"pass included) has cost {per_step_us:,.0f} µs on this server.")
    explain(
        "Each racer is a two-element tensor stepped by its own `torch.optim` class. In the "
        "code below every step is `optimizer.step(closure)`, the closure zeroing the "
        "gradient, evaluating f and calling `loss.backward()`. The page does the same "
        "operations for all racers at once: it stacks their tensors, evaluates f on the "
        "stack, calls `backward` once, then `optimizer.step()` for each. f works element "
        "by element, so every racer's gradient is bit for bit the one its own "
        "`loss.backward()` gives, at about a third of the cost. What the map draws "
        "and the standings list are those classes' own numbers, and the code prints the "
        "same digits. L-BFGS is `torch.optim.LBFGS` with a strong-Wolfe line search, one "
        "iteration per step; the search evaluates f again, so L-BFGS steps with the code's "
        "own closure.\n\n"
        "Real optimizer steps cost a fraction of a millisecond each, so a long race is not "
        f"computed in one go.{cost} A new race first computes what its first frame needs "
        f"(at most {FRAME_S:g} s of work); if you asked for a later step, it goes on towards "
        f"it in chunks of up to {FILL_S:g} s, redrawing after each, under a progress bar. "
        "*Play* computes just ahead of the playhead, and *End* computes the rest. Every "
        "learner who asks for the same race shares one computation, and until it is "
        "finished the standings say at which step they are.",
        title="How the race is computed",
    )


def code(spec: RaceSpec | None) -> None:
    """The race's code: the real classes, the standings' digits at the last step."""
    if spec is not None:
        show_code(code_for(spec))
