"""One training step: a real network's zero_grad, forward, loss, backward and step, op by op.

Main picture (`ts_picture`): the network drawn layer by layer at the current sub-step,
every tensor a block of cells in place (the batch x, each layer's W.T and b above its
output, the activations, the targets and the loss, the gradients mirrored below), the
followed sample's row outlined, under a strip naming the five stages with the current
one lit. The player (Play / Back / Step / Reset) walks the sub-steps; Next batch and
Run 100 steps move the training on; the settings sit in popovers beside the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ml101 import datasets, losses, models, runtime
from ml101.inputs import InputError
from ml101.optimizers import OPTIMIZERS
from ml101.step import arithmetic, charts, describe
from ml101.step import frames as fr
from ml101.step.code import code_for
from ml101.step.record import StepRecord, every_number
from ml101.step.run import GRID, Run
from ml101.step.settings import (
    DATASET_KEYS,
    MAX_BATCH,
    MAX_DONE,
    MAX_SAMPLES,
    MIN_SAMPLES,
    OPTIMIZER_KEYS,
    StepSettings,
    parse_hidden,
)
from ml101.ui import controls, state
from ml101.ui.layout import chart, explain, picture_px, show_code
from ml101.ui.layout import stage as columns
from ml101.ui.player import Player, Tick, Transport
from ml101.ui.presenter import is_presenting

FRAME = "ts_frame"  # the sub-step: a URL parameter
DONE = "ts_done"  # steps already taken before the one shown: a URL parameter
SPEEDS = (2.0, 1.0, 0.5, 0.25)  # seconds per sub-step while playing
LRS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0)
# Each optimizer keeps its own learning rate (ts_lr_<key>): what suits SGD on XOR (the
# lesson's 0.5) would throw Adam, which moves every weight by about lr, far off.
DEFAULT_LR = {"sgd": 0.5, "momentum": 0.1, "nesterov": 0.1, "adam": 0.05, "adamw": 0.05,
              "rmsprop": 0.01, "adagrad": 0.3}
BETA1S = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
BETA2S = (0.9, 0.99, 0.999, 0.9999)
LONG_REPLAY = 200  # replays longer than this wait for a heavy-work slot
STAGE_MARKS = ("①", "②", "③", "④", "⑤")
# On a screen narrower than the picture (a phone) it shrinks to fit, keeping its shape.
FIT_NARROW = """<style>
.st-key-ts_picture svg.marks { max-width: 100%; height: auto; }
</style>"""


@dataclass(frozen=True)
class Shown:
    """What the later sections need from the stage."""

    settings: StepSettings
    run: Run
    record: StepRecord
    done: int


def stage() -> Shown | None:
    """The first screen: the transport and the picture, the settings beside them."""
    picture, side = columns(controls=1.0, picture=1.8)
    with side:
        position = st.container()
        buttons = st.container()
        sample_box = st.container()
        settings = _settings()
    if settings is None:
        with picture, st.container(key="ts_picture"):
            st.info("Fix the setting named in red to see the step.",
                    icon=":material/tune:")
        return None
    run = state.rebuilt("ts_run", settings, lambda: Run(settings))
    done = int(st.session_state.get(DONE, 0))
    with buttons:
        _training_buttons(done)
    record = _reach(run, done)
    steps = fr.frames(record)
    with sample_box:
        sample = _sample(record)
    with position:
        b = record.batch
        st.markdown(f"**Training step {b.number}** · epoch {b.epoch}, batch {b.index} of "
                    f"{b.per_epoch} · rows {', '.join(map(str, b.rows.tolist()))}")
    with side:
        _side_pictures(run, record, sample)
    with picture:
        transport, speed_box = st.columns([4, 1], vertical_alignment="bottom")
        with speed_box, st.popover("Speed", icon=":material/timer:", width="stretch"):
            speed = float(controls.select_slider(
                "Seconds per sub-step", list(SPEEDS), value=1.0, key="ts_speed",
                format_func=lambda v: f"{v:g} s", help="How long Play shows each sub-step"))
        # One sub-step per tick: the timer runs at the chosen speed.
        player = Player("ts", _walk(len(steps), speed), tick_s=speed, what="stepping")
        if st.session_state.get("ts_shown_run") != id(run):
            st.session_state["ts_shown_run"] = id(run)
            player.pause()  # new settings under a playing view: start from stillness
        with transport:
            player.controls()
        player.live(lambda: _picture(settings, record, sample))
    return Shown(settings, run, record, done)


def _settings() -> StepSettings | None:
    """The popovers: network and data, optimizer, batch and seed. None (after a clear
    st.error) when a setting cannot run."""
    with st.container(horizontal=True, gap="small"):
        net = st.popover("Network", icon=":material/hub:")
        opt = st.popover("Optimizer", icon=":material/speed:")
        batch = st.popover("Batch and seed", icon=":material/view_module:")
    with net:
        dataset = controls.selectbox("Data", list(DATASET_KEYS), key="ts_data",
                                     format_func=lambda k: datasets.DATASETS[k].label)
        hidden_text = controls.text_input(
            "Hidden layers", value="4", key="ts_hidden",
            help="Units per hidden layer, e.g. 4 (the lesson's 2-4-1) or 8, 8. Empty: no "
                 "hidden layer.")
        activation = controls.selectbox("Activation", list(models.ACTIVATIONS),
                                        key="ts_act")
        loss = controls.selectbox("Loss", list(losses.LOSSES), index=1, key="ts_loss",
                                  format_func=lambda k: losses.LOSSES[k].label)
        n = controls.slider("Samples in the data", MIN_SAMPLES, MAX_SAMPLES, 32,
                            key="ts_n", disabled=dataset == "xor",
                            help="XOR has exactly its 4 rows.")
    with opt:
        key = controls.selectbox("Optimizer", list(OPTIMIZER_KEYS), key="ts_opt",
                                 format_func=lambda k: OPTIMIZERS[k].label)
        lr = controls.select_slider("Learning rate", list(LRS), value=DEFAULT_LR[key],
                                    key=f"ts_lr_{key}", format_func=lambda v: f"{v:g}")
        momentum = controls.slider("Momentum μ", 0.0, 0.99, 0.9, step=0.01,
                                   key="ts_momentum",
                                   disabled=key not in ("momentum", "nesterov"))
        b1 = controls.select_slider("β1 (Adam's m)", list(BETA1S), value=0.9, key="ts_beta1",
                                    disabled=key not in ("adam", "adamw"))
        b2 = controls.select_slider("β2 (Adam's v)", list(BETA2S), value=0.999,
                                    key="ts_beta2", disabled=key not in ("adam", "adamw"))
        st.caption(OPTIMIZERS[key].blurb)
    with batch:
        bs = controls.slider("Batch size", 1, MAX_BATCH, 4, key="ts_bs")
        shuffle = controls.toggle("shuffle=True", value=True, key="ts_shuffle",
                                  help="A fresh order every epoch, drawn from the seed")
        seed = controls.seed_input("ts_seed")
        controls.number_input(
            "Steps already taken", 0, MAX_DONE, 0, step=1, key=DONE,
            help="The step shown is the next one. Next batch adds 1, Run 100 steps adds "
                 "100; a link with this number replays the run to the same step.")
        st.button("Start over", key="ts_restart", on_click=_go, args=(0,),
                  icon=":material/restart_alt:", help="The untrained network, step 1")
    try:
        hidden = parse_hidden(hidden_text)
    except InputError as err:
        st.error(f"Hidden layers: {err}", icon=":material/error:")
        return None
    try:
        settings = StepSettings(dataset, int(n), hidden, activation, loss, key, float(lr),
                                float(momentum), (float(b1), float(b2)), int(bs),
                                bool(shuffle), int(seed))
    except InputError as err:
        st.error(f"{err}", icon=":material/error:")
        return None
    sizes = " → ".join(map(str, (2, *hidden, settings.n_out)))
    act = f" {activation}" if hidden else " (no hidden layer)"
    st.caption(f"{sizes}{act} · {losses.LOSSES[loss].code} · "
               f"{OPTIMIZERS[key].label} lr {lr:g} · batch {bs}")
    return settings


def _go(to: int) -> None:
    st.session_state[DONE] = max(0, min(to, MAX_DONE))


def _training_buttons(done: int) -> None:
    with st.container(horizontal=True, gap="small"):
        st.button("Next batch", key="ts_next", on_click=_go, args=(done + 1,),
                  icon=":material/arrow_forward:", shortcut="Shift+N",
                  disabled=done >= MAX_DONE, help="Run this step and show the next one")
        st.button("Run 100 steps", key="ts_run100", on_click=_go, args=(done + 100,),
                  icon=":material/fast_forward:", disabled=done >= MAX_DONE,
                  help="Train on 100 more batches, then show the next step in full")


def _reach(run: Run, done: int) -> StepRecord:
    """The record of step done + 1; a long replay waits for a heavy-work slot."""
    if run.record is not None and abs(done - run.taken) <= LONG_REPLAY:
        return run.go_to(done)
    with st.spinner(f"Replaying {done:,} steps…"), runtime.heavy_slot(wait_s=30) as got:
        if not got:  # still none free: replay anyway rather than leave the page empty
            state.busy_notice("training")
        return run.go_to(done)


def _sample(record: StepRecord) -> int:
    n = len(record.batch.x)
    if n == 1:
        st.caption("One sample per batch: row 0 is the one followed.")
        return 0
    state.clamp("ts_sample", 0, n - 1)
    return int(controls.slider("Follow sample (row of the batch)", 0, n - 1, 0,
                               key="ts_sample",
                               help="Its row is outlined in every tensor, and the zoom "
                                    "under the picture works out its numbers"))


def _frame_now(n: int) -> int:
    """The sub-step, 1 to n. The transport is drawn before the slider, so on a link's first
    run the slider's value is still only in the URL."""
    value = st.session_state.get(FRAME, st.query_params.get(FRAME, n))
    try:
        return min(max(int(value), 1), n)
    except (TypeError, ValueError):
        return n


def _walk(n: int, speed: float) -> Transport:
    """The sub-steps (1 to n, as the slider counts) as a transport: a step is one frame;
    at the end, Play starts over."""
    def now() -> int:
        return _frame_now(n)

    def go(k: int) -> None:
        st.session_state[FRAME] = min(max(k, 1), n)

    def advance(seconds: float, _speed: object) -> Tick:
        go(now() + max(1, round(seconds / speed)))
        return Tick.DONE if now() >= n else Tick.MOVED

    def step() -> Tick:
        go(now() + 1)
        return Tick.DONE if now() >= n else Tick.MOVED

    return Transport(advance=advance, step=step, reset=lambda: go(1),
                     back=lambda: go(now() - 1), at_end=lambda: now() >= n,
                     at_start=lambda: now() <= 1)


def _picture(settings: StepSettings, record: StepRecord, sample: int) -> None:
    """The animated part: the stage strip, the picture, the sub-step slider, the zoom."""
    steps = fr.frames(record)
    state.clamp(FRAME, 1, len(steps))
    top = st.container()  # filled once the slider (under it) has read the URL's ts_frame
    k = int(controls.slider(
        "Sub-step", 1, len(steps), len(steps), key=FRAME,
        help="Each sub-step is one layer forward, one node of backward(), or one part of "
             "zero_grad() and step(). ∇ marks a gradient: ∇W1 is W1.grad = ∂L/∂W1; Δ is "
             "what step() changed.")) - 1
    scene = fr.scene(record, k)
    with top, st.container(key="ts_picture"):
        st.markdown(" ".join(
            f":{'orange' if s is scene.frame.stage else 'gray'}-badge[{mark} {s.value}]"
            for mark, s in zip(STAGE_MARKS, fr.STAGES, strict=True))
            + f"  \n**{k + 1}/{len(steps)}** · {scene.title}")
        presenting = is_presenting()
        spec = charts.canvas(scene, fr.blocks(record), sample, picture_px(),
                             660 if presenting else 500, 1.3 if presenting else 1.0)
        st.html(FIT_NARROW)
        chart(spec, describe.canvas(scene, fr.blocks(record)), width="content")
    _zoom(settings, record, k, sample)


def _zoom(settings: StepSettings, record: StepRecord, k: int, sample: int) -> None:
    lines = arithmetic.lines(settings, record, k, sample)
    with st.container(border=True):
        for line in lines:
            formula = f"`{line.formula}`" if line.formula else ""
            value = f" = **{line.value}**" if line.value else ""
            st.markdown(f"{line.label}  \n{formula}{value}" if formula else
                        f"{line.label}{value}")
        if not arithmetic.is_finite(record):
            st.warning("The loss is no longer a number: the learning rate is too large for "
                       "this network. Lower it in the Optimizer popover.",
                       icon=":material/warning:")


def _side_pictures(run: Run, record: StepRecord, sample: int) -> None:
    """The data with the batch ringed over the model's regions, and the loss so far."""
    size = 300 if is_presenting() else 250
    # Built once per step, sample and size: a sub-step move leaves the data as it is.
    at = (run.settings, record.batch.number)  # what the step is, whatever object holds it
    spec = state.rebuilt("ts_points", (at, sample, size), lambda: charts.points(
        run.X, run.labels, record.batch.rows, sample, run.grid, run.regions, GRID, size))
    chart(spec, describe.points(run.labels, record.batch.rows, sample), width="content")
    chart(charts.losses(run.losses, size, 90), describe.losses(run.losses), width="content")
    st.caption(f"Loss on this batch: **{record.loss:.4f}** before the step, "
               f"**{record.loss_after:.4f}** after.")


def numbers(shown: Shown | None) -> None:
    """Every tensor of the step as a table: the picture's text alternative, and the
    numbers the code prints."""
    if shown is None:
        return
    with st.expander("Every number of this step, as a table", icon=":material/table:"):
        table = state.rebuilt("ts_table", (shown.settings, shown.record.batch.number),
                              lambda: pd.DataFrame(every_number(shown.record)))
        st.dataframe(table, hide_index=True, width="stretch",
                     height=300, column_config={"value": st.column_config.NumberColumn(
                         format="%.6g")})


def explanation() -> None:
    explain(
        "One pass of the lesson's loop is five calls, and this page runs them on a real "
        "network and batch, reading every number from PyTorch itself: forward hooks give "
        "each layer's output, a hook on every node of the recorded graph gives the "
        "gradient that reaches it, and `optimizer.state` holds what the optimizer keeps.\n\n"
        "**zero_grad()** sets every `.grad` to `None` (PyTorch's default, "
        "`set_to_none=True`). Without it, backward() would *add* this batch's gradients to "
        "the last batch's. The lesson calls it after computing the loss; anywhere before "
        "backward() works the same.\n\n"
        "**Forward**: a `Linear` layer computes `x @ W.T + b`. W has shape (out, in), so the "
        "picture draws W.T: row i of the batch meets column j of W.T at output [i, j].\n\n"
        "**The loss**: this page starts from the lesson's `nn.Sigmoid()` head with "
        "`nn.BCELoss()`. `nn.BCEWithLogitsLoss()` on the raw score computes the same loss "
        "more safely: in float32 the sigmoid of a score above about 16.7 rounds to exactly 1, "
        "so BCELoss clamps its log at -100 and no gradient flows back through the sigmoid. "
        "Pick it in the Network popover and the loss node takes z2 directly.\n\n"
        "**backward()** runs the graph from the loss back to the weights, one node at a "
        "time in the order of the engine: `AddmmBackward0` is the Linear's matrix product, "
        "`TBackward0` its `.T`, and `AccumulateGrad` writes a parameter's `.grad`. The "
        "batch x needs no gradient, so the engine never computes one for it.\n\n"
        "**step()** turns each `.grad` into an update: plain SGD moves by `-lr * grad`; "
        "momentum steps along a running sum of gradients; Adam divides a running mean of "
        "gradients by the root of a running mean of their squares, so every weight moves "
        "by about lr whatever its gradient's size. The update blocks show the difference "
        "at a glance.",
        title="What is going on?",
    )


def code(shown: Shown | None) -> None:
    if shown is not None:
        show_code(code_for(shown.settings, shown.done))
