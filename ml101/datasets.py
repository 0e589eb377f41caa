"""The toy datasets every page shares, as seeded `torch.utils.data.Dataset`s.

Each dataset is built by one small, self-contained function (`xor_points`,
`spiral_points`, ...) that takes a `torch.Generator` and uses nothing but torch
and math. That keeps the numbers deterministic under a seed without touching the
global RNG, and lets a page paste the very same function into its generated code
(`generator_source`), so the code a learner copies reproduces the data exactly.

Points come out grouped by class (all of class 0, then class 1, ...), as the
lesson's spiral does: an unshuffled loader then serves batches of one class,
which is exactly what shuffling is for.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset

from ml101 import runtime

MAX_NOISE = 1.0
MAX_SEED = 2**63 - 1
MIN_CLASSES, MAX_CLASSES = 2, 8


@dataclass(frozen=True)
class DatasetSpec:
    """What a page needs to offer a dataset: its name, shape, limits and story."""

    name: str
    label: str
    n_features: int
    n_classes: int  # default class count (spiral_k and blobs accept 2..8)
    default_size: int
    max_size: int
    has_noise: bool
    description: str
    min_size: int = 2
    default_noise: float = 0.0
    variable_classes: bool = False


# --- the generators: self-contained, pasted verbatim into generated code ---------------


def xor_points(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's XOR table: four corners, label 1 where exactly one input is 1.
    Nothing random: `generator` is taken only so every builder has the same shape."""
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
    return X, y


def noisy_xor_points(n_samples: int, noise: float,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """XOR sampled: the four corners in turn, each point jittered by Gaussian noise."""
    corners = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    labels = torch.tensor([0, 1, 1, 0], dtype=torch.float32)
    which = torch.arange(n_samples) % 4
    X = corners[which] + noise * torch.randn(n_samples, 2, generator=generator)
    y = labels[which].unsqueeze(1)
    return X, y


def spiral_points(n_samples: int, noise: float,
                  generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's two-arm spiral (with its missing numpy import fixed: math.pi)."""
    sizes = [n_samples - n_samples // 2, n_samples // 2]
    parts, labels = [], []
    for arm, n in enumerate(sizes):
        theta = torch.linspace(0, 4 * math.pi, n) + arm * math.pi
        r = torch.linspace(0, 1, n)
        parts.append(torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1))
        labels.append(torch.full((n, 1), float(arm)))
    X = torch.cat(parts) + noise * torch.randn(n_samples, 2, generator=generator)
    return X, torch.cat(labels)


def spiral_k_points(n_samples: int, noise: float, n_classes: int,
                    generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """k interleaved spiral arms of 1.5 turns each, one class per arm."""
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    parts, labels = [], []
    for k, n in enumerate(sizes):
        theta = torch.linspace(0, 3 * math.pi, n) + 2 * math.pi * k / n_classes
        r = torch.linspace(0.05, 1, n)
        parts.append(torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1))
        labels.append(torch.full((n,), k, dtype=torch.int64))
    X = torch.cat(parts) + noise * torch.randn(n_samples, 2, generator=generator)
    y = torch.cat(labels)
    if n_classes == 2:  # binary: float targets of shape [N, 1], as BCE losses expect
        y = y.float().unsqueeze(1)
    return X, y


def sum10_points(n_samples: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's pipeline data: 10 Gaussian features, label 1 where their sum > 0."""
    X = torch.randn(n_samples, 10, generator=generator)
    y = (X.sum(dim=1, keepdim=True) > 0).float()
    return X, y


def moons_points(n_samples: int, noise: float,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (the shape of scikit-learn's make_moons)."""
    n0, n1 = n_samples - n_samples // 2, n_samples // 2
    t0 = torch.linspace(0, math.pi, n0)
    t1 = torch.linspace(0, math.pi, n1)
    upper = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)
    lower = torch.stack([1 - torch.cos(t1), 0.5 - torch.sin(t1)], dim=1)
    X = torch.cat([upper, lower]) + noise * torch.randn(n_samples, 2, generator=generator)
    y = torch.cat([torch.zeros(n0, 1), torch.ones(n1, 1)])
    return X, y


def circles_points(n_samples: int, noise: float,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A ring of radius 1 (class 0) around a ring of radius 0.5 (class 1)."""
    n0, n1 = n_samples - n_samples // 2, n_samples // 2
    t0 = torch.arange(n0) * (2 * math.pi / n0)
    t1 = torch.arange(n1) * (2 * math.pi / n1)
    outer = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)
    inner = 0.5 * torch.stack([torch.cos(t1), torch.sin(t1)], dim=1)
    X = torch.cat([outer, inner]) + noise * torch.randn(n_samples, 2, generator=generator)
    y = torch.cat([torch.zeros(n0, 1), torch.ones(n1, 1)])
    return X, y


def blobs_points(n_samples: int, noise: float, n_classes: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian blobs of spread `noise` around centres evenly spaced on a circle of radius 2."""
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    angles = torch.arange(n_classes) * (2 * math.pi / n_classes)
    centres = 2 * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    y = torch.cat([torch.full((n,), k, dtype=torch.int64) for k, n in enumerate(sizes)])
    X = centres[y] + noise * torch.randn(n_samples, 2, generator=generator)
    if n_classes == 2:  # binary: float targets of shape [N, 1], as BCE losses expect
        y = y.float().unsqueeze(1)
    return X, y


def imbalanced_points(n_samples: int, noise: float,
                      generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two overlapping Gaussian blobs of spread `noise`: one point in ten is class 1 (at
    least one), the rest class 0. The data that losses "for imbalanced data" are for."""
    n1 = max(1, n_samples // 10)
    y = torch.cat([torch.zeros(n_samples - n1), torch.ones(n1)])
    centres = torch.tensor([[-0.5, 0.0], [1.0, 0.0]])
    X = centres[y.long()] + noise * torch.randn(n_samples, 2, generator=generator)
    return X, y.unsqueeze(1)


# --- the catalogue ---------------------------------------------------------------------

DATASETS: dict[str, DatasetSpec] = {
    "xor": DatasetSpec(
        "xor", "XOR (the lesson's 4 points)", 2, 2, 4, 4, False,
        "The four rows of the XOR truth table, exactly as the lesson builds them.",
        min_size=4,
    ),
    "xor_noisy": DatasetSpec(
        "xor_noisy", "XOR, sampled with noise", 2, 2, 200, 5000, True,
        "The four XOR corners taken in turn, each point jittered by Gaussian noise.",
        min_size=4, default_noise=0.15,
    ),
    "spiral": DatasetSpec(
        "spiral", "Spiral, two arms (the lesson's)", 2, 2, 400, 5000, True,
        "The lesson's SpiralDataset: two arms, half the points each. The lesson's "
        "SpiralDataset(n_samples=200) makes 200 per arm, 400 in all.",
        default_noise=0.0,
    ),
    "spiral_k": DatasetSpec(
        "spiral_k", "Spiral, k arms (multi-class)", 2, 3, 600, 5000, True,
        "k interleaved arms, one class each: practice problem 2's multi-class spiral.",
        default_noise=0.03, variable_classes=True,
    ),
    "sum10": DatasetSpec(
        "sum10", "10 features, label = sum > 0", 10, 2, 1000, 5000, False,
        "The lesson's pipeline data: 10 standard-normal features, label 1 where they sum "
        "to more than 0 (a linear boundary).",
    ),
    "moons": DatasetSpec(
        "moons", "Two moons", 2, 2, 400, 5000, True,
        "Two interleaving half circles: not linearly separable, but gently so.",
        default_noise=0.1,
    ),
    "circles": DatasetSpec(
        "circles", "Circles", 2, 2, 400, 5000, True,
        "A small ring inside a big one: no straight line separates them.",
        default_noise=0.05,
    ),
    "blobs": DatasetSpec(
        "blobs", "Gaussian blobs", 2, 3, 600, 5000, True,
        "Gaussian clusters around centres on a circle; noise is each cluster's spread.",
        default_noise=0.5, variable_classes=True,
    ),
    "imbalanced": DatasetSpec(
        "imbalanced", "Imbalanced blobs (90% / 10%)", 2, 2, 1000, 5000, True,
        "Two overlapping blobs, nine points in ten in class 0: always answering 0 scores "
        "90% accuracy, so per-class recall is the number to watch.",
        default_noise=0.7,
    ),
}


class ArrayDataset(Dataset):
    """A map-style dataset over two tensors, with a batched fetch for the DataLoader."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, n_classes: int = 2) -> None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        self.X = X
        self.y = y
        self.n_classes = n_classes

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]

    def __getitems__(self, idx: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """One indexing op per batch instead of one per sample; the DataLoader calls this
        with a batch's indices and hands the list of (x, y) pairs to the collate function."""
        rows = torch.as_tensor(idx, dtype=torch.int64)
        return list(zip(self.X[rows].unbind(0), self.y[rows].unbind(0), strict=True))


# --- building one ----------------------------------------------------------------------


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{what} must be a whole number, not {value!r}") from None


def check_args(name: str, n_samples: int | None = None, noise: float = 0.0, seed: int = 0,
               n_classes: int | None = None) -> tuple[DatasetSpec, int, float, int, int]:
    """Validate everything before anything is allocated; returns the resolved values."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    spec = DATASETS[name]
    n = spec.default_size if n_samples is None else _as_int(n_samples, "n_samples")
    if not spec.min_size <= n <= spec.max_size:
        if spec.min_size == spec.max_size:
            raise ValueError(f"{name} has exactly {spec.max_size} samples, not {n}")
        raise ValueError(
            f"n_samples for {name} must be between {spec.min_size} and {spec.max_size}, not {n}"
        )
    if isinstance(noise, bool) or not isinstance(noise, int | float):
        raise ValueError(f"noise must be a number, not {noise!r}")
    noise = float(noise)
    if not (math.isfinite(noise) and 0.0 <= noise <= MAX_NOISE):
        raise ValueError(f"noise must be between 0 and {MAX_NOISE}, not {noise}")
    if noise and not spec.has_noise:
        raise ValueError(f"{name} takes no noise (it is fixed data); pass noise=0")
    seed = _as_int(seed, "seed")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and 2**63 - 1, not {seed}")
    k = spec.n_classes if n_classes is None else _as_int(n_classes, "n_classes")
    if spec.variable_classes:
        if not MIN_CLASSES <= k <= MAX_CLASSES:
            raise ValueError(
                f"n_classes for {name} must be between {MIN_CLASSES} and {MAX_CLASSES}, not {k}"
            )
        if n < k:
            raise ValueError(f"{name} with {k} classes needs at least {k} samples, not {n}")
    elif k != spec.n_classes:
        raise ValueError(f"{name} always has {spec.n_classes} classes, not {k}")
    return spec, n, noise, seed, k


def _builder(name: str) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    return {
        "xor": xor_points, "xor_noisy": noisy_xor_points, "spiral": spiral_points,
        "spiral_k": spiral_k_points, "sum10": sum10_points, "moons": moons_points,
        "circles": circles_points, "blobs": blobs_points, "imbalanced": imbalanced_points,
    }[name]


def generator_call(name: str, n_samples: int, noise: float, n_classes: int,
                   generator: str = "generator") -> str:
    """The Python call that builds the data, as generated code writes it."""
    fn = _builder(name).__name__
    if name == "xor":
        return f"{fn}({generator})"
    if name == "sum10":
        return f"{fn}({n_samples}, {generator})"
    if DATASETS[name].variable_classes:
        return f"{fn}({n_samples}, {noise!r}, {n_classes}, {generator})"
    return f"{fn}({n_samples}, {noise!r}, {generator})"


@functools.cache
def generator_source(name: str) -> str:
    """The source of the function that builds `name`, for pasting into generated code."""
    return inspect.getsource(_builder(name))


def make_dataset(name: str, n_samples: int | None = None, noise: float = 0.0, seed: int = 0,
                 n_classes: int | None = None) -> ArrayDataset:
    """Build a dataset from the catalogue, deterministic under `seed`.

    Sizes are checked against the caps before any tensor is allocated; bad arguments raise
    ValueError saying what was wrong and what is allowed. The random draws come from a
    private `torch.Generator` seeded with `seed`, never from the global RNG.
    """
    spec, n, noise, seed, k = check_args(name, n_samples, noise, seed, n_classes)
    g = runtime.generator(seed)
    fn = _builder(name)
    if name == "xor":
        X, y = fn(g)
    elif name == "sum10":
        X, y = fn(n, g)
    elif spec.variable_classes:
        X, y = fn(n, noise, k, g)
    else:
        X, y = fn(n, noise, g)
    return ArrayDataset(X, y, n_classes=k)


def class_counts(dataset: ArrayDataset) -> list[int]:
    """How many samples each class has, for balance checks and captions."""
    labels = dataset.y.reshape(-1).to(torch.int64)
    return torch.bincount(labels, minlength=dataset.n_classes).tolist()


def split_sizes(n: int, val_fraction: float) -> tuple[int, int]:
    """(train, validation) sizes exactly as `random_split(dataset, [1 - f, f])` makes them:
    the floor of each share, then the remainder handed out one by one from the first."""
    lengths = [math.floor(n * (1 - val_fraction)), math.floor(n * val_fraction)]
    for i in range(n - sum(lengths)):
        lengths[i % 2] += 1
    return lengths[0], lengths[1]
