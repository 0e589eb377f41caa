"""Chart specs for the DataLoader page: the index map (a cell per sample, coloured by the
batch it lands in, a block per epoch, the current batch outlined) and the scatter of the
current batch among all the points.

Plain Vega-Lite dicts rather than Altair: validating an Altair chart of a few thousand
cells costs more than the rest of the page's rerun. The index map is one layered view on
quantitative axes, so it stretches to its column; `grid` sizes its cells to be square at
the width the page gives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ml101 import style
from ml101.data.loader import LoaderConfig, Plan, Position, dropped_indices

# Batches cycle through the colour-blind-safe series; its last colour, grey, is left out
# so that it never looks like the light grey of a sample drop_last left out.
BATCH_COLOURS: tuple[str, ...] = style.SERIES[:7]
DROPPED = "#D9D9D9"
OUTLINE = "#000000"
HEADER_PX = 22  # room above each epoch's block for its name
MAX_CELL_PX = 26
LABEL_PX = 18  # cells at least this big carry their sample index
RING_PX = 12  # a current batch narrower than this gets a ring around it too
ALIGNED_BONUS = 1.25  # how much smaller a cell may get to keep whole batches on a line


@dataclass(frozen=True)
class Grid:
    """How the index map lays out one epoch: `wrap` cells per line, `lines` lines, square
    cells of `cell` px when the chart is `width_px` wide; one block per epoch."""

    wrap: int
    lines: int
    cell: float
    epochs: int
    width_px: int

    @property
    def header_rows(self) -> float:
        return HEADER_PX / self.cell

    @property
    def block_rows(self) -> float:
        return self.lines + self.header_rows

    @property
    def height_px(self) -> int:
        return math.ceil(self.epochs * self.block_rows * self.cell)

    def top(self, epoch: int) -> float:
        """The row (in cell units, from the top) where this epoch's first line starts."""
        return epoch * self.block_rows + self.header_rows


def grid(n: int, batch_size: int, epochs: int, width_px: int, height_px: int) -> Grid:
    """The biggest square cells that fit every epoch of `n` samples into the box, with
    whole batches on each line where that costs little (batches then line up)."""
    wraps = np.arange(1, max(n, 1) + 1)
    lines = -(-n // wraps)
    per_epoch = max(height_px / epochs - HEADER_PX, 1.0)
    cell = np.minimum(np.minimum(width_px / wraps, per_epoch / lines), MAX_CELL_PX)
    score = cell * np.where(wraps % batch_size == 0, ALIGNED_BONUS, 1.0)
    best = len(wraps) - 1 - int(np.argmax(score[::-1]))  # ties: fewer, longer lines
    return Grid(int(wraps[best]), int(lines[best]), float(cell[best]), epochs, width_px)


def index_map_frame(p: Plan, cfg: LoaderConfig, g: Grid) -> pd.DataFrame:
    """One row per (epoch, slot): which sample the loader served there, in which batch,
    and where its cell sits. Samples drop_last left out come last, with batch 0."""
    batch_of_slot = np.repeat(np.arange(1, p.n_batches + 1), p.sizes)
    n_dropped = p.n_train - len(batch_of_slot)
    batch_of_slot = np.concatenate([batch_of_slot, np.zeros(n_dropped, dtype=np.int64)])
    slots = np.arange(p.n_train)
    index = np.concatenate([
        np.asarray([i for batch in epoch for i in batch]
                   + dropped_indices(p, e, cfg), dtype=np.int64)
        for e, epoch in enumerate(p.orders)])
    epochs = len(p.orders)
    epoch = np.repeat(np.arange(epochs), p.n_train)
    return pd.DataFrame({  # small types: the frame goes to the browser on every tick
        "epoch": (epoch + 1).astype(np.int8), "x": np.tile(slots % g.wrap, epochs).astype(np.int16),
        "y": (np.tile(slots // g.wrap, epochs) + epoch * g.block_rows
              + g.header_rows).astype(np.float32),
        "index": index.astype(np.int32), "batch": np.tile(batch_of_slot, epochs).astype(np.int16),
    })


def outline(p: Plan, g: Grid, at: Position) -> list[dict[str, float]]:
    """The rectangles, one per line it touches, around the batch at `at`."""
    epoch, batch = at
    start = sum(p.sizes[:batch])
    end = start + p.sizes[batch]
    boxes = []
    for line in range(start // g.wrap, (end - 1) // g.wrap + 1):
        y = g.top(epoch) + line
        boxes.append({"x": max(start - line * g.wrap, 0), "x2": min(end - line * g.wrap, g.wrap),
                      "y": y, "y2": y + 1})
    return boxes


def index_map_spec(frame: pd.DataFrame, g: Grid, p: Plan, at: Position | None,
                   font_scale: float = 1.0) -> dict[str, Any]:
    """Vega-Lite for the grid: a cell per sample, coloured by batch (the colours cycle,
    so the index labels and the tooltip name each cell), a block per epoch."""
    gap = 0.1 if g.cell >= 6 else 0.0
    x = {"field": "x", "type": "quantitative", "axis": None,
         "scale": {"domain": [0, g.width_px / g.cell], "nice": False, "zero": True}}
    y = {"field": "y", "type": "quantitative", "axis": None,
         "scale": {"domain": [0, g.epochs * g.block_rows], "nice": False, "reverse": True}}
    cells: dict[str, Any] = {
        "transform": [{"calculate": f"datum.x + {1 - gap}", "as": "x_end"},
                      {"calculate": f"datum.y + {1 - gap}", "as": "y_end"},
                      {"calculate": f"(datum.batch - 1) % {len(BATCH_COLOURS)}", "as": "hue"}],
        "mark": {"type": "rect", "cornerRadius": min(2.0, g.cell / 6)},
        "encoding": {
            "x": x, "x2": {"field": "x_end"}, "y": y, "y2": {"field": "y_end"},
            "color": {"condition": {"test": "datum.batch == 0", "value": DROPPED},
                      "field": "hue", "type": "nominal", "legend": None,
                      "scale": {"domain": list(range(len(BATCH_COLOURS))),
                                "range": list(BATCH_COLOURS)}},
            "tooltip": [{"field": "epoch", "type": "ordinal"},
                        {"field": "batch", "type": "ordinal", "title": "batch (0 = dropped)"},
                        {"field": "index", "type": "quantitative", "title": "sample index"}],
        },
    }
    layers = [cells]
    if g.cell >= LABEL_PX:
        layers.append({
            "transform": [{"calculate": f"datum.x + {(1 - gap) / 2}", "as": "x_mid"},
                          {"calculate": f"datum.y + {(1 - gap) / 2}", "as": "y_mid"}],
            "mark": {"type": "text", "fontSize": min(11.0, g.cell * 0.45), "fontWeight": "bold",
                     "baseline": "middle"},
            "encoding": {"x": {**x, "field": "x_mid"}, "y": {**y, "field": "y_mid"},
                         "text": {"field": "index", "type": "quantitative"},
                         "color": {"condition": {"test": "datum.batch == 0", "value": "#333333"},
                                   "value": "white"}},
        })
    layers.append({
        "data": {"values": [{"name": f"epoch {e + 1}", "x": 0, "y": g.top(e) - g.header_rows / 2}
                            for e in range(g.epochs)]},
        "mark": {"type": "text", "align": "left", "baseline": "middle",
                 "fontSize": style.FONT["label"] * font_scale, "color": style.MUTED},
        "encoding": {"x": x, "y": y, "text": {"field": "name"}},
    })
    if at is not None:
        boxes = outline(p, g, at)
        small = [b for b in boxes if (b["x2"] - b["x"]) * g.cell < RING_PX]
        if small:  # a batch of a cell or two among thousands: ring it so the eye finds it
            layers.append({
                "data": {"values": [{"x": (b["x"] + b["x2"]) / 2, "y": (b["y"] + b["y2"]) / 2}
                                    for b in small]},
                "mark": {"type": "point", "shape": "circle", "size": (RING_PX + 6) ** 2,
                         "stroke": OUTLINE, "strokeWidth": 2, "filled": False},
                "encoding": {"x": x, "y": y},
            })
        layers.append({
            "data": {"values": boxes},
            "mark": {"type": "rect", "fillOpacity": 0, "stroke": OUTLINE,
                     "strokeWidth": 2.5 if g.cell >= 6 else 1.5},
            "transform": [{"calculate": f"datum.x2 - {gap}", "as": "x_end"},
                          {"calculate": f"datum.y2 - {gap}", "as": "y_end"}],
            "encoding": {"x": x, "x2": {"field": "x_end"}, "y": y, "y2": {"field": "y_end"}},
        })
    current = "" if at is None else (
        f"; outlined: epoch {at[0] + 1}, batch {at[1] + 1}, samples {p.orders[at[0]][at[1]]}")
    return {
        "description": f"Index map: {p.n_train} samples in {p.n_batches} batches per epoch, "
                       f"{g.epochs} epochs{current}",
        "height": g.height_px,
        "layer": layers,
        "config": {**style.chart_config(font_scale), "view": {"stroke": None}},
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


def scatter_spec(title: str, height_px: int, n_points: int,
                 feature_names: tuple[str, str] = ("x[0]", "x[1]"),
                 font_scale: float = 1.0) -> dict[str, Any]:
    """Vega-Lite: all points faint, the current batch bold and ringed, validation hollow.
    A few points are drawn big, thousands small."""
    faint = min(max(8000 / max(n_points, 1), 25), 160)
    bold = max(110, faint * 1.6)
    def only(role: str, mark: dict[str, Any]) -> dict[str, Any]:
        return {"transform": [{"filter": f"datum.role == '{role}'"}], "mark": mark}

    return {
        "title": title,
        "description": f"{title}: the dataset's points, the current batch drawn big and ringed",
        "height": height_px,
        "encoding": {
            "x": {"field": "x1", "type": "quantitative", "title": feature_names[0],
                  "scale": {"zero": False}},
            "y": {"field": "x2", "type": "quantitative", "title": feature_names[1],
                  "scale": {"zero": False}},
            "color": {"field": "class", "type": "nominal", "scale": {"range": list(style.SERIES)},
                      "legend": {"orient": "top", "title": "class", "symbolOpacity": 1}},
            "tooltip": [{"field": "index", "type": "quantitative"},
                        {"field": "class", "type": "nominal"},
                        {"field": "role", "type": "nominal"},
                        {"field": "x1", "type": "quantitative", "format": ".3f"},
                        {"field": "x2", "type": "quantitative", "format": ".3f"}],
        },
        "layer": [
            only("train", {"type": "circle", "size": faint, "opacity": 0.3}),
            only("validation", {"type": "point", "size": faint, "opacity": 0.5}),
            only("current batch", {"type": "circle", "size": bold, "opacity": 1,
                                   "stroke": OUTLINE, "strokeWidth": 1.5}),
        ],
        "config": style.chart_config(font_scale),
    }

