"""Small live experiments that show what each layer does, not just its shape.

Every number comes from the real module run on a small tensor: activation curves
with derivatives from autograd, a conv or pooling window sliding over an 8x8 image,
dropout's mask in train and eval mode, batch norm's running statistics, and an LSTM
stepped one time step at a time against the whole sequence at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ml101 import runtime
from ml101.layers.catalog import build, conv_out
from ml101.runtime import seeded

# Charts are plain Vega-Lite dicts (the grammar Altair emits, built directly: Altair's
# validation and to_dict cost ~100 ms per chart, more than a whole rerun's budget). Data
# sits inline as records inside a layer, so Streamlit sends it as JSON with no Arrow trip.
TOP_LEGEND = {"orient": "top", "title": None}


def _num(v: float) -> float | None:
    """A JSON-safe number: NaN and infinities become null (JSON has no NaN)."""
    f = float(v)
    return f if np.isfinite(f) else None


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain-Python dicts (json.dumps refuses NumPy scalars, and NaN is not JSON)."""
    cols = {c: df[c].tolist() for c in df.columns}
    return [{c: (_num(v) if isinstance(v, float) else v) for c, v in zip(cols, row,
                                                                          strict=True)}
            for row in zip(*cols.values(), strict=True)]

DEMO_MAX_PARAMS = 2_000_000  # live demos build real (not meta) modules: keep them small
KERNELS: tuple[str, ...] = ("vertical edges", "horizontal edges", "blur", "sharpen", "random")


def activation_curve(layer: str, params: dict[str, Any], lo: float = -5.0, hi: float = 5.0,
                     n: int = 201) -> pd.DataFrame:
    """f(x) and f'(x) on a grid; the derivative is autograd's, not a formula."""
    act = build(layer, params, device="cpu")
    x = torch.linspace(lo, hi, n, dtype=torch.float64, requires_grad=True)
    y = act(x)
    (grad,) = torch.autograd.grad(y.sum(), x)  # element-wise: d(sum)/dx_i = f'(x_i)
    return pd.DataFrame({"x": x.detach().numpy(), "f(x)": y.detach().numpy(),
                         "f'(x)": grad.numpy()})


def activation_chart(curve: pd.DataFrame, title: str) -> dict[str, Any]:
    """f and f' as two lines, as a Vega-Lite spec."""
    long = curve.melt("x", var_name="curve", value_name="y")
    return {"title": title, "height": 300, "layer": [{
        "data": {"values": _records(long)},
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {
            "x": {"field": "x", "type": "quantitative"},
            "y": {"field": "y", "type": "quantitative", "title": None},
            "color": {"field": "curve", "type": "nominal",
                      "scale": {"range": ["#1f77b4", "#ff7f0e"]}, "legend": TOP_LEGEND},
            "strokeDash": {"field": "curve", "type": "nominal", "legend": None},
            "tooltip": [{"field": "x", "type": "quantitative"},
                        {"field": "curve", "type": "nominal"},
                        {"field": "y", "type": "quantitative", "format": ".4f"}]}}]}


@dataclass
class SoftmaxDemo:
    logits: np.ndarray
    probs: np.ndarray
    sums: np.ndarray  # sums along dim: all 1


def softmax_demo(dim: int, seed: int, shape: tuple[int, int] = (3, 4)) -> SoftmaxDemo:
    """Softmax of a small seeded matrix along `dim` (0 or 1, negatives allowed)."""
    logits = torch.randn(shape, generator=runtime.generator(seed))
    probs = nn.Softmax(dim=dim)(logits)
    return SoftmaxDemo(logits.numpy(), probs.numpy(), probs.sum(dim=dim).numpy())


# --- A window sliding over an image: Conv2d and MaxPool2d -------------------------------

def demo_image(size: int = 8) -> torch.Tensor:
    """A bright square with a diagonal stroke: edges in both directions to detect."""
    img = torch.zeros(size, size)
    img[2:6, 2:6] = 1.0
    idx = torch.arange(size)
    img[idx, idx] = 0.5 + img[idx, idx]
    return img


def kernel(name: str, k: int, seed: int = 0) -> torch.Tensor:
    """A k x k kernel from a short list of classics, or a seeded random one."""
    if name == "vertical edges":
        w = torch.zeros(k, k)
        w[:, : k // 2] = 1.0
        w[:, k - k // 2:] = -1.0
        return w
    if name == "horizontal edges":
        return kernel("vertical edges", k).T.contiguous()
    if name == "blur":
        return torch.full((k, k), 1.0 / (k * k))
    if name == "sharpen":
        w = -torch.full((k, k), 1.0 / (k * k))
        w[k // 2, k // 2] += 2.0
        return w
    if name == "random":
        return torch.randn(k, k, generator=runtime.generator(seed))
    raise ValueError(f"unknown kernel {name!r}; choose one of {KERNELS}")


@dataclass
class Window:
    """One position of the sliding window and everything needed to draw it."""

    op: str  # "conv" or "max"
    padded: np.ndarray  # the input with its padding (NaN where padding is)
    kernel: np.ndarray | None
    out: np.ndarray  # the whole feature map, from torch
    i: int
    j: int
    cells: list[tuple[int, int]]  # (row, col) in padded coordinates the window reads
    terms: list[float]  # the numbers combined at this position
    manual: float  # sum of products, or max, done by hand
    n_positions: int

    @property
    def torch_value(self) -> float:
        return float(self.out[self.i, self.j])


def window_fits(op: str, size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False
                ) -> bool:
    """Whether PyTorch accepts this window on a size x size image (the rules of layers.predict)."""
    if op == "max" and 2 * p > k:
        return False
    fits = op == "max" or size + 2 * p >= d * (k - 1) + 1
    return fits and conv_out(size, k, s, p, d, ceil_mode) >= 1


def slide(op: str, k: int, stride: int, padding: int, dilation: int, position: int,
          kernel_name: str = "vertical edges", seed: int = 0, ceil_mode: bool = False,
          size: int = 8) -> Window:
    """The output map from torch, and position `position` of it recomputed by hand."""
    img = demo_image(size)
    x = img[None, None]
    if op == "conv":
        w = kernel(kernel_name, k, seed)
        out = F.conv2d(x, w[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
    else:
        w = None
        out = F.max_pool2d(x, k, stride=stride, padding=padding, dilation=dilation,
                           ceil_mode=ceil_mode)[0, 0]
    h_out, w_out = out.shape
    n = h_out * w_out
    position = min(max(position, 0), n - 1)
    i, j = divmod(position, w_out)
    padded = np.full((size + 2 * padding, size + 2 * padding), np.nan)
    padded[padding:padding + size, padding:padding + size] = img.numpy()
    cells, terms = [], []
    for a in range(k):
        for b in range(k):
            r, c = i * stride + a * dilation, j * stride + b * dilation
            if r >= padded.shape[0] or c >= padded.shape[1]:
                continue  # ceil_mode's last window may hang off the edge
            cells.append((r, c))
            v = padded[r, c]
            if op == "conv":
                terms.append(float((0.0 if np.isnan(v) else v) * w[a, b]))
            elif not np.isnan(v):
                terms.append(float(v))
    manual = float(sum(terms)) if op == "conv" else float(max(terms))
    return Window(op, padded, None if w is None else w.numpy(), out.numpy(), i, j, cells,
                  terms, manual, n)


def heatmap(values: np.ndarray, title: str, highlight: list[tuple[int, int]] | None = None,
            scheme: str = "blues", cell: int = 34, fmt: str = ".2f") -> dict[str, Any]:
    """A matrix as coloured cells with their values; highlighted cells get a red frame.
    NaN cells (padding) are drawn gray and labelled "pad"."""
    marked = set(highlight or [])
    h, w = values.shape
    cells = [{"row": r, "col": c, "v": _num(v),
              "label": "pad" if np.isnan(v) else format(v, fmt), "hi": (r, c) in marked}
             for (r, c), v in zip(np.ndindex(h, w), values.ravel().tolist(), strict=True)]
    xy = {"x": {"field": "col", "type": "ordinal", "axis": None},
          "y": {"field": "row", "type": "ordinal", "axis": None}}
    rect = {"mark": {"type": "rect", "stroke": "#888", "strokeWidth": 0.5}, "encoding": {
        **xy,
        "color": {"condition": {"test": "isValid(datum.v)", "field": "v",
                                "type": "quantitative", "scale": {"scheme": scheme},
                                "legend": None},
                  "value": "#eeeeee"},
        "tooltip": [{"field": "row", "type": "ordinal"}, {"field": "col", "type": "ordinal"},
                    {"field": "v", "type": "quantitative", "format": ".4f"}]}}
    frame = {"transform": [{"filter": "datum.hi"}],
             "mark": {"type": "rect", "fill": None, "stroke": "#d62728", "strokeWidth": 3},
             "encoding": xy}
    text = {"mark": {"type": "text", "fontSize": 10 if cell < 40 else 12}, "encoding": {
        **xy, "text": {"field": "label", "type": "nominal"},
        "color": {"condition": {"test": "abs(datum.v) > 0.6", "value": "white"},
                  "value": "black"}}}
    return {"title": title, "width": w * cell, "height": h * cell, "autosize": {"type": "pad"},
            "layer": [{"data": {"values": cells}, "layer": [rect, frame, text]}]}


# --- Dropout --------------------------------------------------------------------------

@dataclass
class DropoutDemo:
    p: float
    train_out: np.ndarray
    eval_out: np.ndarray
    kept_fraction: float
    scale: float  # 1 / (1 - p): what kept elements are multiplied by in training


def dropout_demo(p: float, seed: int, shape: tuple[int, int] = (6, 12)) -> DropoutDemo:
    """Dropout on a tensor of ones, so the mask and the 1/(1-p) scaling are plain to see."""
    layer = nn.Dropout(p)
    x = torch.ones(shape)
    with seeded(seed):
        layer.train()
        y_train = layer(x)
    layer.eval()
    y_eval = layer(x)
    kept = float((y_train != 0).float().mean())
    return DropoutDemo(p, y_train.numpy(), y_eval.numpy(), kept, 1.0 / (1.0 - p))


# --- BatchNorm1d ----------------------------------------------------------------------

@dataclass
class BatchNormDemo:
    history: pd.DataFrame  # one row per training step and feature
    recurrence_error: float  # running stats vs the formula, recomputed by hand
    train_mean: np.ndarray  # per feature, of a fresh batch's output in train mode
    train_std: np.ndarray
    eval_mean: np.ndarray  # the same batch in eval mode (uses the running statistics)
    eval_std: np.ndarray
    n_features: int
    data_mean: float
    data_std: float


def batchnorm_demo(num_features: int, momentum: float, affine: bool, steps: int, seed: int,
                   batch: int = 16, data_mean: float = 3.0, data_std: float = 2.0,
                   max_features: int = 4) -> BatchNormDemo:
    """Feed `steps` batches from N(data_mean, data_std²) in train mode and track the stats."""
    c = min(num_features, max_features)
    bn = nn.BatchNorm1d(c, momentum=momentum, affine=affine)
    gen = runtime.generator(seed)
    stats = []  # per step: batch mean, batch variance, running_mean, running_var [4, c]
    run_mean, run_var = torch.zeros(c), torch.ones(c)
    err = torch.zeros(())
    bn.train()
    for _ in range(steps):
        xb = data_mean + data_std * torch.randn(batch, c, generator=gen)
        with torch.no_grad():
            bn(xb)
        b_mean, b_var = xb.mean(0), xb.var(0, unbiased=True)
        run_mean = (1 - momentum) * run_mean + momentum * b_mean
        run_var = (1 - momentum) * run_var + momentum * b_var
        err = torch.maximum(err, torch.maximum((run_mean - bn.running_mean).abs().max(),
                                               (run_var - bn.running_var).abs().max()))
        stats.append(torch.stack([b_mean, b_var, bn.running_mean.clone(),
                                  bn.running_var.clone()]))
    table = torch.stack(stats).permute(0, 2, 1).reshape(-1, 4).numpy()  # (step, feature) rows
    history = pd.DataFrame({"step": np.repeat(np.arange(1, steps + 1), c),
                            "feature": np.tile(np.arange(c), steps),
                            "batch mean": table[:, 0], "batch variance": table[:, 1],
                            "running_mean": table[:, 2], "running_var": table[:, 3]})
    test = data_mean + data_std * torch.randn(batch, c, generator=gen)
    with torch.no_grad():
        before = (bn.running_mean.clone(), bn.running_var.clone())
        y_train = bn.train()(test)
        bn.running_mean.copy_(before[0])  # keep the picture about eval, not one more update
        bn.running_var.copy_(before[1])
        y_eval = bn.eval()(test)
    return BatchNormDemo(history, float(err), y_train.mean(0).numpy(),
                         y_train.std(0, unbiased=False).numpy(), y_eval.mean(0).numpy(),
                         y_eval.std(0, unbiased=False).numpy(), c, data_mean, data_std)


def batchnorm_chart(demo: BatchNormDemo, feature: int = 0) -> dict[str, Any]:
    """Batch and running statistics per step, dashed batch lines, gray true values.
    One record per step, folded into one line per statistic in the browser."""
    names = ["batch mean", "running_mean", "batch variance", "running_var"]
    df = demo.history[demo.history["feature"] == feature][["step", *names]]
    lines = {"data": {"values": _records(df)},
             "transform": [{"fold": names, "as": ["statistic", "value"]}],
             "mark": {"type": "line", "point": True},
             "encoding": {
                 "x": {"field": "step", "type": "quantitative"},
                 "y": {"field": "value", "type": "quantitative", "title": None},
                 "color": {"field": "statistic", "type": "nominal", "legend": TOP_LEGEND},
                 "strokeDash": {"condition": {"test": {"field": "statistic", "oneOf": [
                     "batch mean", "batch variance"]}, "value": [4, 3]}, "value": [1, 0]},
                 "tooltip": [{"field": "step", "type": "quantitative"},
                             {"field": "statistic", "type": "nominal"},
                             {"field": "value", "type": "quantitative", "format": ".4f"}]}}
    rules = {"data": {"values": [{"value": demo.data_mean, "label": "true mean"},
                                 {"value": demo.data_std**2, "label": "true variance"}]},
             "mark": {"type": "rule", "color": "gray", "strokeDash": [2, 2]},
             "encoding": {"y": {"field": "value", "type": "quantitative"}}}
    return {"title": f"Feature {feature}", "height": 280, "layer": [lines, rules]}


# --- LSTM -----------------------------------------------------------------------------

@dataclass
class LSTMDemo:
    steps: pd.DataFrame  # per time step: shapes, and step-by-step vs all-at-once
    output_shape: tuple[int, ...]
    h_n_shape: tuple[int, ...]
    c_n_shape: tuple[int, ...]
    max_step_diff: float  # one step at a time vs the whole sequence (unidirectional)
    last_step_vs_h_n: float  # output at the end equals the top layer's final h
    first_step_vs_h_n_back: float | None  # bidirectional: backward direction ends at t=0
    trace: pd.DataFrame  # a few hidden units of the top layer over time, sample 0


def lstm_param_count(params: dict[str, Any]) -> int:
    return sum(p.numel() for p in build("LSTM", params).parameters())


def lstm_demo(params: dict[str, Any], seq_len: int, batch: int, seed: int,
              units: int = 4) -> LSTMDemo:
    """Run the LSTM on a seeded sequence whole, then one step at a time carrying (h, c)."""
    if lstm_param_count(params) > DEMO_MAX_PARAMS:
        raise ValueError(f"more than {DEMO_MAX_PARAMS:,} parameters: too big to run live here")
    with seeded(seed):
        lstm = build("LSTM", params, device="cpu")
        x = torch.randn(seq_len, batch, params["input_size"])
    bf = bool(params.get("batch_first", False))
    bidir = bool(params.get("bidirectional", False))
    h = int(params["hidden_size"])
    xin = x.transpose(0, 1) if bf else x
    with torch.no_grad():
        out, (h_n, c_n) = lstm(xin)
        out_t = out.transpose(0, 1) if bf else out  # (L, N, D*H) from here on
        rows, diff = [], 0.0
        state = None
        for t in range(seq_len):
            row = {"t": t, "input x[t]": str(tuple(x[t].shape)),
                   "output[t]": str(tuple(out_t[t].shape))}
            if not bidir:
                step_in = xin[:, t:t + 1] if bf else xin[t:t + 1]
                step_out, state = lstm(step_in, state)
                step_out = step_out[:, 0] if bf else step_out[0]
                d = float((step_out - out_t[t]).abs().max())
                diff = max(diff, d)
                row["h_t (one step at a time)"] = str(tuple(state[0].shape))
                row["max |step − whole|"] = d
            rows.append(row)
        last = float((out_t[-1, :, :h] - h_n[-2 if bidir else -1]).abs().max())
        first_back = float((out_t[0, :, h:] - h_n[-1]).abs().max()) if bidir else None
    k = min(units, h)
    trace = pd.DataFrame([{"t": t, "unit": f"h[{u}]", "value": float(out_t[t, 0, u])}
                          for t in range(seq_len) for u in range(k)])
    return LSTMDemo(pd.DataFrame(rows), tuple(out.shape), tuple(h_n.shape), tuple(c_n.shape),
                    diff, last, first_back, trace)


def lstm_chart(demo: LSTMDemo) -> dict[str, Any]:
    """A few hidden units of the top layer over time, as a Vega-Lite spec."""
    return {"title": "Top layer's hidden state over time (sample 0)", "height": 260,
            "layer": [{"data": {"values": _records(demo.trace)},
                       "mark": {"type": "line", "point": True}, "encoding": {
                "x": {"field": "t", "type": "ordinal", "title": "time step t",
                      "axis": {"labelAngle": 0}},
                "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {"field": "unit", "type": "nominal", "legend": TOP_LEGEND},
                "tooltip": [{"field": "t", "type": "ordinal"},
                            {"field": "unit", "type": "nominal"},
                            {"field": "value", "type": "quantitative", "format": ".4f"}]}}]}
