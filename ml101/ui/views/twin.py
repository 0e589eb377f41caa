"""The NumPy vs PyTorch page: the lesson-4 network by hand and its PyTorch twin trained
side by side, their gradients, their code, and the three ways to save a model.

The main picture (`np_picture`) sits beside the training controls: whether this seed
solved the data (and if not, which ReLU units died), both networks' loss curves over the
per-step difference between them, and both decision maps.

Widgets, calls into the core, rendering. They live in a module rather than in the page
script because Streamlit compiles a page script (with its "magic" AST pass) on every
AppTest run; an imported module compiles once. Training runs once per setup for the
whole server (st.cache_resource), so a rerun that changes only a view never retrains and
a lecture hall opening the page at once trains once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd
import streamlit as st
import torch

from ml101 import datasets, runtime, style
from ml101.inputs import InputError, fmt_shape
from ml101.layers import simplenet
from ml101.training import saving as model_saving
from ml101.twin import charts, describe, pair
from ml101.twin.code import code_for
from ml101.twin.numpy_net import NeuralNetwork
from ml101.twin.pair import Outcome, TwinError, TwinRun, TwinSetup
from ml101.ui import controls, layout
from ml101.ui.layout import explain, show_code, stage
from ml101.ui.presenter import is_presenting

KEEP = {"persist_state": "page"}  # controls of a hidden tab keep their values
TABS = ["Train side by side", "Gradients", "The code", "Saving a model"]
TARGET = 1e-6
LESSON = {"np_data": "xor", "np_spec": "2-4-1", "np_act": "relu", "np_lr": 0.5, "np_ep": 2000,
          "np_dt": "float64", "np_seed": 0}
PRESETS = {  # each lists what it sets; the URL keys are the controls' own
    "The lesson's XOR": LESSON,
    "An unlucky seed": {**LESSON, "np_seed": 1},  # 75%: three of four ReLUs end up dead
    "Two moons": {"np_data": "moons", "np_spec": "2-16-16-1", "np_act": "relu", "np_lr": 0.5,
                  "np_ep": 1000, "np_n": 200, "np_noise": 0.1, "np_dt": "float64"},
    "float32 drifts": {**LESSON, "np_dt": "float32"},
}
MAX_LISTED = 8  # points named one by one in the verdict; more are counted


@st.cache_data(max_entries=64, show_spinner=False)
def load_data(s: TwinSetup) -> tuple[torch.Tensor, torch.Tensor]:
    """The dataset for this setup: deterministic, so shared between users."""
    return pair.load_data(s)


class ServerBusy(Exception):
    """Every heavy-work slot stayed taken: nothing is cached, the learner may retry."""


@dataclass
class Trained:
    """One setup's shared result (read-only: every learner with this setup sees it)."""

    run: TwinRun
    grid: pd.DataFrame
    outcome: Outcome


@st.cache_resource(max_entries=16, show_spinner=False)
def shared_run(s: TwinSetup, _X: torch.Tensor, _y: torch.Tensor) -> Trained:
    """Train once per setup for the whole server (the data follows from the setup): a
    lecture hall opening this page at once shares one run instead of queueing one each,
    and Streamlit makes the others wait for it. Callers treat the result as read-only."""
    with runtime.heavy_slot(wait_s=20) as got:
        if not got:
            raise ServerBusy
        run = pair.train_side_by_side(s, _X, _y)
    return Trained(run, pair.boundary_grid(run, _X), pair.outcome(run, _X, _y))


# Picture sizes, px: (loss chart, difference chart, each decision map), by presenter mode.
SIZES = {False: (120, 55, 170), True: (160, 60, 240)}
PRESENT_TYPE = 1.45  # chart type on a projector, as the presenter's page type grows


@st.cache_resource(max_entries=32, show_spinner=False)
def pictures(s: TwinSetup, presenting: bool, _t: Trained, _X: torch.Tensor, _y: torch.Tensor
             ) -> tuple[dict, list[dict], dict]:
    """The loss chart, both maps and the units chart, built once per setup and size."""
    loss_px, diff_px, map_px = SIZES[presenting]
    maps = [charts.boundary_chart(_t.grid, _X, _y, which, map_px, legend=which == "PyTorch")
            for which in ("NumPy", "PyTorch")]  # one colour bar serves both maps
    return charts.loss_chart(_t.run, loss_px, diff_px), maps, charts.units_chart(_t.outcome)


def chart(spec: dict, alt: str, width: str = "content") -> None:
    """Draw a cached Vega-Lite spec, with its text alternative; on a projector its type
    grows with the page's."""
    if is_presenting():
        spec = {**spec, "config": style.chart_config(PRESENT_TYPE)}
    layout.chart(spec, alt, width=width)


def train(s: TwinSetup, X: torch.Tensor, y: torch.Tensor) -> Trained | None:
    """The shared result for this setup, with a spinner while it trains (a progress bar
    cannot be drawn from inside a cached function); None if the server is too busy."""
    try:
        with st.spinner(f"Training both networks for {s.epochs:,} steps…", show_time=True):
            return shared_run(s, X, y)
    except ServerBusy:
        st.warning("The server is busy training for other learners; try again in a moment.")
        return None


# --- The first screen: scenes, controls, the picture --------------------------------------

def scenes() -> None:
    """Presets, one button each; each sets its controls (and so the URL)."""
    for label, values in PRESETS.items():
        st.button(label, key=f"np_pre_{label[:6]}", on_click=controls.apply_preset,
                  args=(values,), width="stretch")


def settings() -> TwinSetup:
    """The controls beside the picture; scenes and rarely changed settings in popovers.
    Stops the page with a clear error if they cannot train."""
    row = st.container(horizontal=True, gap="small")  # wraps rather than cuts a label
    with row, st.popover("Scenes", icon=":material/movie:",
                                 help="Presets: the lesson's XOR, an unlucky seed, two moons, "
                                      "float32"):
        scenes()
    names = {n: datasets.DATASETS[n].label for n in pair.DATASETS}
    data = controls.selectbox("Data", pair.DATASETS, key="np_data",
                              format_func=lambda n: names.get(n, n))
    a, b = st.columns(2)
    with a:
        spec = controls.text_input("Widths", value="2-4-1", key="np_spec",
                                   help="From 2 inputs to 1 output, e.g. 2-4-1 or 2-16-16-1.")
    with b:
        hidden = controls.selectbox("Hidden activation", pair.HIDDEN, key="np_act")
    a, b = st.columns(2)
    with a:
        lr = controls.slider("Learning rate", 0.01, 2.0, 0.5, step=0.01, key="np_lr")
    with b:
        epochs = int(controls.number_input("Steps (epochs)", 1, pair.MAX_EPOCHS, 2000,
                                           step=100, key="np_ep"))
    seed = controls.seed_input("np_seed")
    spec_ds = datasets.DATASETS[data]
    n_samples, noise = spec_ds.default_size, 0.0
    with row, st.popover("More", icon=":material/tune:",
                               help="Precision, and the size and noise of sampled data"):
        dtype = controls.segmented_control("Precision", list(pair.DTYPES), default="float64",
                                           key="np_dt") or "float64"
        if data == "xor":
            st.caption("XOR is the lesson's four fixed points: no samples or noise to set.")
        else:
            n_samples = controls.slider("Samples", 20, pair.MAX_SAMPLES, 200, step=10,
                                        key="np_n")
            noise = controls.slider("Noise", 0.0, 0.5, spec_ds.default_noise, step=0.01,
                                    key="np_noise")
    try:
        return pair.setup(data, n_samples, noise, simplenet.parse_spec(spec), hidden, epochs,
                          float(lr), seed, dtype)
    except (InputError, TwinError) as exc:
        st.error(str(exc))
        st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the run


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _units(units: list[pair.Unit]) -> str:
    return f"unit{'s' if len(units) > 1 else ''} {_listed([str(u) for u in units])}"


def _points(X: torch.Tensor, idx: list[int]) -> str:
    if len(idx) > MAX_LISTED:
        return f"{len(idx)} points"
    pts = [f"({X[i, 0].item():g}, {X[i, 1].item():g})" for i in idx]
    return f"point{'s' if len(pts) > 1 else ''} {_listed(pts)}"


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def verdict(s: TwinSetup, out: Outcome, X: torch.Tensor) -> None:
    """Solved or not, plainly; for a failed ReLU network, which units died and why."""
    score = f"{out.correct} of {out.n} training points right ({out.accuracy:.1%})"
    if out.solved:
        st.success(f"**Solved**: {score}.", icon=":material/check_circle:")
        return
    if s.data != "xor":  # noisy samples: not every point can be right
        dead = (f" Dead ReLUs (off for every point): {_units(out.dead_end)}."
                if out.dead_end else "")
        st.info(f"{score}.{dead}", icon=":material/info:")
        return
    dead = f" Dead ReLUs: {_units(out.dead_end)}." if out.dead_end else ""
    st.warning(f"**Not solved**: {score}.{dead}", icon=":material/warning:")
    why = []
    if out.dead_end:
        why.append("A dead ReLU outputs 0 for every point, so no gradient reaches it and it "
                   "never changes again.")
        died = [u for u in out.dead_end if u not in out.dead_start]
        how = []  # dead_end is dead_start and died together: one of them is not empty
        if out.dead_start:
            how.append(f"{_units(out.dead_start)} "
                       f"{'was' if len(out.dead_start) == 1 else 'were'} dead from the start "
                       "(an unlucky initialisation)")
        if died:
            how.append(f"{_units(died)} died during training")
        why.append(_first_up("; ".join(how)) + ".")
    if out.blind and out.blind_classes > 1:
        why.append(f"{_first_up(_points(X, out.blind))} switch off every unit: they all get "
                   f"the same answer, {out.blind_output:.3f}, so they cannot all be right.")
    elif not out.dead_end:
        why.append("No unit is dead: more steps or another learning rate may solve it.")
    explain(" ".join(why), "Why it fails")


@dataclass
class Shown:
    """What the first screen set up and drew, for the sections below it."""

    setup: TwinSetup
    X: torch.Tensor
    y: torch.Tensor
    trained: Trained | None


def stage_section() -> Shown:
    """The first screen: the picture beside the controls that move it."""
    left, right = stage()
    with right:
        verdict_slot = st.container()
        s = settings()
    X, y = load_data(s)
    with left, st.container(key="np_picture"):
        t = train(s, X, y)
        if t is not None:
            loss_spec, maps, _ = pictures(s, is_presenting(), t, X, y)
            chart(loss_spec, describe.loss(t.run), "stretch")
            with st.container(horizontal=True, gap="small"):
                for spec in maps:
                    chart(spec, describe.boundary(t.grid, spec["title"], t.run))
    if t is not None:
        with verdict_slot:
            verdict(s, t.outcome, X)
    return Shown(s, X, y, t)


# --- The tabs below ---------------------------------------------------------------------

def train_tab(s: TwinSetup, t: Trained, X: torch.Tensor, y: torch.Tensor) -> None:
    r = t.run
    ok = r.max_loss_diff < TARGET
    with st.container(horizontal=True, gap="large"):
        st.metric("Largest per-step loss difference", f"{r.max_loss_diff:.2e}",
                  delta=f"{'below' if ok else 'above'} 1e-6",
                  delta_color="normal" if ok else "inverse", delta_arrow="off",
                  help="max over all steps of |NumPy loss − PyTorch loss|", width="content")
        st.metric("Largest weight difference after training", f"{r.max_param_diff:.2e}",
                  width="content")
        st.metric("First loss (NumPy | PyTorch)",
                  f"{r.losses_np[0]:.6f} | {r.losses_torch[0]:.6f}", width="content")
        st.metric("Final loss (NumPy | PyTorch)",
                  f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}", width="content")
    if not ok and s.dtype == "float64":
        st.info("The two drift apart here. Their matrix products add the same numbers in a "
                "different order, so they differ in the last bit; when training is unstable "
                "(a high learning rate bouncing around), such tiny differences grow step after "
                "step. Lower the learning rate and they agree again.")
    elif s.dtype == "float32":
        st.info("In float32 every operation rounds to about 7 significant digits, so the "
                "different order of additions in the two libraries shows up sooner. Switch to "
                "float64 to see agreement to about 1e-15.")
    st.caption(f"Largest difference between the two decision maps: "
               f"{(t.grid['NumPy'] - t.grid['PyTorch']).abs().max():.2e}.")
    steps = len(r.losses_np)
    with st.container(horizontal=True, gap="large"):
        st.metric("NumPy training time", f"{r.seconds_np * 1e3:,.1f} ms",
                  help=f"{r.seconds_np / steps * 1e6:,.1f} µs per step", width="content")
        st.metric("PyTorch training time", f"{r.seconds_torch * 1e3:,.1f} ms",
                  help=f"{r.seconds_torch / steps * 1e6:,.1f} µs per step", width="content")
        st.metric("PyTorch ÷ NumPy", f"{r.seconds_torch / r.seconds_np:.2f}×", width="content")
    st.caption(f"Measured in the same run on this server ({steps:,} steps each, "
               f"{runtime.torch_threads()} torch thread(s)). For networks this small PyTorch "
               "pays a fixed cost per operation (autograd bookkeeping, dispatch) that dwarfs the "
               "arithmetic; its advantage appears with big matrices, batches and GPUs.")
    if s.hidden == "relu" and len(s.sizes) > 2:
        hidden_units(s, t, X, y)


def hidden_units(s: TwinSetup, t: Trained, X: torch.Tensor, y: torch.Tensor) -> None:
    """Which ReLUs are on for how many points, before and after; for a few points, the
    last hidden layer's output point by point."""
    _, _, units = pictures(s, is_presenting(), t, X, y)
    chart(units, describe.units(t.outcome), "stretch")
    out = t.outcome
    if out.n <= MAX_LISTED:  # a Markdown table: no Arrow round trip on every rerun
        units = out.last_hidden.shape[1]
        head = ["point, class", *(f"unit {u + 1}" for u in range(units)), "P(class 1)"]
        rows = [[f"({X[i, 0].item():g}, {X[i, 1].item():g}), y = {y[i, 0].item():g}",
                 *(f"{v:.3f}" for v in out.last_hidden[i]), f"{t.run.pred_torch[i]:.3f}"]
                for i in range(out.n)]
        st.markdown("**The last hidden layer's output, point by point** (after training)\n\n"
                    + "\n".join("| " + " | ".join(r) + " |"
                                for r in [head, ["---"] * len(head), *rows]))
    st.caption("A ReLU unit that is off (0) for every training point is dead: its gradient is "
               "0, so gradient descent never changes its weights again. Points that switch "
               "off every unit all get the same output, whatever their class.")


def gradients_tab(s: TwinSetup, t: Trained, X: torch.Tensor, y: torch.Tensor) -> None:
    when = controls.segmented_control("Compare gradients at", ["start", "end"], default="start",
                                      key="np_when", **KEEP, format_func=lambda w: {
                                          "start": "the shared initial weights",
                                          "end": "the trained weights"}[w])
    # The trained model is shared by every learner: check gradients on a private copy.
    model = copy.deepcopy(t.run.model) if when == "end" else pair.initial_model(s)
    rows = pair.gradient_check(model, s.hidden, X, y)
    worst = max(row.max_abs_diff for row in rows)
    st.metric("Largest |manual − autograd| over every gradient", f"{worst:.2e}")
    st.dataframe(pd.DataFrame([{
        "layer": row.layer, "NumPy": f"d{row.param}{row.layer}",
        "PyTorch": f"{row.torch_name}.grad",
        "shape": fmt_shape(row.shape), "largest |gradient|": row.max_abs_grad,
        "largest |difference|": row.max_abs_diff} for row in rows]),
        hide_index=True, width="stretch",
        column_config={"largest |gradient|": st.column_config.NumberColumn(format="%.3e"),
                       "largest |difference|": st.column_config.NumberColumn(format="%.3e")})
    a, b = st.columns(2)
    with a:
        st.markdown("**By hand** (`DenseLayer.backward`)")
        st.code("dZ = dA * g'(Z)\ndW = dZ @ A_prev.T\ndb = dZ.sum(axis=1, keepdims=True)\n"
                "dA_prev = W.T @ dZ", language="python")
    with b:
        st.markdown("**By autograd**")
        st.code("loss = nn.BCELoss()(model(X), y)\nloss.backward()\n"
                "model[0].weight.grad  # and every other .grad", language="python")


def code_tab(s: TwinSetup) -> None:
    n = s.n_samples
    flip = pd.DataFrame({
        "": ["data X", "one layer", "weight W", "bias b", "output"],
        "NumPy (lesson 4)": [f"(features, samples) = (2, {n})", "Z = W @ A_prev + b",
                             "(n_out, n_in)", "(n_out, 1): a column", f"(1, {n})"],
        "PyTorch": [f"(samples, features) = ({n}, 2)", "y = x @ W.T + b",
                    "(out_features, in_features)", "(out_features,)", f"({n}, 1)"],
    })
    st.markdown("**The layout flip.** NumPy puts samples along axis 1, PyTorch along axis 0. "
                "The weight matrices have the same shape in both, so they copy across as they "
                "are; only the data is transposed (`X.numpy().T`) and the bias reshaped.")
    st.table(flip.set_index(""))
    a, b = st.columns(2)
    with a:
        st.markdown("**NumPy, by hand** (the code this page runs)")
        st.code(code_for(NeuralNetwork()), language="python")
    with b:
        st.markdown("**PyTorch**")
        st.code(code_for(pair.initial_model(s)), language="python")


def saving_tab(seed: int) -> None:
    runs: dict = st.session_state.setdefault("np_saves", {})
    if st.button("Run it again", key="np_save_again", icon=":material/replay:"):
        runs.pop(seed, None)
    if seed not in runs:
        runs[seed] = model_saving.three_ways(seed)
    rep = runs[seed]
    st.caption("Run live in a temporary folder (deleted afterwards) when you opened this tab, "
               "on the lesson's 10-20-1 model after 20 Adam steps.")
    c = st.columns(3)
    with c[0]:
        st.markdown("**1. `state_dict`** (recommended)")
        st.code("torch.save(model.state_dict(), 'model_state.pth')\n"
                "new_model.load_state_dict(torch.load('model_state.pth', weights_only=True))",
                language="python")
        st.markdown(f"{rep.state_bytes:,} bytes; keys {', '.join(rep.state_keys)}. "
                    f"Round trip identical: **{rep.state_equal}** (first weights "
                    f"{rep.first_weights} → {rep.loaded_weights}).")
    with c[1]:
        st.markdown("**2. The whole model** (the lesson's method 1)")
        st.code("torch.save(model, 'model.pth')\ntorch.load('model.pth')  # fails on 2.6+",
                language="python")
        if rep.pickle_error:
            st.warning(f"{rep.pickle_error_type}: {rep.pickle_error.splitlines()[0]} … "
                       + next((ln.strip() for ln in rep.pickle_error.splitlines()
                               if "Unsupported global" in ln), ""))
        st.markdown(f"Saving worked ({rep.pickle_bytes:,} bytes), loading did not: since "
                    "PyTorch 2.6 `torch.load` defaults to `weights_only=True` and refuses to "
                    "rebuild arbitrary classes, because unpickling can run any code the file "
                    "names. The cure is not `weights_only=False` (trust the file completely or "
                    "don't) but saving the state_dict instead.")
    with c[2]:
        st.markdown("**3. A checkpoint** (model + optimizer)")
        st.code("torch.save({'epoch': epoch, 'model_state_dict': model.state_dict(),\n"
                "            'optimizer_state_dict': optimizer.state_dict(),\n"
                "            'loss': loss}, 'checkpoint.pth')", language="python")
        st.markdown(f"{rep.ckpt_bytes:,} bytes; keys {', '.join(rep.ckpt_keys)}; "
                    f"epoch {rep.ckpt_epoch}. After 20 more steps:")
        st.dataframe(pd.DataFrame({
            "run": ["never stopped", "resumed from checkpoint", "weights only, new Adam"],
            "loss": [rep.uninterrupted_loss, rep.resumed_loss, rep.fresh_optimizer_loss]}),
            hide_index=True, column_config={"loss": st.column_config.NumberColumn(
                format="%.10f")})
        st.caption("Resuming with the optimizer's state (Adam's moment estimates) continues "
                   "exactly; a fresh optimizer takes different steps.")
    show_code(model_saving.code_for(seed), title="Show the code: three ways to save")


def tabs_section(shown: Shown) -> None:
    """The details below the picture; only the open tab runs."""
    s, X, y, t = shown.setup, shown.X, shown.y, shown.trained
    tabs = controls.tabs(TABS, key="np_tab")
    train, grads, code, saving = (tab.open is not False for tab in tabs)
    if t is not None and train:
        with tabs[0]:
            train_tab(s, t, X, y)
    if t is not None and grads:
        with tabs[1]:
            gradients_tab(s, t, X, y)
    if code:
        with tabs[2]:
            code_tab(s)
    if saving:
        with tabs[3]:
            saving_tab(s.seed)


def code_section(shown: Shown) -> None:
    """What is going on, and the script that prints this page's numbers."""
    explain(
        "Both networks compute exactly the same function: a Linear layer is `W @ a + b` in NumPy "
        "(samples as columns) and `x @ W.T + b` in PyTorch (samples as rows), with the same W. "
        "NumPy needs a hand-written backward pass for every layer; PyTorch records the forward "
        "pass and `loss.backward()` walks it back. The loss gradient carries the 1/m of the mean, "
        "and the binary cross-entropy is clipped exactly as PyTorch's `BCELoss` clips it, which is "
        "why the two agree to the last few bits in float64.\n\n"
        "The lesson's 2-4-1 ReLU network does not solve XOR from every start: a ReLU that is "
        "off for all four points gets no gradient and stays off, and points that switch off "
        "every unit get one shared answer. Try the unlucky seed, or a wider hidden layer.",
        "What is going on?")
    show_code(code_for(shown.setup))

