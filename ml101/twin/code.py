"""The scripts behind NumPy vs PyTorch: the whole comparison, and each side alone.

`code_for(setup)` is one runnable script: the data, both networks from the same weights,
both trained, and the page's numbers printed (losses, their largest difference, the
accuracy, and for a ReLU network its dead hidden units). `code_for(net)` is the NumPy
network exactly as it runs on the page; `code_for(model)` the PyTorch side.
"""

from __future__ import annotations

import functools
import inspect
from functools import singledispatch

from torch import nn

from ml101 import datasets
from ml101.twin import numpy_net
from ml101.twin.numpy_net import NeuralNetwork
from ml101.twin.pair import TORCH_ACT, TwinSetup

_TORCH = '''import torch
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


@singledispatch
def code_for(what: object) -> str:
    """The script that reproduces `what`: a TwinSetup (the whole comparison), a
    NeuralNetwork (the NumPy side) or an nn.Module (the PyTorch side)."""
    raise TypeError(f"no script for {type(what).__name__}")


@code_for.register
def _(net: NeuralNetwork) -> str:
    return _numpy_source()


@functools.cache
def _numpy_source() -> str:
    src = inspect.getsource(numpy_net)
    return src[src.index("import numpy"):]


@code_for.register
def _(model: nn.Module) -> str:
    dtype = next(model.parameters()).dtype
    return _torch_source(str(dtype).removeprefix("torch."))


def _torch_source(dtype: str) -> str:
    return _TORCH.replace("torch.float64", f"torch.{dtype}")


@code_for.register
def _(s: TwinSetup) -> str:
    spec = datasets.DATASETS[s.data]
    call = datasets.generator_call(s.data, s.n_samples, s.noise, spec.n_classes,
                                   f"torch.Generator().manual_seed({s.seed})")
    dead = [] if s.hidden != "relu" or len(s.sizes) < 3 else [
        "",
        "# ReLU units that are off (0) for every training point are dead: no gradient",
        "h = X",
        "with torch.no_grad():",
        "    for i, m in enumerate(model[:-2]):  # the hidden layers",
        "        h = m(h)",
        "        if isinstance(m, nn.ReLU):",
        "            dead = [u + 1 for u in range(h.shape[1]) if not (h[:, u] > 0).any()]",
        '            print(f"hidden layer {i // 2 + 1}: dead units {dead}")',
    ]
    return "\n".join([
        "import math",
        "",
        _numpy_source(),
        "",
        _torch_source(s.dtype),
        "",
        datasets.generator_source(s.data),
        "",
        f"X, y = {call}",
        f"X, y = X.to(torch.{s.dtype}), y.to(torch.{s.dtype})",
        "",
        f"torch.manual_seed({s.seed})",
        f"model = torch_twin({s.sizes!r}, {TORCH_ACT[s.hidden]!r})",
        "net = NeuralNetwork(loss='binary_crossentropy')",
        "linears = [m for m in model if isinstance(m, nn.Linear)]",
        "for i, lin in enumerate(linears):",
        f"    act = 'sigmoid' if i == len(linears) - 1 else {s.hidden!r}",
        "    layer = DenseLayer(lin.in_features, lin.out_features, activation=act)",
        "    layer.W = lin.weight.detach().numpy().copy()  # same shape: (out, in)",
        "    layer.b = lin.bias.detach().numpy().reshape(-1, 1).copy()",
        "    net.add(layer)",
        "",
        "# the layout flip: NumPy wants samples along axis 1",
        f"losses_np = net.fit(X.numpy().T.copy(), y.numpy().T.copy(), {s.epochs}, {s.lr!r})",
        f"losses_torch = train_torch(model, X, y, {s.epochs}, {s.lr!r})",
        "diff = max(abs(a - b) for a, b in zip(losses_np, losses_torch))",
        'print("first loss:", losses_np[0], losses_torch[0])',
        'print("final loss:", losses_np[-1], losses_torch[-1])',
        'print("largest per-step loss difference:", diff)',
        "",
        "with torch.no_grad():",
        "    right = ((model(X) > 0.5) == (y > 0.5)).sum().item()",
        'print(f"accuracy: {right} of {len(X)} training points right ({right / len(X):.1%})")',
        *dead,
    ]) + "\n"
