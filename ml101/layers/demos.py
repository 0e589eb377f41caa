"""Small live experiments that show what each layer does, not just its shape.

Every number comes from the real module run on a small tensor: a Linear layer's weights
and what it makes of a seeded input, activation curves with derivatives from autograd, a
conv or pooling window sliding over an 8x8 image, dropout's mask in train and eval mode,
batch norm's running statistics, and an LSTM stepped one time step at a time against
the whole sequence at once. `LayerSetup` is everything one view of a layer depends on;
`code.code_for` turns it into the script that prints these numbers.
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
from ml101.inputs import fmt_shape
from ml101.layers.catalog import build, conv_out, count_formula
from ml101.runtime import seeded

DEMO_MAX_PARAMS = 2_000_000  # live demos build real (not meta) modules: keep them small
KERNELS: tuple[str, ...] = ("vertical edges", "horizontal edges", "blur", "sharpen", "random")
IMAGE_SIZE = 8  # the sliding-window demo's single-channel image is IMAGE_SIZE x IMAGE_SIZE
LINEAR_ROWS = 3  # samples in the Linear demo's input
SHOWN = 12  # rows and columns of a matrix drawn with its numbers; the rest is cut off
BN_BATCH = 16  # samples per batch in the BatchNorm demo
BN_SHOWN = 4  # features whose statistics the BatchNorm demo reports
BN_DATA = (3.0, 2.0)  # the BatchNorm demo's batches come from N(mean, std²)
CURVE_REACH, CURVE_PER_UNIT = 5, 20  # the activation curve: x from -5 to 5 in steps of 1/20
LSTM_MAX_STEPS, LSTM_MAX_BATCH = 12, 4  # the LSTM demo's sequence is capped to this


@dataclass(frozen=True)
class LayerSetup:
    """One layer as the page sets it up: the layer, its arguments, the input shape, the
    seed, and the picture's own knobs. The picture and its script follow from it."""

    layer: str
    params: tuple[tuple[str, Any], ...]  # (name, value) in the constructor's order
    shape: tuple[int, ...]
    seed: int
    kernel: str = KERNELS[0]  # Conv2d's demo kernel
    position: int = 0  # Conv2d / MaxPool2d: which output cell the window computes
    steps: int = 30  # BatchNorm1d: training batches fed

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.params)


def runs_live(layer: str, params: dict[str, Any]) -> bool:
    """Whether the layer is small enough for its demo to build it for real."""
    return count_formula(layer, params)[0] <= DEMO_MAX_PARAMS


def _need_live(layer: str, params: dict[str, Any]) -> None:
    if not runs_live(layer, params):
        raise ValueError(f"more than {DEMO_MAX_PARAMS:,} parameters: too big to run live here")


# --- Linear ---------------------------------------------------------------------------

@dataclass
class LinearDemo:
    weight: np.ndarray  # (out_features, in_features), as PyTorch stores it
    bias: np.ndarray | None
    x: np.ndarray  # (LINEAR_ROWS, in_features), seeded
    y: np.ndarray  # x @ weight.T + bias


def linear_demo(params: dict[str, Any], seed: int, rows: int = LINEAR_ROWS) -> LinearDemo:
    """The layer as `torch.manual_seed(seed)` builds it, and a seeded input drawn next."""
    _need_live("Linear", params)
    with seeded(seed), torch.no_grad():
        layer = build("Linear", params, device="cpu")
        x = torch.randn(rows, layer.in_features)
        y = layer(x)
    bias = None if layer.bias is None else layer.bias.detach().numpy()
    return LinearDemo(layer.weight.detach().numpy(), bias, x.numpy(), y.numpy())


# --- Activations ----------------------------------------------------------------------

def activation_curve(layer: str, params: dict[str, Any]) -> pd.DataFrame:
    """f(x) and f'(x) on a grid of exact multiples of 1/CURVE_PER_UNIT (so x = 0 is 0,
    not linspace's -2.8e-16); the derivative is autograd's, not a formula."""
    act = build(layer, params, device="cpu")
    n = CURVE_REACH * CURVE_PER_UNIT
    x = (torch.arange(-n, n + 1, dtype=torch.float64) / CURVE_PER_UNIT).requires_grad_()
    y = act(x)
    (grad,) = torch.autograd.grad(y.sum(), x)  # element-wise: d(sum)/dx_i = f'(x_i)
    return pd.DataFrame({"x": x.detach().numpy(), "f(x)": y.detach().numpy(),
                         "f'(x)": grad.numpy()})


@dataclass
class SoftmaxDemo:
    logits: np.ndarray
    probs: np.ndarray
    sums: np.ndarray  # sums along dim: all 1


SOFTMAX_SHAPE = (3, 4)


def softmax_demo(dim: int, seed: int) -> SoftmaxDemo:
    """Softmax of a small seeded matrix along `dim` (0 or 1, negatives allowed)."""
    logits = torch.randn(SOFTMAX_SHAPE, generator=runtime.generator(seed))
    probs = nn.Softmax(dim=dim)(logits)
    return SoftmaxDemo(logits.numpy(), probs.numpy(), probs.sum(dim=dim).numpy())


# --- A window sliding over an image: Conv2d and MaxPool2d -------------------------------

def demo_image(size: int = IMAGE_SIZE) -> torch.Tensor:
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
    """Whether PyTorch accepts this window on a size x size image (the rules of
    catalog.predict)."""
    if op == "max" and 2 * p > k:
        return False
    fits = op == "max" or size + 2 * p >= d * (k - 1) + 1
    return fits and conv_out(size, k, s, p, d, ceil_mode) >= 1


def slide(op: str, k: int, stride: int, padding: int, dilation: int, position: int,
          kernel_name: str = KERNELS[0], seed: int = 0, ceil_mode: bool = False,
          size: int = IMAGE_SIZE) -> Window:
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


# --- Dropout --------------------------------------------------------------------------

DROPOUT_SHAPE = (6, 12)


@dataclass
class DropoutDemo:
    p: float
    train_out: np.ndarray
    eval_out: np.ndarray
    kept_fraction: float
    scale: float  # 1 / (1 - p): what kept elements are multiplied by in training

    @property
    def train_mean(self) -> float:
        return float(self.train_out.mean())


def dropout_demo(p: float, seed: int) -> DropoutDemo:
    """Dropout on a tensor of ones, so the mask and the 1/(1-p) scaling are plain to see."""
    layer = nn.Dropout(p)
    x = torch.ones(DROPOUT_SHAPE)
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
    history: pd.DataFrame  # one row per training step and shown feature
    recurrence_error: float  # running stats vs the formula, recomputed by hand
    train_mean: np.ndarray  # per shown feature, of a fresh batch's output in train mode
    train_std: np.ndarray
    eval_mean: np.ndarray  # the same batch in eval mode (uses the running statistics)
    eval_std: np.ndarray
    running_mean: np.ndarray  # the buffers after training, shown features
    running_var: np.ndarray
    n_features: int  # shown, of all the layer's features
    data_mean: float
    data_std: float


def batchnorm_demo(num_features: int, momentum: float, affine: bool, steps: int,
                   seed: int) -> BatchNormDemo:
    """Feed `steps` batches of BN_BATCH rows from N(BN_DATA) in train mode; track the
    statistics of the first BN_SHOWN features (the recurrence is checked on all)."""
    c = min(num_features, BN_SHOWN)
    data_mean, data_std = BN_DATA
    bn = nn.BatchNorm1d(num_features, momentum=momentum, affine=affine)
    gen = runtime.generator(seed)
    stats = []  # per step: batch mean, batch variance, running_mean, running_var [4, c]
    run_mean, run_var = torch.zeros(num_features), torch.ones(num_features)
    err = torch.zeros(())
    bn.train()
    for _ in range(steps):
        xb = data_mean + data_std * torch.randn(BN_BATCH, num_features, generator=gen)
        with torch.no_grad():
            bn(xb)
        b_mean, b_var = xb.mean(0), xb.var(0, unbiased=True)
        run_mean = (1 - momentum) * run_mean + momentum * b_mean
        run_var = (1 - momentum) * run_var + momentum * b_var
        err = torch.maximum(err, torch.maximum((run_mean - bn.running_mean).abs().max(),
                                               (run_var - bn.running_var).abs().max()))
        stats.append(torch.stack([b_mean[:c], b_var[:c], bn.running_mean[:c],
                                  bn.running_var[:c]]))
    table = torch.stack(stats).permute(0, 2, 1).reshape(-1, 4).numpy()  # (step, feature) rows
    history = pd.DataFrame({"step": np.repeat(np.arange(1, steps + 1), c),
                            "feature": np.tile(np.arange(c), steps),
                            "batch mean": table[:, 0], "batch variance": table[:, 1],
                            "running_mean": table[:, 2], "running_var": table[:, 3]})
    test = data_mean + data_std * torch.randn(BN_BATCH, num_features, generator=gen)
    with torch.no_grad():
        before = (bn.running_mean.clone(), bn.running_var.clone())
        y_train = bn.train()(test)[:, :c]
        bn.running_mean.copy_(before[0])  # keep the picture about eval, not one more update
        bn.running_var.copy_(before[1])
        y_eval = bn.eval()(test)[:, :c]
    return BatchNormDemo(history, float(err), y_train.mean(0).numpy(),
                         y_train.std(0, unbiased=False).numpy(), y_eval.mean(0).numpy(),
                         y_eval.std(0, unbiased=False).numpy(), before[0][:c].numpy(),
                         before[1][:c].numpy(), c, data_mean, data_std)


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


def lstm_demo_size(params: dict[str, Any], shape: tuple[int, ...]) -> tuple[int, int, bool]:
    """(sequence length, batch, capped?) the demo runs for this input shape."""
    if len(shape) == 3:
        seq, batch = (shape[1], shape[0]) if params["batch_first"] else (shape[0], shape[1])
    else:
        seq, batch = shape[0], 1
    seq_d, batch_d = min(seq, LSTM_MAX_STEPS), min(batch, LSTM_MAX_BATCH)
    return seq_d, batch_d, (seq_d, batch_d) != (seq, batch)


def lstm_demo(params: dict[str, Any], seq_len: int, batch: int, seed: int,
              units: int = 4) -> LSTMDemo:
    """Run the LSTM on a seeded sequence whole, then one step at a time carrying (h, c)."""
    _need_live("LSTM", params)
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
            row = {"t": t, "input x[t]": fmt_shape(tuple(x[t].shape)),
                   "output[t]": fmt_shape(tuple(out_t[t].shape))}
            if not bidir:
                step_in = xin[:, t:t + 1] if bf else xin[t:t + 1]
                step_out, state = lstm(step_in, state)
                step_out = step_out[:, 0] if bf else step_out[0]
                d = float((step_out - out_t[t]).abs().max())
                diff = max(diff, d)
                row["h_t (one step at a time)"] = fmt_shape(tuple(state[0].shape))
                row["max |step − whole|"] = d
            rows.append(row)
        last = float((out_t[-1, :, :h] - h_n[-2 if bidir else -1]).abs().max())
        first_back = float((out_t[0, :, h:] - h_n[-1]).abs().max()) if bidir else None
    k = min(units, h)
    trace = pd.DataFrame([{"t": t, "unit": f"h[{u}]", "value": float(out_t[t, 0, u])}
                          for t in range(seq_len) for u in range(k)])
    return LSTMDemo(pd.DataFrame(rows), tuple(out.shape), tuple(h_n.shape), tuple(c_n.shape),
                    diff, last, first_back, trace)
