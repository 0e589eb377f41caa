"""How a DataLoader cuts an epoch into batches: the settings, the split, the plan.

The order a DataLoader serves depends only on the dataset's length, the batch size,
`shuffle`, `drop_last` and the state of its generator; never on the data. So the
orders here come from torch's own samplers, driven by a generator seeded like the
page's, consumed the way a DataLoader consumes it: they are what the learner's own
loader yields, epoch after epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    Dataset,
    RandomSampler,
    SequentialSampler,
    random_split,
)

from ml101 import runtime
from ml101.data import image_folder
from ml101.datasets import ArrayDataset, check_args, make_dataset, split_sizes

IMAGES = "shapes"  # the image-folder dataset, beside the catalogue of point datasets
MAX_BATCH = 512
MAX_EPOCHS = 5
MAX_VAL_PERCENT = 50
VAL_SHOWN = 40  # validation indices the page lists (and its code prints)

Position = tuple[int, int]  # (epoch, batch), both counted from 0


@dataclass(frozen=True)
class LoaderConfig:
    """Everything the page's controls decide; `check` validates it before any work."""

    dataset: str = "moons"
    n_samples: int = 400
    noise: float = 0.1
    n_classes: int = 2
    batch_size: int = 32
    shuffle: bool = True
    drop_last: bool = False
    seed: int = 0
    val_percent: int = 0
    epochs: int = 3

    @property
    def is_images(self) -> bool:
        return self.dataset == IMAGES


def check(cfg: LoaderConfig) -> LoaderConfig:
    """Raise ValueError, saying what is allowed, for any setting out of range."""
    if cfg.is_images:
        if cfg.n_samples % len(image_folder.SHAPES):
            raise ValueError(f"the shapes folder holds a multiple of {len(image_folder.SHAPES)} "
                             f"images (one per shape), not {cfg.n_samples}")
        image_folder.check_per_class(cfg.n_samples // len(image_folder.SHAPES))
    else:
        check_args(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed, cfg.n_classes)
    if not 1 <= cfg.batch_size <= MAX_BATCH:
        raise ValueError(f"batch size must be between 1 and {MAX_BATCH}, not {cfg.batch_size}")
    if not 0 <= cfg.val_percent <= MAX_VAL_PERCENT:
        raise ValueError(f"the validation share must be 0 to {MAX_VAL_PERCENT} %, "
                         f"not {cfg.val_percent}")
    if not 1 <= cfg.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs shown must be between 1 and {MAX_EPOCHS}, not {cfg.epochs}")
    return cfg


def batch_count(n: int, batch_size: int, drop_last: bool) -> int:
    """len(loader): ceil(n / B) batches, or floor(n / B) when the short last one is dropped."""
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def make_points(cfg: LoaderConfig) -> ArrayDataset:
    """The point dataset the settings describe (the image folder is built by the page)."""
    return make_dataset(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed, cfg.n_classes)


def split(dataset: Dataset, cfg: LoaderConfig) -> tuple[Dataset, list[int], list[int]]:
    """(the set the loader serves, train indices, validation indices) into `dataset`.

    With no validation share the loader serves the dataset itself, in index order.
    """
    n = len(dataset)  # type: ignore[arg-type]
    if cfg.val_percent == 0:
        return dataset, list(range(n)), []
    g = runtime.generator(cfg.seed)
    train, val = random_split(dataset, list(split_sizes(n, cfg.val_percent / 100)), generator=g)
    return train, list(train.indices), list(val.indices)


def epoch_orders(n: int, cfg: LoaderConfig) -> list[list[list[int]]]:
    """For each epoch, the batches as lists of positions 0..n-1 into the served set.

    Exactly what `iter(DataLoader(..., generator=g))` yields epoch after epoch (a unit
    test compares them): each new iterator first draws one int64 from `g` (the base seed
    for workers), then the sampler draws its permutation. Done with torch's own samplers
    rather than a DataLoader over positions because that costs ~60 us per batch.
    """
    g = runtime.generator(cfg.seed)
    sampler = RandomSampler(range(n), generator=g) if cfg.shuffle else SequentialSampler(
        range(n))
    batches = BatchSampler(sampler, cfg.batch_size, cfg.drop_last)
    orders = []
    for _ in range(cfg.epochs):
        torch.empty((), dtype=torch.int64).random_(generator=g)
        orders.append(list(batches))
    return orders


@dataclass(frozen=True)
class Plan:
    """Which sample lands in which batch, epoch after epoch: computed once per settings."""

    n_total: int
    train_indices: list[int]
    val_indices: list[int]
    positions: list[list[list[int]]]  # epoch -> batch -> position in the served set
    orders: list[list[list[int]]]  # epoch -> batch -> index in the dataset

    @property
    def n_train(self) -> int:
        return len(self.train_indices)

    @property
    def n_batches(self) -> int:
        """len(loader): the same every epoch."""
        return len(self.orders[0])

    @property
    def sizes(self) -> list[int]:
        """How many samples each batch holds (the same every epoch)."""
        return [len(batch) for batch in self.orders[0]]


def plan(n_total: int, served: Dataset, train_indices: list[int], val_indices: list[int],
         cfg: LoaderConfig) -> Plan:
    """Map the loader's positions through the split to dataset indices."""
    positions = epoch_orders(len(served), cfg)  # type: ignore[arg-type]
    if cfg.val_percent:
        orders = [[[train_indices[i] for i in batch] for batch in epoch] for epoch in positions]
    else:
        orders = positions
    return Plan(n_total, train_indices, val_indices, positions, orders)


def dropped_indices(p: Plan, epoch: int, cfg: LoaderConfig) -> list[int]:
    """The samples drop_last left out of this epoch (ascending)."""
    if not cfg.drop_last:
        return []
    served = np.zeros(p.n_total, dtype=bool)
    for batch in p.orders[epoch]:
        served[batch] = True
    train = np.asarray(p.train_indices, dtype=np.int64)
    return sorted(train[~served[train]].tolist())


def step(at: Position, delta: int, epochs: int, n_batches: int) -> Position:
    """`delta` batches on (or back) from `at`, rolling over into the next (or previous)
    epoch as a training loop does; it stops at the first and at the last batch shown."""
    flat = at[0] * n_batches + at[1] + delta
    flat = min(max(flat, 0), epochs * n_batches - 1)
    return divmod(flat, n_batches)
