"""The NumPy network of lesson 4 and its PyTorch twin, trained side by side.

Both start from the same weights (PyTorch initialises them under the seed; NumPy gets
copies), see the same data (NumPy transposed: samples along axis 1), use the same loss
(binary cross-entropy on a sigmoid output) and plain full-batch gradient descent. In
float64 their losses agree to rounding error at every step, and every gradient the
NumPy code works out by hand matches autograd's. `outcome` says whether the run solved
its data and, for ReLU networks, which hidden units died and which points went blind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ml101 import datasets
from ml101.models import count_params
from ml101.runtime import seeded
from ml101.twin.numpy_net import DenseLayer, NeuralNetwork

HIDDEN: tuple[str, ...] = ("relu", "tanh", "sigmoid")
TORCH_ACT = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
DATASETS: tuple[str, ...] = ("xor", "xor_noisy", "moons", "circles", "spiral")
DTYPES = {"float64": (torch.float64, np.float64), "float32": (torch.float32, np.float32)}
MAX_EPOCHS = 5000
MAX_SAMPLES = 1000
MAX_WORK = 4e9  # epochs x samples x weights: a few seconds at most
BOUNDARY_RES = 40  # grid points per side of a decision map: smooth at 240 px, light JSON


class TwinError(ValueError):
    """Settings the twins cannot train with; the message says what is allowed."""


@dataclass(frozen=True)
class TwinSetup:
    """Everything one side-by-side training depends on; build it with `setup()`, which
    folds settings that do not matter (XOR's fixed size, noise of noiseless data) so
    equal trainings get equal setups."""

    data: str
    n_samples: int
    noise: float
    sizes: tuple[int, ...]
    hidden: str
    epochs: int
    lr: float
    seed: int
    dtype: str = "float64"


def setup(data: str, n_samples: int, noise: float, sizes: tuple[int, ...], hidden: str,
          epochs: int, lr: float, seed: int, dtype: str = "float64") -> TwinSetup:
    """The setup for these settings, or TwinError before any work if they cannot train."""
    if data not in DATASETS:
        raise TwinError(f"unknown dataset {data!r}; choose one of {', '.join(DATASETS)}")
    if hidden not in HIDDEN:
        raise TwinError(f"unknown activation {hidden!r}; choose one of {', '.join(HIDDEN)}")
    if dtype not in DTYPES:
        raise TwinError(f"unknown precision {dtype!r}; choose one of {', '.join(DTYPES)}")
    spec = datasets.DATASETS[data]
    n = spec.default_size if data == "xor" else min(max(n_samples, spec.min_size), MAX_SAMPLES)
    check(sizes, n, epochs)
    return TwinSetup(data, n, float(noise) if spec.has_noise else 0.0, tuple(sizes), hidden,
                     int(epochs), float(lr), int(seed), dtype)


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


def load_data(s: TwinSetup) -> tuple[torch.Tensor, torch.Tensor]:
    """X [N, 2] and y [N, 1] from the shared datasets module, in the setup's dtype."""
    ds = datasets.make_dataset(s.data, s.n_samples, s.noise, s.seed)
    t = DTYPES[s.dtype][0]
    return ds.X.to(t), ds.y.to(t)


def torch_twin(sizes: tuple[int, ...], hidden: str, dtype: str = "float64") -> nn.Sequential:
    """Linear, act, ..., Linear, Sigmoid; initialised by PyTorch's own rules (seed first)."""
    mods: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1], dtype=DTYPES[dtype][0]))
        mods.append(getattr(nn, TORCH_ACT[hidden])() if i < len(sizes) - 2 else nn.Sigmoid())
    return nn.Sequential(*mods)


def initial_model(s: TwinSetup) -> nn.Sequential:
    """The PyTorch twin as `torch.manual_seed(seed)` then `torch_twin(...)` builds it."""
    with seeded(s.seed):
        return torch_twin(s.sizes, s.hidden, s.dtype)


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


@dataclass
class TwinRun:
    """The two trainings, step by step."""

    setup: TwinSetup
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


def train_side_by_side(s: TwinSetup, X: torch.Tensor, y: torch.Tensor) -> TwinRun:
    """Same start, same data, same steps: train both, timing each in this one call."""
    check(s.sizes, len(X), s.epochs)
    model = initial_model(s)
    net = numpy_copy(model, s.hidden)
    Xn, Yn = X.numpy().T.copy(), y.numpy().T.copy()  # the layout flip: samples on axis 1
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=s.lr)
    losses_t: list[float] = []
    t0 = time.perf_counter()
    losses_np = net.fit(Xn, Yn, s.epochs, s.lr)
    t1 = time.perf_counter()
    for _ in range(s.epochs):
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
    return TwinRun(s, np.array(losses_np), np.array(losses_t), t_np, t_torch, diff, pred_n,
                   pred_t, acc, model, net)


# --- Did it work, and if not, why? ---------------------------------------------------

def hidden_outputs(model: nn.Sequential, X: torch.Tensor) -> list[np.ndarray]:
    """Each hidden layer's output (after its activation) for every point: [N, units]."""
    outs, h = [], X
    with torch.no_grad():
        for m in list(model)[:-2]:  # the last Linear and the output Sigmoid are not hidden
            h = m(h)
            if not isinstance(m, nn.Linear):
                outs.append(h.numpy().copy())
    return outs


@dataclass(frozen=True)
class Unit:
    """One hidden unit, counted from 1 as a learner would: unit 3 of hidden layer 1."""

    layer: int
    unit: int
    deep: bool = False  # the network has more than one hidden layer

    def __str__(self) -> str:
        return f"{self.layer}.{self.unit}" if self.deep else str(self.unit)


@dataclass
class Outcome:
    """Whether the run fits its training data and, if not, what a ReLU network's hidden
    units did: dead ones are off (0) for every training point, so no gradient reaches
    them; blind points switch off the whole last hidden layer, so the network gives them
    all the same answer."""

    correct: int
    n: int
    dead_start: list[Unit]  # ReLU only: dead before the first step
    dead_end: list[Unit]
    blind: list[int]  # indices of points the last hidden layer cannot see (all zero)
    blind_output: float | None  # the one probability every blind point gets
    blind_classes: int  # how many classes the blind points hold
    activity: pd.DataFrame  # per unit and moment ("start", "end"): share of points on
    last_hidden: np.ndarray  # the last hidden layer's output at the end, [N, units]

    @property
    def accuracy(self) -> float:
        return self.correct / self.n

    @property
    def solved(self) -> bool:
        return self.correct == self.n


def _units_on(outs: list[np.ndarray]) -> list[tuple[Unit, float]]:
    """Each hidden unit with the share of points it is on for (output above 0)."""
    deep = len(outs) > 1
    return [(Unit(i + 1, u + 1, deep), float((h[:, u] > 0).mean()))
            for i, h in enumerate(outs) for u in range(h.shape[1])]


def outcome(run: TwinRun, X: torch.Tensor, y: torch.Tensor) -> Outcome:
    """Accuracy on the training data and the hidden units' story, at start and at end."""
    labels = y.numpy().ravel() > 0.5
    correct = int(((run.pred_torch > 0.5) == labels).sum())
    start = _units_on(hidden_outputs(initial_model(run.setup), X))
    end_outs = hidden_outputs(run.model, X)
    end = _units_on(end_outs)
    relu = run.setup.hidden == "relu" and bool(end_outs)
    dead_start = [u for u, on in start if relu and on == 0]
    dead_end = [u for u, on in end if relu and on == 0]
    last = end_outs[-1] if end_outs else np.zeros((len(labels), 0))
    blind = [int(i) for i in np.flatnonzero(~(last > 0).any(axis=1))] if relu else []
    blind_output = float(run.pred_torch[blind[0]]) if blind else None
    activity = pd.DataFrame([{"unit": str(u), "when": when, "share on": on}
                             for when, rows in (("start", start), ("end", end))
                             for u, on in rows])
    return Outcome(correct, len(labels), dead_start, dead_end, blind, blind_output,
                   len(set(labels[blind].tolist())), activity, last)


# --- Gradients, by hand and by autograd ------------------------------------------------

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


def boundary_grid(run: TwinRun, X: torch.Tensor, res: int = BOUNDARY_RES) -> pd.DataFrame:
    """Both networks' P(class 1) on a grid over the data, for decision-boundary maps.
    Row-major: x1 varies fastest, then x2."""
    lo, hi = X.min(0).values.numpy() - 0.3, X.max(0).values.numpy() + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(X.numpy().dtype)
    with torch.no_grad():
        p_t = run.model(torch.from_numpy(pts)).numpy().ravel()
    p_n = run.net.predict(pts.T).ravel()
    return pd.DataFrame({"x1": pts[:, 0], "x2": pts[:, 1], "NumPy": p_n, "PyTorch": p_t})
