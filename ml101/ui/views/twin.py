"""The NumPy vs PyTorch page: the lesson-4 network by hand and its PyTorch twin trained
side by side, their gradients, their code, and the three ways to save a model.

Widgets, calls into the core, rendering. They live in a module rather than in the page
script because Streamlit compiles a page script (with its "magic" AST pass) on every
AppTest run; an imported module compiles once. Training runs once per settings for the
whole server (st.cache_resource), so a rerun that changes only a view never retrains and
a lecture hall opening the page at once trains once.
"""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st
import torch

from ml101 import datasets, runtime
from ml101.layers import simplenet
from ml101.training import saving as model_saving
from ml101.twin import pair as twin
from ml101.ui import controls
from ml101.ui.layout import explain, show_code

KEEP = {"persist_state": "page"}  # controls of a hidden tab keep their values
TABS = ["Train side by side", "Gradients", "The code", "Saving a model"]
TARGET = 1e-6
PRESETS = {
    "The lesson's XOR": {"np_data": "xor", "np_spec": "2-4-1", "np_act": "relu", "np_lr": 0.5,
                         "np_ep": 2000, "np_dt": "float64"},
    "Two moons": {"np_data": "moons", "np_spec": "2-16-16-1", "np_act": "relu", "np_lr": 0.5,
                  "np_ep": 1000, "np_n": 200, "np_noise": 0.1, "np_dt": "float64"},
    "float32 drifts": {"np_data": "xor", "np_spec": "2-4-1", "np_act": "relu", "np_lr": 0.5,
                       "np_ep": 2000, "np_dt": "float32"},
}


@st.cache_data(max_entries=64, show_spinner=False)
def load_data(name: str, n_samples: int, noise: float, seed: int, dtype: str
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The dataset for these settings: deterministic, so shared between users."""
    return twin.load_data(name, n_samples, noise, seed, dtype)


@st.cache_data(max_entries=64, show_spinner=False)
def code_for(*settings: object) -> str:
    """The generated script for these settings (assembled from module sources)."""
    return twin.code_for(*settings)


class ServerBusy(Exception):
    """Every heavy-work slot stayed taken: nothing is cached, the learner may retry."""


@st.cache_resource(max_entries=16, show_spinner=False)
def shared_race(settings: tuple, _X: torch.Tensor, _y: torch.Tensor,
                ) -> tuple[twin.Race, pd.DataFrame, dict, list]:
    """Train once per settings for the whole server (the data follows from the settings):
    a lecture hall opening this page at once shares one run instead of queueing one each,
    and Streamlit makes the others wait for it. Callers treat the result as read-only."""
    _, _, _, sizes, hidden, epochs, lr, seed, dtype = settings
    with runtime.heavy_slot(wait_s=20) as got:
        if not got:
            raise ServerBusy
        r = twin.race(sizes, hidden, _X, _y, epochs, lr, seed, dtype)
    grid = twin.boundary_grid(r, _X)
    # chart specs built once per settings, so a rerun only sends them
    maps = [twin.boundary_chart(grid, _X, _y, w) for w in ("NumPy", "PyTorch")]
    return r, grid, twin.loss_chart(r), maps


def run_race(settings: tuple, X, y) -> tuple[twin.Race, pd.DataFrame, dict, list] | None:
    """The shared result for these settings, with a spinner while it trains (a progress
    bar cannot be drawn from inside a cached function); None if the server is too busy."""
    try:
        with st.spinner(f"Training both networks for {settings[5]:,} steps…", show_time=True):
            return shared_race(settings, X, y)
    except ServerBusy:
        st.warning("The server is busy training for other learners; try again in a moment.")
        return None


def train_tab(r: twin.Race, grid: pd.DataFrame, loss_spec: dict, maps: list, dtype: str
              ) -> None:
    ok = r.max_loss_diff < TARGET
    m = st.columns(4)
    m[0].metric("Largest per-step loss difference", f"{r.max_loss_diff:.2e}",
                delta=f"{'below' if ok else 'above'} 1e-6",
                delta_color="normal" if ok else "inverse",
                help="max over all steps of |NumPy loss − PyTorch loss|")
    m[1].metric("Largest weight difference after training", f"{r.max_param_diff:.2e}")
    m[2].metric("Final loss (NumPy | PyTorch)",
                f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}")
    m[3].metric("Accuracy (PyTorch)", f"{r.accuracy:.1%}")
    st.vega_lite_chart(spec=loss_spec, width="stretch")
    if not ok and dtype == "float64":
        st.info("The two drift apart here. Their matrix products add the same numbers in a "
                "different order, so they differ in the last bit; when training is unstable "
                "(a high learning rate bouncing around), such tiny differences grow step after "
                "step. Lower the learning rate and they agree again.")
    elif dtype == "float32":
        st.info("In float32 every operation rounds to about 7 significant digits, so the "
                "different order of additions in the two libraries shows up sooner. Switch to "
                "float64 to see agreement to about 1e-15.")
    steps = len(r.losses_np)
    t = st.columns(3)
    t[0].metric("NumPy training time", f"{r.seconds_np * 1e3:,.1f} ms",
                help=f"{r.seconds_np / steps * 1e6:,.1f} µs per step")
    t[1].metric("PyTorch training time", f"{r.seconds_torch * 1e3:,.1f} ms",
                help=f"{r.seconds_torch / steps * 1e6:,.1f} µs per step")
    ratio = r.seconds_torch / r.seconds_np
    t[2].metric("PyTorch ÷ NumPy", f"{ratio:.2f}×")
    st.caption(f"Measured in the same run on this server ({steps:,} steps each, "
               f"{runtime.torch_threads()} torch thread(s)). For networks this small PyTorch "
               "pays a fixed cost per operation (autograd bookkeeping, dispatch) that dwarfs the "
               "arithmetic; its advantage appears with big matrices, batches and GPUs.")
    for col, spec in zip(st.columns(2), maps, strict=True):
        with col:
            st.vega_lite_chart(spec=spec, width="content")
    st.caption(f"Largest difference between the two maps: "
               f"{(grid['NumPy'] - grid['PyTorch']).abs().max():.2e}.")


def gradients_tab(r: twin.Race, sizes, hidden, X, y, seed, dtype) -> None:
    when = controls.segmented_control("Compare gradients at", ["start", "end"], default="start",
                                      key="np_when", **KEEP, format_func=lambda w: {
                                          "start": "the shared initial weights",
                                          "end": "the trained weights"}[w])
    # The trained model is shared by every learner: check gradients on a private copy.
    model = copy.deepcopy(r.model) if when == "end" else twin.initial_model(sizes, hidden,
                                                                              seed, dtype)
    rows = twin.gradient_check(model, hidden, X, y)
    worst = max(row.max_abs_diff for row in rows)
    st.metric("Largest |manual − autograd| over every gradient", f"{worst:.2e}")
    st.dataframe(pd.DataFrame([{
        "layer": row.layer, "NumPy": f"d{row.param}{row.layer}",
        "PyTorch": f"{row.torch_name}.grad",
        "shape": str(row.shape), "largest |gradient|": row.max_abs_grad,
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


def code_tab(n_samples: int) -> None:
    flip = pd.DataFrame({
        "": ["data X", "one layer", "weight W", "bias b", "output"],
        "NumPy (lesson 4)": [f"(features, samples) = (2, {n_samples})", "Z = W @ A_prev + b",
                             "(n_out, n_in)", "(n_out, 1): a column", f"(1, {n_samples})"],
        "PyTorch": [f"(samples, features) = ({n_samples}, 2)", "y = x @ W.T + b",
                    "(out_features, in_features)", "(out_features,)", f"({n_samples}, 1)"],
    })
    st.markdown("**The layout flip.** NumPy puts samples along axis 1, PyTorch along axis 0. "
                "The weight matrices have the same shape in both, so they copy across as they "
                "are; only the data is transposed (`X.numpy().T`) and the bias reshaped.")
    st.table(flip.set_index(""))
    a, b = st.columns(2)
    with a:
        st.markdown("**NumPy, by hand** (the code this page runs)")
        st.code(twin.numpy_source(), language="python")
    with b:
        st.markdown("**PyTorch**")
        st.code(twin.TORCH_SOURCE, language="python")


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


def render() -> None:
    """The whole page below its header: settings, then the open tab only."""
    cols = st.columns(len(PRESETS))
    for col, (label, values) in zip(cols, PRESETS.items(), strict=True):
        col.button(label, key=f"np_pre_{label[:6]}", on_click=controls.apply_preset, args=(values,),
                   width="stretch")

    names = {n: datasets.DATASETS[n].label for n in twin.DATASETS}
    c = st.columns(4)
    with c[0]:
        data = controls.selectbox("Data", twin.DATASETS, key="np_data",
                                  format_func=lambda n: names.get(n, n))
    with c[1]:
        spec = controls.text_input("Widths", value="2-4-1", key="np_spec",
                                   help="From 2 inputs to 1 output, e.g. 2-4-1 or 2-16-16-1.")
    with c[2]:
        hidden = controls.selectbox("Hidden activation", twin.HIDDEN, key="np_act")
    with c[3]:
        dtype = controls.segmented_control("Precision", list(twin.DTYPES), default="float64",
                                           key="np_dt") or "float64"
    c = st.columns(4)
    with c[0]:
        lr = controls.slider("Learning rate", 0.01, 2.0, 0.5, step=0.01, key="np_lr")
    with c[1]:
        epochs = int(controls.number_input("Steps (epochs)", 1, twin.MAX_EPOCHS, 2000, step=100,
                                           key="np_ep"))
    spec_ds = datasets.DATASETS[data]
    n_samples, noise = spec_ds.default_size, 0.0
    if data != "xor":
        with c[2]:
            n_samples = controls.slider("Samples", 20, twin.MAX_SAMPLES, 200, step=10, key="np_n")
        with c[3]:
            noise = controls.slider("Noise", 0.0, 0.5, spec_ds.default_noise, step=0.01,
                                    key="np_noise")
    seed = controls.seed_input("np_seed")

    try:
        sizes = simplenet.parse_spec(spec)
        twin.check(sizes, n_samples, epochs)
    except (simplenet.SpecError, twin.TwinError) as exc:
        st.error(str(exc))
        st.stop()

    X, y = load_data(data, n_samples, noise, seed, dtype)
    settings = (data, n_samples, noise, sizes, hidden, epochs, float(lr), seed, dtype)
    tabs = controls.tabs(TABS, key="np_tab")
    train, grads, code, saving = (tab.open is not False for tab in tabs)
    result = None
    if train or grads:
        with tabs[0] if train else tabs[1]:
            result = run_race(settings, X, y)
    if result is not None and train:
        with tabs[0]:
            train_tab(*result, dtype)
    if result is not None and grads:
        with tabs[1]:
            gradients_tab(result[0], sizes, hidden, X, y, seed, dtype)
    if code:
        with tabs[2]:
            code_tab(len(X))
    if saving:
        with tabs[3]:
            saving_tab(seed)
    explain(
        "Both networks compute exactly the same function: a Linear layer is `W @ a + b` in NumPy "
        "(samples as columns) and `x @ W.T + b` in PyTorch (samples as rows), with the same W. "
        "NumPy needs a hand-written backward pass for every layer; PyTorch records the forward "
        "pass and `loss.backward()` walks it back. The loss gradient carries the 1/m of the mean, "
        "and the binary cross-entropy is clipped exactly as PyTorch's `BCELoss` clips it, which is "
        "why the two agree to the last few bits in float64.", "What is going on?")
    show_code(code_for(data, n_samples, noise, sizes, hidden, epochs, float(lr), seed, dtype))
