"""The Layers and modules page: one layer's shapes and parameters and what it does to
data, and SimpleNet written as a class and as nn.Sequential.

The main picture (`ly_picture`) is what the chosen layer does to data, beside the layer
choice and its arguments: a Linear layer's weights with a seeded input going through
them, Conv2d's or MaxPool2d's window sliding over a small image, an activation's curve
and slope, dropout's masks, BatchNorm's running statistics, an LSTM through time. On the
SimpleNet tab it is the two printed networks and what they output before and after
sharing weights.

Widgets, calls into the core, rendering. They live in a module rather than in the page
script because Streamlit compiles a page script (with its "magic" AST pass) on every
AppTest run, and re-creates its st.cache_data wrappers (reading their source) on every
rerun; an imported module does both once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ml101 import inputs, style
from ml101.inputs import fmt_shape
from ml101.layers import catalog, charts, demos, describe, simplenet
from ml101.layers.code import code_for
from ml101.layers.demos import LayerSetup
from ml101.ui import controls, layout
from ml101.ui.layout import explain, picture_px, show_code, stage
from ml101.ui.presenter import is_presenting
from ml101.ui.state import clamp

TABS = ["One layer", "SimpleNet: Module vs Sequential"]
KEEP = {"persist_state": "page"}  # controls of a hidden tab or layer keep their values
ABBR = {"Linear": "lin", "Conv2d": "conv", "MaxPool2d": "pool", "BatchNorm1d": "bn",
        "Dropout": "drop", "LSTM": "lstm", "ReLU": "relu", "Sigmoid": "sig", "Tanh": "tanh",
        "LeakyReLU": "lrelu", "Softmax": "sm"}
PICTURE = "ly_picture"
MAX_CELL = 40  # px per matrix cell, at most
PICTURE_HEIGHT = {False: 420, True: 620}  # px the main picture may take, by presenter mode
PRESENT_TYPE = 1.45  # chart type on a projector, as the presenter's page type grows


def tabs() -> list[Any]:
    """The page's two tabs; the open one is part of the URL."""
    return list(controls.tabs(TABS, key="ly_tab"))


# --- Cached pictures: deterministic, so shared by every learner --------------------------

@st.cache_data(max_entries=256, show_spinner=False)
def linear_view(params: dict, seed: int, cell: int) -> tuple[demos.LinearDemo, dict]:
    d = demos.linear_demo(params, seed)
    return d, charts.linear_chart(d, cell, demos.SHOWN)


@st.cache_data(max_entries=512, show_spinner=False)
def window_view(op: str, k: int, s: int, pad: int, d: int, pos: int, kname: str, seed: int,
                ceil_mode: bool, cell: int) -> tuple[demos.Window, list[dict | None]]:
    """The window and its three chart specs."""
    w = demos.slide(op, k, s, pad, d, pos, kname, seed, ceil_mode)
    h, wd = w.out.shape
    specs = [charts.heatmap(w.padded, "Input image (padded)", w.cells, cell=cell),
             None if w.kernel is None else charts.heatmap(w.kernel, "Kernel", signed=True,
                                                          cell=cell),
             charts.heatmap(w.out, f"Output {fmt_shape((h, wd))}", [(w.i, w.j)],
                            signed=op == "conv",
                            cell=cell)]
    return w, specs


@st.cache_data(max_entries=256, show_spinner=False)
def activation_view(layer: str, params: dict, height: int) -> tuple[pd.DataFrame, dict]:
    curve = demos.activation_curve(layer, params)
    return curve, charts.activation_chart(curve, f"nn.{layer}: f(x) and f′(x) from autograd",
                                          height)


@st.cache_data(max_entries=256, show_spinner=False)
def softmax_view(dim: int, seed: int, cell: int) -> tuple[demos.SoftmaxDemo, list[dict]]:
    sm = demos.softmax_demo(dim, seed)
    return sm, [charts.heatmap(sm.logits, "Input: seeded logits", signed=True, cell=cell),
                charts.heatmap(sm.probs, f"Softmax(dim={dim})", cell=cell,
                               domain=[0.0, 1.0])]


@st.cache_data(max_entries=256, show_spinner=False)
def dropout_view(p: float, seed: int, cell: int) -> tuple[demos.DropoutDemo, list[dict]]:
    d = demos.dropout_demo(p, seed)
    top = [0.0, max(d.scale, 1.0)]  # both maps on one scale: 0, 1 and 1/(1-p)
    return d, [charts.heatmap(d.train_out, "model.train(): a random mask, survivors scaled",
                              cell=cell, fmt=".1f", domain=top),
               charts.heatmap(d.eval_out, "model.eval(): nothing dropped or scaled",
                              cell=cell, fmt=".1f", domain=top)]


@st.cache_data(max_entries=256, show_spinner=False)
def batchnorm_view(nf: int, momentum: float, affine: bool, steps: int, seed: int,
                   height: int) -> tuple[demos.BatchNormDemo, dict]:
    d = demos.batchnorm_demo(nf, momentum, affine, steps, seed)
    return d, charts.batchnorm_chart(d, height=height)


@st.cache_data(max_entries=256, show_spinner=False)
def lstm_view(params: dict, seq: int, batch: int, seed: int, height: int
              ) -> tuple[demos.LSTMDemo, dict]:
    d = demos.lstm_demo(params, seq, batch, seed)
    return d, charts.lstm_chart(d, height)


@st.cache_data(max_entries=128, show_spinner=False)
def simplenet_view(sizes: tuple[int, ...], hidden: str, output: str, seed: int
                   ) -> simplenet.Comparison:
    return simplenet.compare(sizes, hidden, output, seed)


def chart(spec: dict, alt: str, width: str | int = "content") -> None:
    """Draw a cached Vega-Lite spec, with its text alternative; on a projector its type
    grows with the page's."""
    if is_presenting():
        spec = {**spec, "config": style.chart_config(PRESENT_TYPE)}
    layout.chart(spec, alt, width=width)


def cell_px(columns: int, rows: int) -> int:
    """Pixels per matrix cell so a picture `columns` x `rows` cells wide fits the stage."""
    fit = min(picture_px() // max(columns, 1), PICTURE_HEIGHT[is_presenting()] // max(rows, 1))
    return int(max(16, min(MAX_CELL + (8 if is_presenting() else 0), fit)))


def chart_height() -> int:
    """The plot height of a line chart in the picture."""
    return 330 if is_presenting() else 220


# --- One layer ------------------------------------------------------------------------

def hyperparameter_widgets(layer: str) -> dict:
    """One control per constructor argument, keyed per layer so each keeps its own values."""
    values: dict = {}
    specs = catalog.HYPERPARAMS[layer]
    if not specs:
        st.caption(f"`nn.{layer}()` takes no arguments that change shapes or parameters.")
        return values
    cols = st.columns(2)
    for n, hp in enumerate(specs):
        key = f"ly_{ABBR[layer]}_{hp.short}"
        with cols[n % 2]:
            if hp.kind == "bool":
                values[hp.name] = controls.toggle(hp.name, value=hp.default, key=key, **KEEP,
                                                  help=hp.help or None)
            elif hp.kind == "int":
                values[hp.name] = controls.number_input(
                    hp.name, min_value=int(hp.lo), max_value=int(hp.hi), value=hp.default,
                    step=1, key=key, **KEEP, help=hp.help or None)
            else:
                values[hp.name] = controls.slider(
                    hp.name, min_value=float(hp.lo), max_value=float(hp.hi),
                    value=float(hp.default), step=0.01, key=key, **KEEP, help=hp.help or None)
    return values


def shape_metrics(probe: catalog.Probe) -> None:
    """What goes in and what comes out, printed as PyTorch prints a shape."""
    with st.container(horizontal=True, gap="medium"):
        st.metric("Input shape", fmt_shape(probe.in_shape), width="content")
        for name, shape in probe.outputs.items():
            label = "Output" if name == "output" else name  # h_n, c_n: PyTorch's names
            st.metric(f"{label} shape", fmt_shape(shape), width="content")
        st.metric("Trainable parameters", f"{probe.n_params:,}", width="content")


def show_details(probe: catalog.Probe) -> None:
    """Below the stage: the output-size formula, every tensor the layer holds, print()."""
    for line in probe.formulas:
        st.latex(line)
    if probe.layer in catalog.ROUNDING:
        st.caption(catalog.ROUNDING[probe.layer])
    left, right = st.columns([3, 2])
    with left:
        if probe.tensors:
            st.dataframe(pd.DataFrame([
                {"name": t.name, "shape": fmt_shape(t.shape), "numbers": t.numel,
                 "kind": "parameter (learned)" if t.trainable else "buffer (not learned)"}
                for t in probe.tensors]), hide_index=True, width="stretch")
        st.markdown("Parameter count by hand:")
        st.latex(probe.count_formula)
    with right:
        st.markdown("`print(layer)`")
        st.code(probe.repr, language="text", wrap_lines=True)  # no keyboard-only scroll


def linear_picture(setup: LayerSetup) -> None:
    p = setup.args
    if not demos.runs_live("Linear", p):
        st.info(f"This layer has more than {demos.DEMO_MAX_PARAMS:,} parameters: too big to "
                "build for real here (the shapes beside it still hold). Lower in_features or "
                "out_features to see its weights.")
        return
    shown = min(p["in_features"], demos.SHOWN), min(p["out_features"], demos.SHOWN)
    d, spec = linear_view(p, setup.seed, cell_px(max(shown[0] + shown[1] + 1, 9),
                                                 shown[0] + demos.LINEAR_ROWS + 4))
    # a fixed width that a narrow phone screen may shrink
    chart(spec, describe.linear(d), width=spec["width"])
    cut = (f" Showing the first {demos.SHOWN} rows and columns of each."
           if max(p["in_features"], p["out_features"]) > demos.SHOWN else "")
    plus_b = ", plus b" if p["bias"] else ""
    st.caption(f"Each number of y is its row of x times its column of Wᵀ{plus_b}: "
               f"y[0, 0] = {float(d.y[0, 0]):.4f}. Weights as `torch.manual_seed"
               f"({setup.seed})` draws them, then a seeded input of {demos.LINEAR_ROWS} "
               f"samples.{cut}")


def window_picture(setup: LayerSetup) -> tuple[str, int]:
    """The sliding window; returns the kernel and position the picture shows."""
    p = setup.args
    op = "conv" if setup.layer == "Conv2d" else "max"
    ceil_mode = bool(p.get("ceil_mode", False))
    k, s, pad, d = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
    size = demos.IMAGE_SIZE
    if not demos.window_fits(op, size, k, s, pad, d, ceil_mode):
        st.info(f"This window does not fit the {size}×{size} demo image: lower kernel_size, "
                "dilation or padding to watch it slide.")
        return setup.kernel, 0
    h_out = catalog.conv_out(size, k, s, pad, d, ceil_mode)
    n = h_out * h_out
    kname, pos = demos.KERNELS[0], 0
    if op == "conv":
        kernel_slot, position_slot = st.columns([2, 3])
    else:
        kernel_slot = position_slot = st.container()
    if op == "conv":
        with kernel_slot:
            kname = controls.selectbox("Kernel", demos.KERNELS, key="ly_kern", **KEEP,
                                       help="'random' draws from the seed.")
    clamp("ly_pos", 0, n - 1)
    if n > 1:
        with position_slot:
            pos = controls.slider("Window position", 0, n - 1, 0, key="ly_pos", **KEEP,
                                  help="Move the window across the image, row by row.")
    padded = size + 2 * pad
    cell = cell_px(padded + (k if op == "conv" else 0) + h_out + 2, padded + 2)
    w, specs = window_view(op, k, s, pad, d, pos, kname, setup.seed, ceil_mode, cell)
    with st.container(horizontal=True, gap="medium"):
        alts = (describe.matrix(w.padded, "The input image, padded", len(w.cells)),
                None if w.kernel is None else describe.matrix(w.kernel, "The kernel's weights"),
                describe.matrix(w.out, f"The output map, cell ({w.i}, {w.j}) framed", 1))
        for spec, alt in zip(specs, alts, strict=True):
            if spec is not None:
                chart(spec, alt)
    terms = ", ".join(f"{t:.2f}" for t in w.terms)
    word = "sum of the products" if op == "conv" else "max of"
    st.markdown(f"Output ({w.i}, {w.j}) = {word} [{terms}] = **{w.manual:.4f}**; "
                f"PyTorch computed **{w.torch_value:.4f}**.")
    st.caption(f"A one-channel {size}×{size} image, with this layer's kernel_size={k}, "
               f"stride={s}, padding={pad}, dilation={d}"
               + (" and one output channel." if op == "conv" else "."))
    return kname, pos


def activation_picture(setup: LayerSetup) -> None:
    p = setup.args
    if setup.layer == "Softmax":
        dim = p["dim"]
        if not -2 <= dim <= 1:
            st.info(f"The demo matrix is 2-D, so it has no dim {dim}; pick dim 0, 1, -1 or -2.")
            return
        rows, cols = demos.SOFTMAX_SHAPE
        sm, specs = softmax_view(dim, setup.seed, cell_px(2 * cols + 2, rows + 2))
        with st.container(horizontal=True, gap="large"):
            for spec, alt in zip(specs, (describe.matrix(sm.logits, "The seeded input logits"),
                                         describe.matrix(sm.probs, f"Softmax(dim={dim})")),
                                 strict=True):
                chart(spec, alt)
        along = "column" if dim in (0, -2) else "row"
        st.markdown(f"Each {along} sums to 1: "
                    + ", ".join(f"{v:.6f}" for v in sm.sums)
                    + f". dim={dim} is the dimension that gets summed over, so it is each "
                    f"{along} that becomes a probability distribution.")
        return
    curve, spec = activation_view(setup.layer, p, chart_height())
    chart(spec, describe.activation(curve, setup.layer), "stretch")
    slope = curve["f'(x)"]
    top = int(slope.values.argmax())
    st.caption(f"Largest slope on this range: {slope.iloc[top]:.4f} at x = "
               f"{curve['x'].iloc[top]:.2f}; smallest: {slope.min():.4f}. "
               "Where the slope is near 0 the gradient vanishes and learning stalls.")


def dropout_picture(setup: LayerSetup) -> None:
    rows, cols = demos.DROPOUT_SHAPE
    d, specs = dropout_view(setup.args["p"], setup.seed, cell_px(cols, 2 * rows + 3))
    alts = (describe.matrix(d.train_out, "Dropout's output in train mode, zeros where dropped"),
            describe.matrix(d.eval_out, "Its output in eval mode"))
    for spec, alt in zip(specs, alts, strict=True):
        chart(spec, alt)
    st.markdown(f"Kept **{d.kept_fraction:.1%}** of the elements (expected {1 - d.p:.0%}), "
                f"each multiplied by 1/(1−p) = **{d.scale:.4f}**, so the average stays about 1 "
                f"(here {d.train_mean:.4f}). In eval mode nothing is dropped or scaled. "
                "Change the seed for another mask.")


def batchnorm_picture(setup: LayerSetup) -> int:
    """Running statistics, step by step; returns the number of batches shown."""
    p = setup.args
    steps = controls.slider("Training batches", 1, 200, 30, key="ly_bn_steps", **KEEP,
                            help="How many batches BatchNorm1d sees in train mode.")
    d, spec = batchnorm_view(p["num_features"], p["momentum"], p["affine"], steps,
                             setup.seed, chart_height() - 40)
    chart(spec, describe.batchnorm(d), "stretch")
    m = p["momentum"]
    st.caption(f"Batches of {demos.BN_BATCH} drawn from N({d.data_mean:g}, {d.data_std:g}²); "
               "the dashed grey lines are the true mean and variance. Update: running = "
               f"(1 − {m:.2f})·running + {m:.2f}·batch (batch variance unbiased). "
               f"Hand-computed recurrence vs PyTorch's buffers: max difference "
               f"{d.recurrence_error:.2e}.")
    return steps


def batchnorm_table(setup: LayerSetup) -> None:
    p = setup.args
    d, _ = batchnorm_view(p["num_features"], p["momentum"], p["affine"], setup.steps,
                          setup.seed, chart_height() - 40)
    shown = (f"the first {d.n_features} of {p['num_features']} features"
             if d.n_features < p["num_features"] else f"all {d.n_features} features")
    st.markdown(f"**One more batch, in train() and eval() mode** ({shown}):")
    st.dataframe(pd.DataFrame({
        "feature": range(d.n_features), "running_mean": d.running_mean,
        "running_var": d.running_var,
        "train(): output mean": d.train_mean, "train(): output std": d.train_std,
        "eval(): output mean": d.eval_mean, "eval(): output std": d.eval_std,
    }), hide_index=True, width="stretch")
    st.caption("train() normalises with that batch's own statistics (mean 0, std 1 up to "
               "eps, before the learned scale and shift, which start at 1 and 0); eval() uses "
               "the running statistics, so its output is only as centred as they are "
               "accurate.")


def lstm_size(setup: LayerSetup) -> tuple[int, int, bool] | None:
    """The demo's sequence length and batch, or None (with a note) if it is too big."""
    if not demos.runs_live("LSTM", setup.args):
        st.info(f"This LSTM has more than {demos.DEMO_MAX_PARAMS:,} parameters: too big to run "
                "live here. Lower hidden_size or num_layers to see it step through time.")
        return None
    return demos.lstm_demo_size(setup.args, setup.shape)


def lstm_picture(setup: LayerSetup) -> None:
    size = lstm_size(setup)
    if size is None:
        return
    demo, spec = lstm_view(setup.args, size[0], size[1], setup.seed, chart_height() - 30)
    chart(spec, describe.lstm(demo), "stretch")


def lstm_details(setup: LayerSetup) -> None:
    """Below the stage: the step-by-step check in words and in a table."""
    size = lstm_size(setup)
    if size is None:
        return
    seq, batch, capped = size
    d, _ = lstm_view(setup.args, seq, batch, setup.seed, chart_height() - 30)
    if setup.args["bidirectional"]:
        st.markdown(f"Bidirectional: the forward half of the last output equals h_n[-2] "
                    f"(max difference {d.last_step_vs_h_n:.1e}), and the backward half of the "
                    f"*first* output equals h_n[-1] ({d.first_step_vs_h_n_back:.1e}): the "
                    "backward direction finishes at t = 0.")
    else:
        st.markdown(f"Feeding one step at a time and carrying (h, c) gives the same outputs as "
                    f"the whole sequence at once (max difference {d.max_step_diff:.1e}); the "
                    f"last output is the top layer's h_n (difference {d.last_step_vs_h_n:.1e}).")
    note = " (capped for the demo)" if capped else ""
    st.caption(f"Sequence length {seq}, batch {batch}{note}: output "
               f"{fmt_shape(d.output_shape)}, h_n {fmt_shape(d.h_n_shape)}, c_n "
               f"{fmt_shape(d.c_n_shape)}.")
    st.markdown("**Step by step**")
    st.dataframe(d.steps, hide_index=True, width="stretch")


def picture(setup: LayerSetup) -> LayerSetup:
    """The chosen layer's picture; returns the setup with the picture's own knobs."""
    layer = setup.layer
    if layer == "Linear":
        linear_picture(setup)
    elif layer in ("Conv2d", "MaxPool2d"):
        kname, pos = window_picture(setup)
        return LayerSetup(layer, setup.params, setup.shape, setup.seed, kname, pos)
    elif layer in catalog.ACTIVATION_LAYERS:
        activation_picture(setup)
    elif layer == "Dropout":
        dropout_picture(setup)
    elif layer == "BatchNorm1d":
        steps = batchnorm_picture(setup)
        return LayerSetup(layer, setup.params, setup.shape, setup.seed, steps=steps)
    elif layer == "LSTM":
        lstm_picture(setup)
    return setup


def one_layer(tab: Any) -> None:
    """The One layer tab: the picture beside the layer and its arguments, then details."""
    if tab.open is False:  # only the open tab runs: a rerun stays fast
        return
    with tab:
        left, right = stage()
        with right:
            layer = controls.selectbox("Layer", catalog.LAYERS, key="ly_layer", **KEEP,
                                       help="Each layer keeps its own settings while you "
                                            "switch.")
            params = hyperparameter_widgets(layer)
            text = controls.text_input(
                "Input shape", value=catalog.DEFAULT_INPUT[layer], key=f"ly_{ABBR[layer]}_x",
                **KEEP, help=f"{layer} takes {catalog.INPUT_HINT[layer]}. Write numbers "
                             "separated by commas.")
            seed = controls.seed_input("ly_seed", **KEEP)
        try:
            shape = inputs.parse_shape(text, **catalog.SHAPE_LIMITS)
            probe = catalog.probe(layer, params, shape)
        except inputs.InputError as exc:
            with left, st.container(key=PICTURE):
                st.error(str(exc))
            return
        with left, st.container(key=PICTURE):
            shape_metrics(probe)
            setup = picture(LayerSetup(layer, tuple(probe.params.items()), shape, seed))
        if layer == "BatchNorm1d":  # the picture's numbers first, then the layer's tensors
            batchnorm_table(setup)
        elif layer == "LSTM":
            lstm_details(setup)
        show_details(probe)
        explain(
            "Shapes and parameter counts come from a real `torch.nn` module built on "
            "PyTorch's *meta* device: it knows every shape but stores no numbers, so even a "
            "huge layer answers instantly. (A small LSTM runs for real on the CPU instead: a "
            "meta LSTM is worked out one time step at a time, which is slower than just "
            "running it.) The picture runs a real, small module on real numbers. "
            "Trainable parameters are what an optimizer updates; buffers (like BatchNorm's "
            "running statistics) are saved with the model but not learned by gradient "
            "descent.\n\n"
            "Conv and pooling windows shrink an image by the formula shown: padding adds a "
            "border, dilation spreads the window out, stride skips positions.",
            "What is going on?")
        show_code(code_for(setup))


# --- SimpleNet ------------------------------------------------------------------------

def simplenet_tab(tab: Any) -> None:
    """SimpleNet both ways: the printouts and outputs beside the widths that define it."""
    if tab.open is False:
        return
    with tab:
        left, right = stage()
        with right:
            text = controls.text_input(
                "Widths (input-hidden...-output)", value="2-4-1", key="ly_spec", **KEEP,
                help="The lesson's network is 2-4-1. Up to 6 widths, each 1 to 512.")
            hidden = controls.selectbox("Hidden activation", simplenet.HIDDEN_ACTS,
                                        key="ly_hact", **KEEP)
            output = controls.selectbox("Output activation", simplenet.OUTPUT_ACTS,
                                        key="ly_oact", **KEEP)
            seed = controls.seed_input("ly_seed", **KEEP)
        try:
            sizes = simplenet.parse_spec(text)
        except simplenet.SpecError as exc:
            with left, st.container(key=PICTURE):
                st.error(str(exc))
            return
        cmp = simplenet_view(sizes, hidden, output, seed)
        with right:
            st.markdown(f"Parameters: {simplenet.count_terms(sizes)} = **{cmp.n_params:,}** "
                        "(`sum(p.numel() for p in net.parameters())`).")
        with left, st.container(key=PICTURE):
            st.markdown("**As an `nn.Module` class**: `print(net)`")
            st.code(str(cmp.net), language="text", wrap_lines=True)
            st.markdown("**As `nn.Sequential`**: `print(seq)`")
            st.code(str(cmp.seq), language="text", wrap_lines=True)
            st.table(pd.DataFrame(
                {"max |net(x) − seq(x)|": [f"{cmp.diff_before:.6f}", f"{cmp.diff_after:.3g}"],
                 "torch.equal(net(x), seq(x))": [str(cmp.equal_before), str(cmp.equal_after)]},
                index=["own random weights", "after copying net's weights into seq"]))
        mapping = simplenet.name_map(cmp.net.n_linear)
        st.dataframe(pd.DataFrame([
            {"net.named_parameters()": name, "seq.named_parameters()": mapping[name],
             "shape": fmt_shape(tuple(p.shape)), "numbers": p.numel()}
            for name, p in cmp.net.named_parameters()]), hide_index=True, width="stretch")
        outs = pd.DataFrame({"sample": range(len(cmp.x))})
        for j in range(cmp.out_net.shape[1]):
            suffix = f"[{j}]" if cmp.out_net.shape[1] > 1 else ""
            outs[f"net(x){suffix}"] = cmp.out_net[:, j].numpy()
            outs[f"seq(x){suffix} before copy"] = cmp.out_seq_before[:, j].numpy()
            outs[f"seq(x){suffix} after copy"] = cmp.out_seq[:, j].numpy()
        st.dataframe(outs, hide_index=True, width="stretch")
        explain(
            "Both are the same computation. The class names its layers (`fc1`, `fc2`) and "
            "spells out `forward`, which is what you need for branches, loops or keeping "
            "intermediate values. `nn.Sequential` numbers its layers (`0`, `2`: the "
            "activations at `1`, `3` have no parameters) and runs them in order. Built "
            "separately they draw different random weights; copy the state_dict across "
            "(renaming `fc1.weight` to `0.weight` and so on) and every output matches bit "
            "for bit.", "Why two ways?")
        show_code(code_for(cmp))
