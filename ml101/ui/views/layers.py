"""The Layers and modules page: one layer's shapes and parameters and what it does to
data, and SimpleNet written as a class and as nn.Sequential.

Widgets, calls into the core, rendering. They live in a module rather than in the page
script because Streamlit compiles a page script (with its "magic" AST pass) on every
AppTest run, and re-creates its st.cache_data wrappers (reading their source) on every
rerun; an imported module does both once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ml101.layers import catalog as layers
from ml101.layers import demos, simplenet
from ml101.ui import controls
from ml101.ui.layout import explain, show_code

TABS = ["One layer", "SimpleNet: Module vs Sequential"]
KEEP = {"persist_state": "page"}  # controls of a hidden tab or layer keep their values
ABBR = {"Linear": "lin", "Conv2d": "conv", "MaxPool2d": "pool", "BatchNorm1d": "bn",
        "Dropout": "drop", "LSTM": "lstm", "ReLU": "relu", "Sigmoid": "sig", "Tanh": "tanh",
        "LeakyReLU": "lrelu", "Softmax": "sm"}


@st.cache_data(max_entries=512, show_spinner=False)
def window_view(op: str, k: int, s: int, pad: int, d: int, pos: int, kname: str, seed: int,
                ceil_mode: bool, size: int) -> tuple[demos.Window, list[dict]]:
    """The window and its three chart specs; deterministic, so shared and cached."""
    w = demos.slide(op, k, s, pad, d, pos, kname, seed, ceil_mode, size)
    h = w.out.shape[0]
    specs = [demos.heatmap(w.padded, "Input (padded)", w.cells, cell=30),
             None if w.kernel is None else demos.heatmap(
                 w.kernel, "Kernel", scheme="purpleorange", cell=30),
             demos.heatmap(w.out, f"Output {h}×{w.out.shape[1]}", [(w.i, w.j)],
                           scheme="greens", cell=30)]
    return w, specs


@st.cache_data(max_entries=256, show_spinner=False)
def activation_view(layer: str, params: dict) -> tuple[pd.DataFrame, dict]:
    curve = demos.activation_curve(layer, params)
    return curve, demos.activation_chart(curve, f"nn.{layer}: f(x) and f′(x) from autograd"
                                         )


@st.cache_data(max_entries=256, show_spinner=False)
def softmax_view(dim: int, seed: int) -> tuple[demos.SoftmaxDemo, list[dict]]:
    sm = demos.softmax_demo(dim, seed)
    return sm, [demos.heatmap(sm.logits, "Input (seeded randn)", scheme="purpleorange"),
                demos.heatmap(sm.probs, f"Softmax(dim={dim})", scheme="greens")]


@st.cache_data(max_entries=256, show_spinner=False)
def dropout_view(p: float, seed: int) -> tuple[demos.DropoutDemo, list[dict]]:
    d = demos.dropout_demo(p, seed)
    return d, [demos.heatmap(d.train_out, "model.train(): random mask, survivors scaled",
                             scheme="greens", cell=28, fmt=".1f"),
               demos.heatmap(d.eval_out, "model.eval(): identity", scheme="greens",
                             cell=28, fmt=".1f")]


@st.cache_data(max_entries=256, show_spinner=False)
def batchnorm_view(nf: int, momentum: float, affine: bool, steps: int, seed: int
                   ) -> tuple[demos.BatchNormDemo, dict]:
    d = demos.batchnorm_demo(nf, momentum, affine, steps, seed)
    return d, demos.batchnorm_chart(d)


@st.cache_data(max_entries=256, show_spinner=False)
def lstm_view(params: dict, seq: int, batch: int, seed: int) -> tuple[demos.LSTMDemo, dict]:
    d = demos.lstm_demo(params, seq, batch, seed)
    return d, demos.lstm_chart(d)


@st.cache_data(max_entries=128, show_spinner=False)
def simplenet_view(sizes: tuple[int, ...], hidden: str, output: str, seed: int
                   ) -> simplenet.Comparison:
    return simplenet.compare(sizes, hidden, output, seed)


def chart(spec: dict, width: str = "content") -> None:
    """Draw a cached Vega-Lite spec."""
    st.vega_lite_chart(spec=spec, width=width)


def shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def hyperparameter_widgets(layer: str) -> dict:
    """One control per constructor argument, keyed per layer so each keeps its own values."""
    values = {}
    specs = layers.HYPERPARAMS[layer]
    if not specs:
        st.caption(f"`nn.{layer}()` takes no arguments that change shapes or parameters.")
        return values
    cols = st.columns(min(len(specs), 4))
    for n, hp in enumerate(specs):
        key = f"ly_{ABBR[layer]}_{hp.short}"
        with cols[n % len(cols)]:
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


def show_probe(probe: layers.Probe) -> None:
    cols = st.columns(len(probe.outputs) + 2)
    cols[0].metric("Input shape", shape_str(probe.in_shape))
    for col, (name, shape) in zip(cols[1:], probe.outputs.items(), strict=False):
        col.metric(f"{name} shape", shape_str(shape))
    cols[-1].metric("Trainable parameters", f"{probe.n_params:,}")
    for line in probe.formulas:
        st.latex(line)
    left, right = st.columns([3, 2])
    with left:
        if probe.tensors:
            st.dataframe(pd.DataFrame([
                {"name": t.name, "shape": shape_str(t.shape), "numbers": t.numel,
                 "kind": "parameter (learned)" if t.trainable else "buffer (not learned)"}
                for t in probe.tensors]), hide_index=True, width="stretch")
        st.markdown("Parameter count by hand:")
        st.latex(probe.count_formula)
    with right:
        st.markdown("`print(layer)`")
        st.code(probe.repr, language="text")


def window_demo(layer: str, p: dict, seed: int) -> None:
    op = "conv" if layer == "Conv2d" else "max"
    ceil_mode = bool(p.get("ceil_mode", False))
    k, s, pad, d = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
    size = 8
    st.subheader("Watch the window slide")
    st.caption(f"A single-channel {size}×{size} image, with this layer's kernel_size={k}, "
               f"stride={s}, padding={pad}, dilation={d}"
               + (" and one output channel." if op == "conv" else "."))
    if not demos.window_fits(op, size, k, s, pad, d, ceil_mode):
        st.info(f"This window does not fit the {size}×{size} demo image: lower kernel_size, "
                "dilation or padding to watch it slide.")
        return
    h_out = layers.conv_out(size, k, s, pad, d, ceil_mode)
    n = h_out * h_out
    c1, c2 = st.columns([1, 3])
    kname = "vertical edges"
    if op == "conv":
        with c1:
            kname = controls.selectbox("Kernel", demos.KERNELS, key="ly_kern", **KEEP,
                                       help="'random' draws from the seed.")
    if st.session_state.get("ly_pos", 0) > n - 1:
        st.session_state["ly_pos"] = n - 1
    pos = 0
    if n > 1:
        with c2:
            pos = controls.slider("Window position", 0, n - 1, 0, key="ly_pos", **KEEP,
                                  help="Move the window across the image, row by row.")
    w, specs = window_view(op, k, s, pad, d, pos, kname, seed, ceil_mode, size)
    for col, spec in zip(st.columns([5, 3, 4]), specs, strict=True):
        if spec is not None:
            with col:
                chart(spec)
    terms = ", ".join(f"{t:.2f}" for t in w.terms)
    word = "sum of the products" if op == "conv" else "max of"
    st.markdown(f"Output ({w.i}, {w.j}) = {word} [{terms}] = **{w.manual:.4f}**; "
                f"PyTorch computed **{w.torch_value:.4f}**.")


def activation_demo(layer: str, p: dict, seed: int) -> None:
    if layer == "Softmax":
        dim = p["dim"]
        st.subheader("Softmax on a 3×4 matrix")
        if not -2 <= dim <= 1:
            st.info(f"The demo matrix is 2-D, so it has no dim {dim}; pick dim 0, 1, -1 or -2.")
            return
        sm, specs = softmax_view(dim, seed)
        for col, spec in zip(st.columns(2), specs, strict=True):
            with col:
                chart(spec)
        along = "column" if dim in (0, -2) else "row"
        st.markdown(f"Each {along} sums to 1: "
                    + ", ".join(f"{v:.6f}" for v in sm.sums)
                    + f". dim={dim} is the dimension that gets summed over, so it is each "
                    f"{along} that becomes a probability distribution.")
        return
    curve, spec = activation_view(layer, p)
    st.subheader(f"{layer} and its derivative")
    chart(spec, "stretch")
    slope = curve["f'(x)"]
    top = int(slope.values.argmax())
    st.caption(f"Largest slope on this range: {slope.iloc[top]:.4f} at x = "
               f"{curve['x'].iloc[top]:.2f}; smallest: {slope.min():.4f}. "
               "Where the slope is near 0 the gradient vanishes and learning stalls.")


def dropout_demo(p: dict, seed: int) -> None:
    d, specs = dropout_view(p["p"], seed)
    st.subheader("Dropout on a 6×12 tensor of ones")
    for col, spec in zip(st.columns(2), specs, strict=True):
        with col:
            chart(spec)
    st.markdown(f"Kept **{d.kept_fraction:.1%}** of the elements (expected {1 - d.p:.0%}), "
                f"each multiplied by 1/(1−p) = **{d.scale:.4f}**, so the average stays about 1 "
                f"(here {d.train_out.mean():.4f}). In eval mode nothing is dropped or scaled. "
                "Change the seed for another mask.")


def batchnorm_demo(p: dict, seed: int) -> None:
    st.subheader("Running statistics, step by step")
    steps = controls.slider("Training batches", 1, 200, 30, key="ly_bn_steps", **KEEP,
                            help="How many batches BatchNorm1d sees in train mode.")
    d, spec = batchnorm_view(p["num_features"], p["momentum"], p["affine"], steps, seed)
    st.caption(f"Batches of 16 drawn from N({d.data_mean:g}, {d.data_std:g}²); the dashed gray "
               f"lines are the true mean and variance. Showing {d.n_features} of "
               f"{p['num_features']} features. Update: running = (1 − {p['momentum']:.2f})·running"
               f" + {p['momentum']:.2f}·batch (batch variance unbiased). Hand-computed recurrence"
               f" vs PyTorch's buffers: max difference {d.recurrence_error:.2e}.")
    chart(spec, "stretch")
    st.dataframe(pd.DataFrame({
        "feature": range(d.n_features),
        "train(): output mean": d.train_mean, "train(): output std": d.train_std,
        "eval(): output mean": d.eval_mean, "eval(): output std": d.eval_std,
    }), hide_index=True, width="stretch")
    st.caption("One more batch from the same distribution. train() normalises with that batch's "
               "own statistics (mean 0, std 1 exactly, before the learned scale and shift, which "
               "start at 1 and 0); eval() uses the running statistics, so its output is only as "
               "centred as they are accurate.")


def lstm_demo(p: dict, shape: tuple[int, ...], seed: int) -> None:
    st.subheader("Through time, one step at a time")
    if len(shape) == 3:
        seq, batch = (shape[1], shape[0]) if p["batch_first"] else (shape[0], shape[1])
    else:
        seq, batch = shape[0], 1
    seq_d, batch_d = min(seq, 12), min(batch, 4)
    if demos.lstm_param_count(p) > demos.DEMO_MAX_PARAMS:
        st.info(f"This LSTM has more than {demos.DEMO_MAX_PARAMS:,} parameters: too big to run "
                "live here. Lower hidden_size or num_layers to see it step through time.")
        return
    d, spec = lstm_view(p, seq_d, batch_d, seed)
    note = "" if (seq_d, batch_d) == (seq, batch) else " (capped for the demo)"
    st.caption(f"Sequence length {seq_d}, batch {batch_d}{note}. output {shape_str(d.output_shape)}"
               f", h_n {shape_str(d.h_n_shape)}, c_n {shape_str(d.c_n_shape)}.")
    st.dataframe(d.steps, hide_index=True, width="stretch")
    if p["bidirectional"]:
        st.markdown(f"Bidirectional: the forward half of the last output equals h_n[-2] "
                    f"(max difference {d.last_step_vs_h_n:.1e}), and the backward half of the "
                    f"*first* output equals h_n[-1] ({d.first_step_vs_h_n_back:.1e}): the backward "
                    "direction finishes at t = 0.")
    else:
        st.markdown(f"Feeding one step at a time and carrying (h, c) gives the same outputs as "
                    f"the whole sequence at once (max difference {d.max_step_diff:.1e}); the "
                    f"last output is the top layer's h_n (difference {d.last_step_vs_h_n:.1e}).")
    chart(spec, "stretch")


def layer_tab(seed: int) -> None:
    layer = controls.selectbox("Layer", layers.LAYERS, key="ly_layer", **KEEP,
                               help="Each layer keeps its own settings while you switch.")
    params = hyperparameter_widgets(layer)
    text = controls.text_input(
        "Input shape", value=layers.DEFAULT_INPUT[layer], key=f"ly_{ABBR[layer]}_x", **KEEP,
        help=f"{layer} takes {layers.INPUT_HINT[layer]}. Write numbers separated by commas.")
    try:
        shape = layers.parse_shape(text)
        probe = layers.probe(layer, params, shape)
    except layers.ShapeError as exc:
        st.error(f"{exc}  \nExpected input: {layers.INPUT_HINT[layer]}.")
        return
    show_probe(probe)
    if layer in ("Conv2d", "MaxPool2d"):
        window_demo(layer, probe.params, seed)
    elif layer in layers.ACTIVATIONS:
        activation_demo(layer, probe.params, seed)
    elif layer == "Dropout":
        dropout_demo(probe.params, seed)
    elif layer == "BatchNorm1d":
        batchnorm_demo(probe.params, seed)
    elif layer == "LSTM":
        lstm_demo(probe.params, shape, seed)
    explain(
        "Shapes and parameter counts above come from a real `torch.nn` module built on "
        "PyTorch's *meta* device: it knows every shape but stores no numbers, so even a huge "
        "layer answers instantly. (A small LSTM runs for real on the CPU instead: a meta LSTM "
        "is worked out one time step at a time, which is slower than just running it.) "
        "Trainable parameters are what an optimizer updates; "
        "buffers (like BatchNorm's running statistics) are saved with the model but not "
        "learned by gradient descent.\n\n"
        "Conv and pooling windows shrink an image by the formula shown: padding adds border, "
        "dilation spreads the window out, stride skips positions. Rounding is down unless "
        "`ceil_mode=True`.", "What is going on?")
    show_code(layers.code_for(layer, probe.params, shape, seed))


def simplenet_tab(seed: int) -> None:
    c1, c2, c3 = st.columns(3)
    with c1:
        text = controls.text_input(
            "Widths (input-hidden...-output)", value="2-4-1", key="ly_spec", **KEEP,
            help="The lesson's network is 2-4-1. Up to 6 widths, each 1 to 512.")
    with c2:
        hidden = controls.selectbox("Hidden activation", simplenet.HIDDEN_ACTS, key="ly_hact",
                                    **KEEP)
    with c3:
        output = controls.selectbox("Output activation", simplenet.OUTPUT_ACTS, key="ly_oact",
                                    **KEEP)
    try:
        sizes = simplenet.parse_spec(text)
    except simplenet.SpecError as exc:
        st.error(str(exc))
        return
    cmp = simplenet_view(sizes, hidden, output, seed)
    a, b = st.columns(2)
    with a:
        st.markdown("**As an `nn.Module` class**: `print(net)`")
        st.code(str(cmp.net), language="text")
    with b:
        st.markdown("**As `nn.Sequential`**: `print(seq)`")
        st.code(str(cmp.seq), language="text")
    mapping = simplenet.name_map(cmp.net.n_linear)
    st.dataframe(pd.DataFrame([
        {"net.named_parameters()": name, "seq.named_parameters()": mapping[name],
         "shape": shape_str(tuple(p.shape)), "numbers": p.numel()}
        for name, p in cmp.net.named_parameters()]), hide_index=True, width="stretch")
    terms = simplenet.count_terms(sizes)
    st.markdown(f"Parameters: {terms} = **{cmp.n_params:,}** "
                "(`sum(p.numel() for p in net.parameters())`).")
    m1, m2, m3 = st.columns(3)
    m1.metric("Max |net(x) − seq(x)|, own random weights", f"{cmp.diff_before:.6f}")
    m2.metric("After copying net's weights into seq", f"{cmp.diff_after:.3g}")
    m3.metric("torch.equal(net(x), seq(x))", str(bool(np.array_equal(
        cmp.out_net.numpy(), cmp.out_seq.numpy()))))
    outs = pd.DataFrame({"sample": range(len(cmp.x))})
    for j in range(cmp.out_net.shape[1]):
        suffix = f"[{j}]" if cmp.out_net.shape[1] > 1 else ""
        outs[f"net(x){suffix}"] = cmp.out_net[:, j].numpy()
        outs[f"seq(x){suffix} before copy"] = cmp.out_seq_before[:, j].numpy()
        outs[f"seq(x){suffix} after copy"] = cmp.out_seq[:, j].numpy()
    st.dataframe(outs, hide_index=True, width="stretch")
    explain(
        "Both are the same computation. The class names its layers (`fc1`, `fc2`) and spells "
        "out `forward`, which is what you need for branches, loops or keeping intermediate "
        "values. `nn.Sequential` numbers its layers (`0`, `2`: the activations at `1`, `3` have "
        "no parameters) and runs them in order. Built separately they draw different random "
        "weights; copy the state_dict across (renaming `fc1.weight` to `0.weight` and so on) "
        "and every output matches bit for bit.", "Why two ways?")
    show_code(simplenet.code_for(sizes, hidden, output, seed))
