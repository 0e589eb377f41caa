"""A multilayer perceptron built from a small spec, as nn.Module and as nn.Sequential.

The page lets a learner pick hidden sizes, activation, dropout and batch norm; this
module turns those choices into a real network, lists its parameters, and writes the
same network as code. The two forms (a Module subclass and a plain Sequential) create
their layers in the same order, so under one seed they hold identical weights.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import torch
from torch import nn

from ml101.inputs import InputError
from ml101.runtime import check_budget

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "ReLU": nn.ReLU, "Tanh": nn.Tanh, "LeakyReLU": nn.LeakyReLU, "Sigmoid": nn.Sigmoid,
    "GELU": nn.GELU,
}
MAX_LAYERS = 6
MAX_WIDTH = 512
MAX_DROPOUT = 0.9


@dataclass(frozen=True)
class ModelSpec:
    """Everything that decides the network's shape (not its weights)."""

    n_in: int
    hidden: tuple[int, ...]
    n_out: int
    activation: str = "ReLU"
    dropout: float = 0.0
    batch_norm: bool = False
    sigmoid_head: bool = False  # the lesson's nn.Sigmoid() last layer, for nn.BCELoss

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"not {self.activation!r}")
        if len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"at most {MAX_LAYERS} hidden layers, not {len(self.hidden)}")
        if any(not 1 <= h <= MAX_WIDTH for h in self.hidden):
            raise ValueError(f"every hidden layer needs 1 to {MAX_WIDTH} units")
        if not 0.0 <= self.dropout <= MAX_DROPOUT:
            raise ValueError(f"dropout must be between 0 and {MAX_DROPOUT}, not {self.dropout}")


class HiddenSizesError(InputError):
    """Why a typed list of hidden-layer sizes was refused."""

    allowed = (f"up to {MAX_LAYERS} whole numbers from 1 to {MAX_WIDTH}, separated by commas, "
               "such as 64, 32 (empty: no hidden layer)")


def parse_hidden(text: str) -> tuple[int, ...]:
    """Read hidden sizes typed as '64, 32' (or '64 32'); an empty text means no hidden layer.

    Only digits, commas and spaces are accepted, so nothing typed is ever evaluated."""
    text = text.strip()
    if len(text) > 60:
        raise HiddenSizesError("keep the layer list short: at most 60 characters")
    if not re.fullmatch(r"[0-9,\s]*", text):
        raise HiddenSizesError("hidden sizes are whole numbers separated by commas")
    parts = [p for p in re.split(r"[,\s]+", text) if p]
    if len(parts) > MAX_LAYERS:
        raise HiddenSizesError(f"{len(parts)} hidden layers; at most {MAX_LAYERS}")
    sizes = tuple(int(p) for p in parts)
    if any(not 1 <= s <= MAX_WIDTH for s in sizes):
        raise HiddenSizesError(f"each hidden layer needs 1 to {MAX_WIDTH} units")
    return sizes


def layers(spec: ModelSpec) -> list[nn.Module]:
    """The layers in order: [Linear, (BatchNorm), activation, (Dropout)] per hidden layer."""
    out: list[nn.Module] = []
    prev = spec.n_in
    for width in spec.hidden:
        out.append(nn.Linear(prev, width))
        if spec.batch_norm:
            out.append(nn.BatchNorm1d(width))
        out.append(ACTIVATIONS[spec.activation]())
        if spec.dropout > 0:
            out.append(nn.Dropout(spec.dropout))
        prev = width
    out.append(nn.Linear(prev, spec.n_out))
    if spec.sigmoid_head:
        out.append(nn.Sigmoid())
    return out


class MLP(nn.Module):
    """The network as a Module subclass: layers in `self.network`, as the lesson writes it."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.network = nn.Sequential(*layers(spec))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)


def count_params(sizes: tuple[int, ...]) -> int:
    """Weights plus biases of every Linear: sum of in·out + out."""
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def n_parameters(spec: ModelSpec) -> int:
    """Parameter count computed from the spec, before anything is allocated."""
    total, prev = 0, spec.n_in
    for width in spec.hidden:
        total += prev * width + width + (2 * width if spec.batch_norm else 0)
        prev = width
    return total + prev * spec.n_out + spec.n_out


def build_model(spec: ModelSpec) -> MLP:
    """Allocate the network (uses the global RNG for init: call inside `seeded`)."""
    check_budget(4 * n_parameters(spec) * 4, "This network (weights, grads, optimizer state)")
    return MLP(spec)


def as_sequential(spec: ModelSpec) -> nn.Sequential:
    """The same network written as a bare nn.Sequential (same init order, same weights)."""
    check_budget(4 * n_parameters(spec) * 4, "This network (weights, grads, optimizer state)")
    return nn.Sequential(*layers(spec))


def parameter_table(model: nn.Module) -> list[dict[str, object]]:
    """One row per parameter tensor: name, shape, count; what `named_parameters` yields."""
    return [{"name": name, "shape": str(tuple(p.shape)), "count": p.numel()}
            for name, p in model.named_parameters()]


def model_source(spec: ModelSpec) -> str:
    """Python that builds the same network as a Module subclass."""
    act = spec.activation
    lines = [
        "class MLP(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        "        layers = []",
        f"        prev = {spec.n_in}",
        f"        for width in {list(spec.hidden)}:",
        "            layers.append(nn.Linear(prev, width))",
    ]
    if spec.batch_norm:
        lines.append("            layers.append(nn.BatchNorm1d(width))")
    lines.append(f"            layers.append(nn.{act}())")
    if spec.dropout > 0:
        lines.append(f"            layers.append(nn.Dropout({spec.dropout!r}))")
    lines += [
        "            prev = width",
        f"        layers.append(nn.Linear(prev, {spec.n_out}))",
    ]
    if spec.sigmoid_head:
        lines.append("        layers.append(nn.Sigmoid())  # the lesson's head, for nn.BCELoss")
    lines += [
        "        self.network = nn.Sequential(*layers)",
        "",
        "    def forward(self, x):",
        "        return self.network(x)",
    ]
    return "\n".join(lines)
