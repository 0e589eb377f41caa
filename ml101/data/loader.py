"""How a DataLoader cuts an epoch into batches: the orders, the split, the collation.

The order a DataLoader serves depends only on the dataset's length, the batch size,
`shuffle`, `drop_last` and the state of its generator; never on the data. So the
orders here come from torch's own samplers, driven by a generator seeded like the
page's, consumed the way a DataLoader consumes it: they are what the learner's own
loader yields, epoch after epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import (
    BatchSampler,
    Dataset,
    RandomSampler,
    SequentialSampler,
    default_collate,
    random_split,
)

from ml101 import runtime
from ml101.data import image_folder
from ml101.datasets import (
    DATASETS,
    ArrayDataset,
    check_args,
    generator_call,
    generator_source,
    make_dataset,
    split_sizes,
)

IMAGES = "shapes"  # the image-folder dataset, beside the catalogue of point datasets
MAX_BATCH = 512
MAX_EPOCHS = 5
MAX_VAL_PERCENT = 50
LABEL_CELLS = 64  # write the index inside each cell up to this many samples


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
    """Everything the page shows, computed once per rerun."""

    n_total: int
    train_indices: list[int]
    val_indices: list[int]
    positions: list[list[list[int]]]  # epoch -> batch -> position in the served set
    orders: list[list[list[int]]]  # epoch -> batch -> index in the dataset

    @property
    def n_train(self) -> int:
        return len(self.train_indices)


def plan(n_total: int, served: Dataset, train_indices: list[int], val_indices: list[int],
         cfg: LoaderConfig) -> Plan:
    """Map the loader's positions through the split to dataset indices."""
    positions = epoch_orders(len(served), cfg)  # type: ignore[arg-type]
    if cfg.val_percent:
        to_index = np.asarray(train_indices, dtype=np.int64)
        orders = [[to_index[batch].tolist() for batch in epoch] for epoch in positions]
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


def collate_demo(served: Dataset, positions: list[int],
                 show: int = 4) -> tuple[list[tuple[Any, Any]], Any, Any]:
    """The first `show` (x, y) pairs of a batch and what default_collate makes of all of them."""
    pairs = [served[p] for p in positions]
    X, y = default_collate(pairs)
    return pairs[:show], X, y


# --- charts ----------------------------------------------------------------------------


def index_map_frame(p: Plan, cfg: LoaderConfig, current: tuple[int, int]) -> pd.DataFrame:
    """One row per (epoch, slot): which sample the loader served there, in which batch.

    Samples drop_last left out come last in their epoch, with batch 0.
    """
    wrap = _wrap(p.n_train, cfg.batch_size)
    n_batches = len(p.orders[0])
    sizes = [len(batch) for batch in p.orders[0]]  # the same every epoch
    batch_of_slot = np.repeat(np.arange(1, n_batches + 1), sizes)
    n_dropped = p.n_train - len(batch_of_slot)
    batch_of_slot = np.concatenate([batch_of_slot, np.zeros(n_dropped, dtype=np.int64)])
    slots = np.arange(p.n_train)
    index = np.concatenate([
        np.asarray([i for batch in epoch for i in batch]
                   + dropped_indices(p, e, cfg), dtype=np.int64)
        for e, epoch in enumerate(p.orders)])
    epochs = len(p.orders)
    batch = np.tile(batch_of_slot, epochs)
    epoch_col = np.repeat(np.arange(1, epochs + 1), p.n_train)
    return pd.DataFrame({
        "epoch": epoch_col, "line": np.tile(slots // wrap, epochs),
        "col": np.tile(slots % wrap, epochs), "index": index, "batch": batch,
        "current": (epoch_col == current[0] + 1) & (batch == current[1] + 1),
    })


def _wrap(n: int, batch_size: int, target: int = 40) -> int:
    """Cells per line: whole batches per line when they fit, so batches line up."""
    if n <= target:
        return max(n, 1)
    if batch_size <= target:
        return batch_size * (target // batch_size)
    return target


def index_map_spec(df: pd.DataFrame, n_train: int) -> dict[str, Any]:
    """Vega-Lite for the grid: a cell per sample, coloured by batch, a block per epoch.

    A plain dict rather than Altair: validating an Altair chart of a few thousand cells
    costs more than the rest of the page's rerun.
    """
    cell = 22 if n_train <= LABEL_CELLS else 13
    cols = int(df["col"].max()) + 1 if len(df) else 1
    lines = int(df["line"].max()) + 1 if len(df) else 1
    layers: list[dict[str, Any]] = [{
        "mark": {"type": "rect", "cornerRadius": 2},
        "encoding": {
            "color": {"condition": {"test": "datum.batch == 0", "value": "#d0d0d0"},
                      "field": "batch", "type": "nominal",
                      "scale": {"scheme": "tableau10"}, "legend": None},
            "stroke": {"condition": {"test": "datum.current", "value": "black"},
                       "value": "white"},
            "strokeWidth": {"condition": {"test": "datum.current", "value": 2.5},
                            "value": 0.5},
            "tooltip": [{"field": "epoch", "type": "ordinal"},
                        {"field": "batch", "type": "ordinal",
                         "title": "batch (0 = dropped)"},
                        {"field": "index", "type": "quantitative", "title": "sample index"}],
        },
    }]
    if n_train <= LABEL_CELLS:
        layers.append({"mark": {"type": "text", "fontSize": 10, "fontWeight": "bold",
                                "color": "white"},
                       "encoding": {"text": {"field": "index", "type": "quantitative"}}})
    return {
        "facet": {"row": {"field": "epoch", "type": "ordinal", "title": None,
                          "header": {"labelExpr": "'epoch ' + datum.value", "labelAngle": 0,
                                     "labelAlign": "left", "labelFontSize": 12}}},
        "spacing": 6,
        "spec": {
            "width": cell * cols, "height": cell * lines,
            "encoding": {"x": {"field": "col", "type": "ordinal", "axis": None},
                         "y": {"field": "line", "type": "ordinal", "axis": None}},
            "layer": layers,
        },
        "config": {"view": {"stroke": None}},
    }


def scatter_frame(X: torch.Tensor, y: torch.Tensor, p: Plan, batch: list[int]) -> pd.DataFrame:
    """The points with their role: in the current batch, training, or validation."""
    role = np.full(p.n_total, "train", dtype=object)
    role[p.val_indices] = "validation"
    role[batch] = "current batch"
    xy = X[:, :2].numpy()
    return pd.DataFrame({"index": np.arange(p.n_total), "x1": xy[:, 0], "x2": xy[:, 1],
                         "class": y.reshape(len(y), -1)[:, 0].to(torch.int64).numpy(),
                         "role": role})


def scatter_spec(feature_names: tuple[str, str] = ("x[0]", "x[1]")) -> dict[str, Any]:
    """Vega-Lite: all points faint, the current batch bold and ringed, validation hollow."""
    def only(role: str, mark: dict[str, Any]) -> dict[str, Any]:
        return {"transform": [{"filter": f"datum.role == '{role}'"}], "mark": mark}

    return {
        "height": 380,
        "encoding": {
            "x": {"field": "x1", "type": "quantitative", "title": feature_names[0],
                  "scale": {"zero": False}},
            "y": {"field": "x2", "type": "quantitative", "title": feature_names[1],
                  "scale": {"zero": False}},
            "color": {"field": "class", "type": "nominal", "scale": {"scheme": "category10"},
                      "legend": {"orient": "top"}},
            "tooltip": [{"field": "index", "type": "quantitative"},
                        {"field": "class", "type": "nominal"},
                        {"field": "role", "type": "nominal"},
                        {"field": "x1", "type": "quantitative", "format": ".3f"},
                        {"field": "x2", "type": "quantitative", "format": ".3f"}],
        },
        "layer": [
            only("train", {"type": "circle", "size": 25, "opacity": 0.25}),
            only("validation", {"type": "point", "size": 25, "opacity": 0.4}),
            only("current batch", {"type": "circle", "size": 110, "opacity": 1,
                                   "stroke": "black", "strokeWidth": 1.5}),
        ],
    }


# --- the code panel --------------------------------------------------------------------


def loader_code(cfg: LoaderConfig, epoch: int, batch: int) -> str:
    """Runnable code for these settings: it prints the batch count and, for the chosen
    epoch and batch (both 0-based here, 1-based in the printout), the indices and tensors."""
    lines = ["import math", "", "import torch",
             "from torch.utils.data import DataLoader, Dataset, random_split"]
    if cfg.is_images:
        lines[0:1] = ["import tempfile", "from pathlib import Path", "", "import numpy as np",
                      "from matplotlib import image as mpimg"]
    lines += ["", f"torch.manual_seed({cfg.seed})  # every draw below uses its own seeded "
              "generator too", "", ""]
    if cfg.is_images:
        per_class = cfg.n_samples // len(image_folder.SHAPES)
        lines += [image_folder.source(), "",
                  "folder = Path(tempfile.mkdtemp())",
                  f"write_shapes(folder, {per_class}, {cfg.seed})",
                  "dataset = ShapesFolder(folder)",
                  "print(f'{len(dataset)} images, classes {dataset.classes}')"]
    else:
        spec = DATASETS[cfg.dataset]
        call = generator_call(cfg.dataset, cfg.n_samples, cfg.noise, cfg.n_classes,
                              f"torch.Generator().manual_seed({cfg.seed})")
        lines += [generator_source(cfg.dataset), "",
                  "class PointsDataset(Dataset):",
                  "    def __init__(self, X, y):",
                  "        self.X, self.y = X, y",
                  "",
                  "    def __len__(self):",
                  "        return len(self.X)",
                  "",
                  "    def __getitem__(self, idx):",
                  "        return self.X[idx], self.y[idx]",
                  "", "",
                  f"dataset = PointsDataset(*{call})  # {spec.label}"]
    shuffle, drop = cfg.shuffle, cfg.drop_last
    if cfg.val_percent:
        lines += ["",
                  f"val_share = {cfg.val_percent / 100!r}  # random_split floors each share, "
                  "then hands out the rest",
                  "train_set, val_set = random_split(dataset, [1 - val_share, val_share],",
                  f"                                 generator=torch.Generator()"
                  f".manual_seed({cfg.seed}))",
                  "print('validation indices:', sorted(val_set.indices))",
                  "to_index = train_set.indices  # position in train_set -> index in dataset"]
    else:
        lines += ["", "train_set = dataset", "to_index = list(range(len(dataset)))"]
    loader_args = (f"batch_size={cfg.batch_size}, shuffle={shuffle}, drop_last={drop},\n"
                   f"                    generator=torch.Generator().manual_seed({cfg.seed}))")
    lines += [
        "",
        f"loader = DataLoader(train_set, {loader_args}",
        "print('batches per epoch:', len(loader))",
        "",
        "# The order depends only on len(train_set), the settings and the generator, never on",
        "# the data: a loader over the positions 0..n-1 with an identically seeded generator",
        "# serves exactly the positions `loader` serves, as long as both run whole epochs",
        "# (a sampler draws once more when it is exhausted, so zip() would put them out of step).",
        f"positions = DataLoader(range(len(train_set)), {loader_args}",
        "",
        f"for epoch in range(1, {epoch + 2}):",
        "    order = [pos.tolist() for pos in positions]  # this epoch's positions, per batch",
        "    for b, (X_batch, y_batch) in enumerate(loader, start=1):",
        "        idx = [to_index[p] for p in order[b - 1]]",
        "        assert torch.equal(X_batch, torch.stack([dataset[i][0] for i in idx]))",
        f"        if epoch == {epoch + 1} and b == {batch + 1}:",
        "            print(f'epoch {epoch}, batch {b}: indices {idx}')",
        "            print('X_batch', tuple(X_batch.shape), 'y_batch', tuple(y_batch.shape))",
    ]
    if not cfg.is_images:
        rows = "" if cfg.batch_size <= 8 else "[:8]"
        lines += [f"            print(X_batch{rows})", f"            print(y_batch{rows})"]
    return "\n".join(lines) + "\n"


# --- the current batch, as the page shows it ---------------------------------------------


def batch_table(X: torch.Tensor, y: torch.Tensor, indices: list[int]) -> pd.DataFrame:
    """The stacked batch as a table: one row per sample, in the order the loader served."""
    frame = pd.DataFrame(X.numpy(), columns=[f"x[{j}]" for j in range(X.shape[1])])
    frame.insert(0, "sample index", indices)
    frame["y"] = y.reshape(len(y), -1)[:, 0].numpy()
    frame.index.name = "row"
    return frame


def collate_text(pairs: list[tuple[Any, Any]], n: int, X: Any, y: Any) -> str:
    """What default_collate receives (a list of pairs) and returns (two stacked tensors)."""
    shown = [f"    ({_short(x)}, {_short(t)})," for x, t in pairs]
    more = [f"    # ... {n - len(pairs)} more pairs"] if n > len(pairs) else []
    return "\n".join([
        f"samples = [train_set[p] for p in batch_positions]  # a list of {n} (x, y) pairs",
        "[", *shown, *more, "]",
        "X_batch, y_batch = default_collate(samples)  # stacks the x's, then the y's",
        f"X_batch: shape {tuple(X.shape)}, {X.dtype}",
        f"y_batch: shape {tuple(y.shape)}, {y.dtype}",
    ])


def _short(value: Any) -> str:
    """A sample as Python would show it, 4 decimals, without touching torch's global
    print options (sessions share them)."""
    if isinstance(value, torch.Tensor):
        if value.dim() >= 2:
            return f"<image tensor of shape {tuple(value.shape)}>"
        if value.dim() == 0:
            return f"tensor({value.item()})"
        if value.dtype.is_floating_point:
            return "tensor([" + ", ".join(f"{v:.4f}" for v in value.tolist()) + "])"
        return f"tensor({value.tolist()})"
    return repr(value)
