"""The Layers and modules page's charts in one sentence each: the text alternative a
screen reader reads, made from the arrays and tables they draw (see `charts.py`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml101.inputs import fmt_shape
from ml101.layers.demos import BatchNormDemo, LinearDemo, LSTMDemo
from ml101.prose import listed, num, trend

SLOPE = "f'(x)"  # the slope's column in demos.activation_curve


def _span(a: np.ndarray) -> str:
    a = np.asarray(a, dtype=float)
    finite = a[np.isfinite(a)]
    if not finite.size:
        return "no finite value"
    return f"from {num(float(finite.min()))} to {num(float(finite.max()))}"


def matrix(values: np.ndarray, title: str, framed: int = 0) -> str:
    """'Kernel, a (3, 3) grid of numbers from -0.3 to 0.3, each cell labelled.'"""
    v = np.asarray(values)
    words = f"{title}: a {fmt_shape(v.shape)} grid of numbers {_span(v)}, each cell labelled"
    return words + (f"; {framed} cells framed." if framed else ".")


def linear(d: LinearDemo) -> str:
    """'x (4, 3), Wᵀ (3, 2), b (2,) and y = x Wᵀ + b (4, 2): y from ... to ...'."""
    parts = [f"x {fmt_shape(d.x.shape)} {_span(d.x)}",
             f"Wᵀ {fmt_shape(d.weight.T.shape)} {_span(d.weight)}"]
    if d.bias is not None:
        parts.append(f"b {fmt_shape(d.bias.shape)} {_span(d.bias)}")
    return (f"Heat maps, each cell labelled with its value: {listed(parts)}, and the output "
            f"y = x Wᵀ{' + b' if d.bias is not None else ''} {fmt_shape(d.y.shape)} "
            f"{_span(d.y)}.")


def activation(curve: pd.DataFrame, layer: str) -> str:
    """'nn.ReLU from x = -5 to 5: f(x) from 0 to 5, its slope f′(x) from 0 to 1.'"""
    x = curve["x"]
    return (f"Line chart of nn.{layer} from x = {num(float(x.min()))} to "
            f"{num(float(x.max()))}: f(x) {_span(curve['f(x)'])}, its slope f′(x) from "
            f"autograd {_span(curve[SLOPE])}; at x = 0, f is "
            f"{num(float(curve.loc[x.abs().idxmin(), 'f(x)']))}.")


def batchnorm(d: BatchNormDemo) -> str:
    """'Feature 0 per batch: batch mean near 3.1; running mean rose from 0.31 to 2.1 ...'."""
    h = d.history[d.history["feature"] == 0]
    steps = h["step"].tolist()
    return (f"Line chart of feature 0 per training batch: batch mean {_span(h['batch mean'])}; "
            f"the running mean {trend(h['running_mean'].tolist(), steps, step='batch')} "
            f"and the running variance {trend(h['running_var'].tolist(), steps, step='batch')}"
            f", towards the data's mean {num(d.data_mean)} and variance "
            f"{num(d.data_std ** 2)}.")


def lstm(d: LSTMDemo) -> str:
    """'Four hidden units of the top layer over 6 time steps: h[0] from ... to ...'."""
    t = d.trace
    steps = t["t"].nunique()
    units = [f"{u} {_span(g['value'])}" for u, g in t.groupby("unit", sort=False)]
    return (f"Line chart of {len(units)} hidden units of the top layer over {steps} time "
            f"steps, sample 0: {'; '.join(units)}.")
