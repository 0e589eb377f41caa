"""The NumPy network of lesson 4 and its PyTorch twin, trained side by side.

Both start from the same weights (PyTorch initialises them under the seed; NumPy gets
copies), see the same data (NumPy transposed: samples along axis 1), use the same loss
(binary cross-entropy on a sigmoid output) and plain full-batch gradient descent. In
float64 their losses agree to rounding error at every step, and every gradient the
NumPy code works out by hand matches autograd's.
"""

from __future__ import annotations

import functools
import inspect
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ml101 import datasets
from ml101.models import count_params
from ml101.runtime import seeded
from ml101.twin import numpy_net
from ml101.twin.numpy_net import DenseLayer, NeuralNetwork

HIDDEN: tuple[str, ...] = ("relu", "tanh", "sigmoid")
TORCH_ACT = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
DATASETS: tuple[str, ...] = ("xor", "xor_noisy", "moons", "circles", "spiral")
DTYPES = {"float64": (torch.float64, np.float64), "float32": (torch.float32, np.float32)}
MAX_EPOCHS = 5000
MAX_SAMPLES = 1000
MAX_WORK = 4e9  # epochs x samples x weights: a few seconds at most


class TwinError(ValueError):
    """Settings the twins cannot train with; the message says what is allowed."""


def load_data(name: str, n_samples: int, noise: float, seed: int, dtype: str = "float64"
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """X [N, 2] and y [N, 1] from the shared datasets module, in the chosen dtype."""
    if name not in DATASETS:
        raise TwinError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    spec = datasets.DATASETS[name]
    n = spec.default_size if name == "xor" else min(max(n_samples, spec.min_size), MAX_SAMPLES)
    ds = datasets.make_dataset(name, n, noise if spec.has_noise else 0.0, seed)
    t = DTYPES[dtype][0]
    return ds.X.to(t), ds.y.to(t)


def torch_twin(sizes: tuple[int, ...], hidden: str, dtype: str = "float64") -> nn.Sequential:
    """Linear, act, ..., Linear, Sigmoid; initialised by PyTorch's own rules (seed first)."""
    mods: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1], dtype=DTYPES[dtype][0]))
        mods.append(getattr(nn, TORCH_ACT[hidden])() if i < len(sizes) - 2 else nn.Sigmoid())
    return nn.Sequential(*mods)


def numpy_copy(model: nn.Sequential, hidden: str) -> NeuralNetwork:
    """The NumPy network holding copies of the model's weights (same W shape: (out, in))."""
    net = NeuralNetwork(loss="binary_crossentropy")
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for i, lin in enumerate(linears):
        layer = DenseLayer(lin.in_features, lin.out_features,
                           activation="sigmoid" if i == len(linears) - 1 else hidden)
        layer.W = lin.weight.detach().numpy().copy()
        layer.b = lin.bias.detach().numpy().reshape(-1, 1).copy()
        net.add(layer)
    return net


def check(sizes: tuple[int, ...], n_samples: int, epochs: int) -> None:
    """Refuse, before any work, shapes and sizes the page cannot train in a few seconds."""
    if sizes[0] != 2:
        raise TwinError(f"The data has 2 features, so the first width must be 2 (got {sizes[0]}).")
    if sizes[-1] != 1:
        raise TwinError("Binary classification has one output: the last width must be 1 "
                        f"(got {sizes[-1]}).")
    if not 1 <= epochs <= MAX_EPOCHS:
        raise TwinError(f"Epochs must be between 1 and {MAX_EPOCHS}; got {epochs}.")
    weights = count_params(sizes)
    if epochs * n_samples * weights > MAX_WORK:
        raise TwinError(f"{epochs:,} epochs x {n_samples:,} samples x {weights:,} weights is "
                        "too much to run live here; make one of them smaller.")


@dataclass
class Race:
    """The two trainings, step by step."""

    losses_np: np.ndarray
    losses_torch: np.ndarray
    seconds_np: float
    seconds_torch: float
    max_param_diff: float  # after training, over every weight and bias
    pred_np: np.ndarray  # final predictions, [N]
    pred_torch: np.ndarray
    accuracy: float
    model: nn.Sequential
    net: NeuralNetwork

    @property
    def loss_diff(self) -> np.ndarray:
        return np.abs(self.losses_np - self.losses_torch)

    @property
    def max_loss_diff(self) -> float:
        return float(self.loss_diff.max())


def initial_model(sizes: tuple[int, ...], hidden: str, seed: int, dtype: str = "float64"
                  ) -> nn.Sequential:
    """The PyTorch twin as `torch.manual_seed(seed)` then `torch_twin(...)` builds it."""
    with seeded(seed):
        return torch_twin(sizes, hidden, dtype)


def race(sizes: tuple[int, ...], hidden: str, X: torch.Tensor, y: torch.Tensor, epochs: int,
         lr: float, seed: int, dtype: str = "float64") -> Race:
    """Same start, same data, same steps: train both, timing each in this one call."""
    check(sizes, len(X), epochs)
    model = initial_model(sizes, hidden, seed, dtype)
    net = numpy_copy(model, hidden)
    Xn, Yn = X.numpy().T.copy(), y.numpy().T.copy()  # the layout flip: samples on axis 1
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses_t: list[float] = []
    t0 = time.perf_counter()
    losses_np = net.fit(Xn, Yn, epochs, lr)
    t1 = time.perf_counter()
    for _ in range(epochs):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses_t.append(loss.item())
    t_np, t_torch = t1 - t0, time.perf_counter() - t1
    linears = [m for m in model if isinstance(m, nn.Linear)]
    diff = max(max(float(np.abs(lay.W - lin.weight.detach().numpy()).max()),
                   float(np.abs(lay.b.ravel() - lin.bias.detach().numpy()).max()))
               for lay, lin in zip(net.layers, linears, strict=True))
    with torch.no_grad():
        pred_t = model(X).numpy().ravel()
    pred_n = net.predict(Xn).ravel()
    acc = float(((pred_t > 0.5) == (y.numpy().ravel() > 0.5)).mean())
    return Race(np.array(losses_np), np.array(losses_t), t_np, t_torch, diff, pred_n, pred_t,
                acc, model, net)


@dataclass
class GradRow:
    layer: int
    param: str  # "W" / "b" on the NumPy side
    torch_name: str  # e.g. "0.weight"
    shape: tuple[int, ...]
    max_abs_grad: float
    max_abs_diff: float


def gradient_check(model: nn.Sequential, hidden: str, X: torch.Tensor, y: torch.Tensor
                   ) -> list[GradRow]:
    """Every layer's dW and db by hand (NumPy) against autograd's, at the model's weights."""
    net = numpy_copy(model, hidden)
    Xn, Yn = X.numpy().T, y.numpy().T
    net.backward(net.forward(Xn), Yn)
    model.zero_grad()
    nn.BCELoss()(model(X), y).backward()
    rows = []
    idx = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
    for k, (lay, i) in enumerate(zip(net.layers, idx, strict=True)):
        lin = model[i]
        for name, mine, theirs in (("W", lay.dW, lin.weight.grad.numpy()),
                                   ("b", lay.db.ravel(), lin.bias.grad.numpy())):
            rows.append(GradRow(k + 1, name, f"{i}.{'weight' if name == 'W' else 'bias'}",
                                tuple(theirs.shape), float(np.abs(theirs).max()),
                                float(np.abs(mine - theirs).max())))
    model.zero_grad()
    return rows


def loss_chart(r: Race) -> dict[str, Any]:
    """Both loss curves (they overlap) above the per-step difference on a log scale.

    A plain Vega-Lite spec (the grammar Altair emits, built directly: Altair's to_dict
    costs ~100 ms per chart), its data inline and compact (one record per step, unfolded
    in the browser): Streamlit serialises the spec to JSON on every rerun."""
    n = len(r.losses_np)
    stride = max(1, n // 400)  # a few hundred points draw the same picture
    steps = np.arange(0, n, stride)
    curves = [{"step": s, "NumPy (by hand)": a, "PyTorch": b} for s, a, b in zip(
        steps.tolist(), r.losses_np[steps].tolist(), r.losses_torch[steps].tolist(),
        strict=True)]
    diff = [{"step": s, "|difference|": v} for s, v in zip(
        steps.tolist(), np.maximum(r.loss_diff[steps], 1e-18).tolist(), strict=True)]
    step_x = {"field": "step", "type": "quantitative", "title": "step"}
    top = {"title": "Training loss", "height": 260, "data": {"values": curves},
           "transform": [{"fold": ["NumPy (by hand)", "PyTorch"], "as": ["network", "loss"]}],
           "mark": "line", "encoding": {
               "x": step_x, "y": {"field": "loss", "type": "quantitative", "title": "BCE loss"},
               "color": {"field": "network", "type": "nominal",
                         "legend": {"orient": "top", "title": None}},
               "strokeDash": {"field": "network", "type": "nominal", "legend": None},
               "strokeWidth": {"field": "network", "type": "nominal",
                               "scale": {"range": [5, 2]}, "legend": None},
               "tooltip": [{"field": "step", "type": "quantitative"},
                           {"field": "network", "type": "nominal"},
                           {"field": "loss", "type": "quantitative", "format": ".10f"}]}}
    below = {"title": "|NumPy loss − PyTorch loss| per step (exact zeros drawn at 1e-18)",
             "height": 160, "data": {"values": diff},
             "mark": {"type": "line", "color": "#d62728"}, "encoding": {
                 "x": step_x, "y": {"field": "|difference|", "type": "quantitative",
                                    "scale": {"type": "log"}},
                 "tooltip": [{"field": "step", "type": "quantitative"},
                             {"field": "|difference|", "type": "quantitative",
                              "format": ".3e"}]}}
    return {"vconcat": [top, below], "resolve": {"scale": {"x": "shared"}}}


BOUNDARY_RES = 50  # grid points per side of a decision-boundary map
# P(class 1) from blue to red, paler than the dots (class 0 blue, class 1 red) on top
MAP_COLOURS = ["#8db7dc", "#f7f7f7", "#e39a8b"]
OVERLAP = 1.25  # cells overlap their neighbours a little: no anti-aliasing seams


def boundary_grid(r: Race, X: torch.Tensor, res: int = BOUNDARY_RES) -> pd.DataFrame:
    """Both networks' P(class 1) on a grid over the data, for decision-boundary maps.
    Row-major: x1 varies fastest, then x2."""
    lo, hi = X.min(0).values.numpy() - 0.3, X.max(0).values.numpy() + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(X.numpy().dtype)
    with torch.no_grad():
        p_t = r.model(torch.from_numpy(pts)).numpy().ravel()
    p_n = r.net.predict(pts.T).ravel()
    return pd.DataFrame({"x1": pts[:, 0], "x2": pts[:, 1], "NumPy": p_n, "PyTorch": p_t})


def boundary_chart(grid: pd.DataFrame, X: torch.Tensor, y: torch.Tensor, which: str
                   ) -> dict[str, Any]:
    """One network's P(class 1) as a heat map under the data points, as a Vega-Lite spec.

    The grid goes as a bare list of probabilities (rounded to 4 decimals: they only pick a
    colour); the browser rebuilds each cell's position from its index, which keeps the
    JSON Streamlit writes on every rerun about 4x smaller than one record per cell."""
    res = round(len(grid) ** 0.5)
    x0, x1 = float(grid["x1"].iloc[0]), float(grid["x1"].iloc[res - 1])
    y0, y1 = float(grid["x2"].iloc[0]), float(grid["x2"].iloc[-1])
    dx, dy = (x1 - x0) / (res - 1), (y1 - y0) / (res - 1)
    probs = np.round(grid[which].to_numpy(dtype=float), 4).tolist()
    dots = [{"x1": a, "x2": b, "class": str(int(c))} for a, b, c in zip(
        X[:, 0].tolist(), X[:, 1].tolist(), y[:, 0].tolist(), strict=True)]
    col, row = f"((datum.i - 1) % {res})", f"floor((datum.i - 1) / {res})"
    heat = {"data": {"values": probs},  # Vega-Lite wraps each number as {"data": p}
            "transform": [
                {"window": [{"op": "row_number", "as": "i"}]},
                {"calculate": f"{x0!r} + ({col} - 0.5) * {dx!r}", "as": "left"},
                {"calculate": f"datum.left + {dx * OVERLAP!r}", "as": "right"},
                {"calculate": f"{y0!r} + ({row} - 0.5) * {dy!r}", "as": "bottom"},
                {"calculate": f"datum.bottom + {dy * OVERLAP!r}", "as": "top"}],
            "mark": {"type": "rect"}, "encoding": {
                "x": {"field": "left", "type": "quantitative", "title": "x₁",
                      "scale": {"zero": False, "nice": False}},
                "x2": {"field": "right"},
                "y": {"field": "bottom", "type": "quantitative", "title": "x₂",
                      "scale": {"zero": False, "nice": False}},
                "y2": {"field": "top"},
                "color": {"field": "data", "type": "quantitative", "title": "P(class 1)",
                          "scale": {"domain": [0, 0.5, 1], "range": MAP_COLOURS}},
                "tooltip": [{"field": "data", "type": "quantitative", "title": "P(class 1)",
                             "format": ".3f"}]}}
    points = {"data": {"values": dots},
              "mark": {"type": "point", "filled": True, "size": 60, "stroke": "black",
                       "strokeWidth": 0.6},
              "encoding": {"x": {"field": "x1", "type": "quantitative"},
                           "y": {"field": "x2", "type": "quantitative"},
                           "color": {"field": "class", "type": "nominal", "legend": None,
                                     "scale": {"domain": ["0", "1"],
                                               "range": ["#2166ac", "#b2182b"]}},
                           "tooltip": [{"field": "x1", "type": "quantitative", "format": ".3f"},
                                       {"field": "x2", "type": "quantitative", "format": ".3f"},
                                       {"field": "class", "type": "nominal"}]}}
    return {"title": which, "height": 300, "width": 300, "layer": [heat, points],
            "resolve": {"scale": {"color": "independent"}}}  # P(class 1) vs class colours


@functools.cache
def numpy_source() -> str:
    """The NumPy network exactly as it runs on this page."""
    src = inspect.getsource(numpy_net)
    return src[src.index("import numpy"):]


TORCH_SOURCE = '''import torch
from torch import nn


def torch_twin(sizes, hidden):  # hidden: "ReLU", "Tanh" or "Sigmoid"
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
        mods.append(getattr(nn, hidden)() if i < len(sizes) - 2 else nn.Sigmoid())
    return nn.Sequential(*mods)


def train_torch(model, X, y, epochs, lr):  # X: (samples, features)
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()  # autograd: no backward pass to write
        optimizer.step()  # p -= lr * p.grad
        losses.append(loss.item())
    return losses
'''


def code_for(name: str, n_samples: int, noise: float, sizes: tuple[int, ...], hidden: str,
             epochs: int, lr: float, seed: int, dtype: str = "float64") -> str:
    """One script: the data, both networks from the same weights, both trained, compared."""
    spec = datasets.DATASETS[name]
    n = spec.default_size if name == "xor" else min(max(n_samples, spec.min_size), MAX_SAMPLES)
    call = datasets.generator_call(name, n, noise if spec.has_noise else 0.0, spec.n_classes,
                                   f"torch.Generator().manual_seed({seed})")
    tsrc = TORCH_SOURCE.replace("torch.float64", f"torch.{dtype}")
    return "\n".join([
        "import math",
        "",
        numpy_source(),
        "",
        tsrc,
        "",
        datasets.generator_source(name),
        "",
        f"X, y = {call}",
        f"X, y = X.to(torch.{dtype}), y.to(torch.{dtype})",
        "",
        f"torch.manual_seed({seed})",
        f"model = torch_twin({sizes!r}, {TORCH_ACT[hidden]!r})",
        "net = NeuralNetwork(loss='binary_crossentropy')",
        "linears = [m for m in model if isinstance(m, nn.Linear)]",
        "for i, lin in enumerate(linears):",
        f"    act = 'sigmoid' if i == len(linears) - 1 else {hidden!r}",
        "    layer = DenseLayer(lin.in_features, lin.out_features, activation=act)",
        "    layer.W = lin.weight.detach().numpy().copy()  # same shape: (out, in)",
        "    layer.b = lin.bias.detach().numpy().reshape(-1, 1).copy()",
        "    net.add(layer)",
        "",
        "# the layout flip: NumPy wants samples along axis 1",
        f"losses_np = net.fit(X.numpy().T.copy(), y.numpy().T.copy(), {epochs}, {lr!r})",
        f"losses_torch = train_torch(model, X, y, {epochs}, {lr!r})",
        "diff = max(abs(a - b) for a, b in zip(losses_np, losses_torch))",
        'print("first loss:", losses_np[0], losses_torch[0])',
        'print("final loss:", losses_np[-1], losses_torch[-1])',
        'print("largest per-step loss difference:", diff)',
    ]) + "\n"
