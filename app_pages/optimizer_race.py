"""Optimizer race: torch.optim's update rules raced across 2-D loss surfaces."""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd
import streamlit as st
from streamlit_shortcuts import add_shortcuts

from ml101.optim.charts import CLICK, arrows, contour_spec, curves_spec
from ml101.optim.race import (
    LR_GRID,
    MAX_STEPS,
    STATE_NAMES,
    Racer,
    generated_code,
    leaderboard,
    make_racer,
    race,
    tuned_rates,
)
from ml101.optim.surfaces import SURFACES
from ml101.optimizers import OPTIMIZERS
from ml101.ui import controls
from ml101.ui.layout import explain, page_header, show_code

LESSON = {"sgd": 0.001, "momentum": 0.001, "adam": 0.01, "rmsprop": 0.01}
MODES = {"own": "Your rates", "same": "Same rate for all", "tuned": "Tuned per optimizer"}
SPEEDS = {"slow": 0.5, "normal": 1.0, "fast": 2.0, "fastest": 4.0}
TICK_S = 0.2
RACE_S = 15.0  # seconds to play a whole race at normal speed


def _in(col: object, label: str, *args: object, **kwargs: object) -> float:
    """A URL-bound number input placed in a column."""
    with col:  # type: ignore[attr-defined]
        return float(controls.number_input(label, *args, **kwargs))

page_header(
    "Optimizer race",
    "Optimizers race downhill on a 2-D loss surface, each stepping by `torch.optim`'s own "
    "update rule.  \nPick a surface, click the map to move the start, press play, and "
    "open an optimizer's state to see why it moves as it does.",
)


def _reset_start() -> None:
    surf = SURFACES[st.session_state["op_surf"]]
    st.session_state["op_x"], st.session_state["op_y"] = surf.start
    st.session_state["op_t"] = 0


def _on_click() -> None:
    """A click on the map sets the start point. The map lives in a fragment, whose
    events rerun only the fragment: `op_moved` asks it for a full rerun (new race)."""
    picked = st.session_state.get("op_map", {}).get("selection", {}).get(CLICK) or []
    if picked:
        st.session_state["op_x"] = round(float(picked[0]["x"]), 3)
        st.session_state["op_y"] = round(float(picked[0]["y"]), 3)
        st.session_state["op_t"] = 0
        st.session_state["op_playing"] = False
        st.session_state["op_moved"] = True


lesson_preset = {"op_surf": "rosenbrock", "op_opts": list(LESSON), "op_mode": "own",
                 "op_steps": 100, "op_x": -1.0, "op_y": 1.0, "op_t": 100,
                 **{f"op_lr_{k}": v for k, v in LESSON.items()}, "op_mom_momentum": 0.9}
p1, p2, p3, _ = st.columns([1.2, 1.2, 1.2, 2])
p1.button("The lesson's race", key="op_preset_lesson", on_click=controls.apply_preset,
          args=(lesson_preset,), help="Rosenbrock from (-1, 1), 100 steps, the lesson's rates")
p2.button("Too big a step", key="op_preset_diverge", on_click=controls.apply_preset,
          args=({**lesson_preset, "op_opts": ["sgd", "adam"], "op_lr_sgd": 1.0,
                 "op_t": 100},),
          help="SGD at lr 1 on Rosenbrock: watch it leave the map")
p3.button("Escape the saddle", key="op_preset_saddle", on_click=controls.apply_preset,
          args=({"op_surf": "saddle", "op_opts": ["sgd", "momentum", "adam", "rmsprop"],
                 "op_mode": "same", "op_lr": 0.01, "op_steps": 1000, "op_x": 0.001,
                 "op_y": 1.8, "op_t": 1000},),
          help="Start on the ridge of a saddle, same rate for all")

left, right = st.columns([1, 1.6], gap="large")
with left:
    surf_key = controls.selectbox(
        "Surface", list(SURFACES), key="op_surf", format_func=lambda k: SURFACES[k].name,
        on_change=_reset_start)
    surf = SURFACES[surf_key]
    st.latex(surf.latex)
    st.caption(surf.lesson)
    chosen = controls.multiselect(
        "Optimizers", list(OPTIMIZERS), default=list(LESSON), key="op_opts",
        format_func=lambda k: OPTIMIZERS[k].label)
    mode = controls.segmented_control(
        "Learning rates", list(MODES), default="own", key="op_mode",
        format_func=MODES.get, help="Comparing optimizers at one shared rate is unfair: "
        "each has its own good range. 'Tuned' searches a small grid for each.") or "own"
    c1, c2, c3 = st.columns(3)
    with c1:
        steps = int(controls.number_input("Steps", 1, MAX_STEPS, 100, step=50, key="op_steps"))
    with c2:
        x0 = float(controls.number_input("Start x", -50.0, 50.0, surf.start[0], step=0.1,
                                         key="op_x", format="%.3f"))
    with c3:
        y0 = float(controls.number_input("Start y", -50.0, 50.0, surf.start[1], step=0.1,
                                         key="op_y", format="%.3f"))
    shared_lr = None
    if mode == "same":
        shared_lr = float(controls.number_input(
            "Learning rate for all", 1e-5, 10.0, 0.01, format="%g", key="op_lr"))

    racers: list[Racer] = []
    with st.expander("Rates and hyperparameters", expanded=mode == "own"):
        for k in chosen:
            info = OPTIMIZERS[k]
            cols = st.columns(3)
            base = make_racer(k)
            lr = _in(cols[0],
                f"{info.label}: lr", 1e-5, 10.0, LESSON.get(k, info.default_lr), format="%g",
                key=f"op_lr_{k}", disabled=mode != "own")
            hyper: dict[str, float] = {}
            if "momentum" in info.hyper:
                hyper["momentum"] = _in(cols[1],
                    "momentum", 0.0, 0.999, base.momentum, step=0.05, format="%.3f",
                    key=f"op_mom_{k}")
            if "beta1" in info.hyper:
                hyper["beta1"] = _in(cols[1],
                    "beta1", 0.0, 0.999, base.beta1, step=0.05, format="%.3f", key=f"op_b1_{k}")
                hyper["beta2"] = _in(cols[2],
                    "beta2", 0.0, 0.9999, base.beta2, step=0.001, format="%.4f",
                    key=f"op_b2_{k}")
            if "alpha" in info.hyper:
                hyper["alpha"] = _in(cols[2],
                    "alpha", 0.0, 0.999, base.alpha, step=0.01, format="%.3f", key=f"op_al_{k}")
            if "weight_decay" in info.hyper:
                hyper["weight_decay"] = _in(cols[0],
                    "weight decay", 0.0, 1.0, base.weight_decay, step=0.01, format="%.3f",
                    key=f"op_wd_{k}")
            racers.append(make_racer(k, shared_lr if mode == "same" else lr, **hyper))

if not racers:
    right.info("Choose at least one optimizer to start the race.")
    st.stop()

try:
    if mode == "tuned":
        with st.spinner("Searching a learning rate for each optimizer..."):
            rates = tuned_rates(surf_key, tuple(racers), (x0, y0), steps)
        racers = [replace(r, lr=lr) for r, lr in zip(racers, rates, strict=True)]
    with st.spinner("Racing..."):
        res = race(surf_key, tuple(racers), (x0, y0), steps)
except ValueError as exc:
    st.error(f"Cannot run this race: {exc}")
    st.stop()

if mode == "same":
    note = (f"**Mode: same rate for all (lr = {shared_lr:g}).** A classic unfair race: "
            "a rate that suits one optimizer is too big or too small for another.")
elif mode == "tuned":
    note = ("**Mode: tuned per optimizer.** For each optimizer, the rate from "
            f"{', '.join(f'{v:g}' for v in LR_GRID)} with the lowest loss after "
            f"{min(steps, 1000)} steps from this start on this surface: "
            + ", ".join(f"{r.label} {r.lr:g}" for r in racers) + ".")
else:
    note = "**Mode: your rates.** Each optimizer uses the learning rate set for it."
left.info(note)

# ---- playback state (per user) -------------------------------------------
st.session_state.setdefault("op_playing", False)
if st.session_state.get("op_t", steps) > steps:
    st.session_state["op_t"] = steps


def _toggle_play() -> None:
    playing = not st.session_state["op_playing"]
    if playing and st.session_state.get("op_t", 0) >= steps:
        st.session_state["op_t"] = 0
    st.session_state["op_playing"] = playing
    st.session_state["op_tick"] = time.monotonic() - TICK_S
    # the playhead lives outside the slider's state: a tick that starts before the
    # browser has shown the previous one must not send the slider back
    st.session_state["op_head"] = st.session_state.get("op_t", 0)


def _step() -> None:
    st.session_state["op_playing"] = False
    st.session_state["op_t"] = min(steps, st.session_state.get("op_t", 0) + 1)


def _reset() -> None:
    st.session_state["op_playing"] = False
    st.session_state["op_t"] = 0


playing = st.session_state["op_playing"]
with right:
    b1, b2, b3, b4 = st.columns([1, 1, 1, 1.6], vertical_alignment="bottom")
    b1.button("Pause (P)" if playing else "Play (P)", key="op_play", on_click=_toggle_play,
              icon=":material/pause:" if playing else ":material/play_arrow:",
              width="stretch")
    b2.button("Step (→)", key="op_step", on_click=_step, icon=":material/skip_next:",
              width="stretch")
    b3.button("Reset (0)", key="op_reset", on_click=_reset, icon=":material/replay:",
              width="stretch")
    speed = controls.select_slider("Speed", list(SPEEDS), value="normal", key="op_speed")
    add_shortcuts(op_play="p", op_step="arrowright", op_reset=["0", "home"])
    inspect_key = controls.selectbox(
        "Show the optimizer state of", [r.key for r in racers], key="op_insp",
        format_func=lambda k: OPTIMIZERS[k].label)
inspect = next(i for i, r in enumerate(racers) if r.key == inspect_key)
rate = steps / RACE_S * SPEEDS[speed]  # steps per second of playback


@st.fragment(run_every=TICK_S if playing else None)
def board() -> None:
    """The animated part: map, scrubber and state; the rest of the page stays put."""
    if st.session_state.pop("op_moved", False):
        st.rerun()  # the start moved: the race and everything outside must follow
    if st.session_state["op_playing"]:
        # advance by the time that passed, so a slow server skips frames, not speed
        now = time.monotonic()
        elapsed = now - st.session_state.get("op_tick", now - TICK_S)
        st.session_state["op_tick"] = now
        head = st.session_state.get("op_head", st.session_state.get("op_t", 0))
        t_next = min(steps, head + max(1, round(elapsed * rate)))
        st.session_state["op_head"] = t_next
        st.session_state["op_t"] = t_next
        if t_next >= steps:
            st.session_state["op_playing"] = False
            st.rerun()
    frame = int(controls.slider("Step shown", 0, steps, steps, key="op_t"))
    mapcol, statecol = st.columns([1.7, 1])
    with mapcol:
        st.vega_lite_chart(spec=contour_spec(res, frame, (x0, y0), inspect), key="op_map",
                           on_select=_on_click, selection_mode=CLICK, width="content")
        st.caption("Click the map to start from there. ★ marks the minima, ○ the start, "
                   "✕ a path that diverged.")
    with statecol:
        _state_panel(frame)
    st.vega_lite_chart(spec=curves_spec(res, frame, "loss"), width="stretch")
    st.vega_lite_chart(spec=curves_spec(res, frame, "distance"), width="stretch")


def _fmt(v: object) -> str:
    """A vector as (a, b); None (undefined) as a dash."""
    return "(" + ", ".join(  # type: ignore[union-attr]
        "—" if c is None else f"{float(c):.4g}" for c in v) + ")"


def _state_panel(frame: int) -> None:
    r = racers[inspect]
    last = res.final_index(inspect)
    st.markdown(f"**{r.label}** at step {min(frame, last)} (lr = {r.lr:g})")
    t = min(frame, last)
    rows = {"position": _fmt(res.paths[t, inspect]), "f": f"{res.losses[t, inspect]:.6g}",
            "gradient g": _fmt(res.grads[t, inspect])}
    for slot, name in enumerate(STATE_NAMES[r.key]):
        if name == "momentum buffer" and not r.momentum:
            continue  # torch keeps no buffer without momentum
        if name:
            rows[name + " (after this step)"] = _fmt(res.state[t, inspect, slot])
    if t < last:
        step = res.paths[t + 1, inspect] - res.paths[t, inspect]
        rows["next step Δ"] = _fmt(step)
        g = res.grads[t, inspect]
        rows["effective lr |Δ|/|g| per coordinate"] = _fmt(
            [abs(d) / abs(gi) if gi else None for d, gi in zip(step, g, strict=True)])
        _, scale = arrows(res, inspect, t)
        st.caption(f"Arrows on the map are scaled ×{scale:.3g} to be visible.")
    st.table(pd.DataFrame({"value": rows}))
    if res.diverged_at[inspect] is not None:
        st.warning(f"{r.label} diverged at step {res.diverged_at[inspect]}.")
    st.caption(r.info.blurb)


board()

# ---- leaderboard ------------------------------------------------------------
st.subheader("Leaderboard")
tol = float(controls.select_slider("Tolerance for 'steps to reach'", [1e-1, 1e-2, 1e-3, 1e-4,
                                   1e-6], value=1e-3, key="op_tol",
                                   format_func=lambda v: f"f < {v:g}"))
board_rows = leaderboard(res, tol)
table = pd.DataFrame(board_rows)
table["steps to tolerance"] = table["steps to tolerance"].map(
    lambda v: "not reached" if v is None or pd.isna(v) else str(int(v)))
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "lr": st.column_config.NumberColumn(format="%g"),
    "final loss": st.column_config.NumberColumn(format="%.4g"),
    "distance to minimum": st.column_config.NumberColumn(format="%.4g"),
    "x": st.column_config.NumberColumn(format="%.4f"),
    "y": st.column_config.NumberColumn(format="%.4f"),
})
for row in board_rows:
    if row["diverged"] != "no":
        st.warning(f"{row['optimizer']} (lr {row['lr']:g}) {row['diverged']}: its step grew "
                   "instead of shrinking, so its path stops there. The rest of the race goes on.")

explain(
    "- **Same rate for all is unfair.** Plain SGD's step is lr × gradient, so a good rate "
    "depends on how steep the surface is; Adam's and RMSprop's steps are about lr in size "
    "whatever the gradient. One shared number favours whoever it happens to suit. "
    "Switch to *Tuned per optimizer* to compare each at its best rate from a small grid.\n"
    "- **Momentum** adds up past gradients: along a valley they agree and the steps grow; "
    "across it they alternate and cancel. The orange arrow is the buffer.\n"
    "- **Adam** divides its running mean of gradients (m) by the root of the running mean "
    "of their squares (v). The *effective lr per coordinate* in the state table shows how "
    "differently it treats x and y.\n"
    "- **Divergence**: if lr × curvature exceeds 2, each step overshoots further than the "
    "last. The path is stopped at the first step that is NaN, infinite or far off the map.",
    title="What is going on?",
)
explain(
    "The lesson races SGD (lr 0.001), SGD with momentum 0.9 (lr 0.001), Adam (lr 0.01) and "
    "RMSprop (lr 0.01) for 100 steps from (-1, 1) on Rosenbrock. Press *The lesson's race* "
    "to get exactly that; the code below is then the lesson's experiment, and prints the "
    "leaderboard's numbers. In 100 steps nobody reaches (1, 1): momentum gets furthest.",
    title="Why these defaults? (the lesson's race)",
)
explain(
    "The paths follow `torch.optim`'s own update rules: the same formulas, defaults and "
    "float32 arithmetic as `SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad` and `NAdam`, "
    "computed for all racers at once so the race redraws instantly (one "
    "`optimizer.step()` per racer per step would take seconds). Tests check every one "
    "against the real class: at the default settings they agree to float32 rounding "
    "(within 1e-6 over the tested steps). Where a path swings wildly, such rounding "
    "differences can grow over many steps. L-BFGS, whose line search is not a "
    "per-coordinate rule, runs as the real `torch.optim.LBFGS`.\n\n"
    "The code below uses the real classes with autograd and prints the leaderboard's "
    "final losses and positions.",
    title="How the race is computed",
)
show_code(generated_code(surf_key, tuple(racers), (x0, y0), steps))
