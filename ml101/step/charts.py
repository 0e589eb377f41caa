"""The page's pictures as Vega-Lite specs (plain dicts: a few ms to build, no Altair).

`canvas` draws one frame of the step: every tensor a block of cells placed like the
matrix product it takes part in. Row i of x meets column j of W.T at z[i, j], so W is
drawn transposed above the layer's output; gradients mirror the values below them.
Each block is coloured on its own scale (its largest |value| is the deepest colour), so
a gradient of 0.01 reads as clearly as a weight of 1; the numbers are written in the
cells when they fit. `points` is the data with the batch ringed, over the model's
decision regions; `losses` is every step's batch loss so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from ml101 import style
from ml101.inputs import fmt_shape
from ml101.step.frames import GRAD, Band, Block, Scene

Spec = dict[str, Any]
TEXT_MIN_CELL = 22  # px: below this the cells are colour only (the tooltip has the value)
TITLE_H = 30  # px above a block: its name and shape
COLUMN_GAP_MIN = 10
INK = "#222222"  # the followed sample's row outline


@dataclass(frozen=True)
class Placed:
    block: Block
    x: float
    y: float
    w: float
    h: float


def cell_size(blocks: list[Block], width_px: int, height_px: int) -> int:
    """The largest whole-pixel cell that fits the blocks into width x height."""
    cols, gaps = _columns(blocks)
    p_rows = max((b.rows for b in blocks if b.band is Band.PARAM), default=1)
    batch = max((b.rows for b in blocks if b.band is Band.ACT), default=1)
    for c in range(40, 5, -1):
        gap = max(COLUMN_GAP_MIN, 0.6 * c)
        w = sum(cols.values()) * c + gaps * gap
        h = 2 * (p_rows + 1) * c + 2 * batch * c + 2 * TITLE_H + 40
        if w <= width_px and h <= height_px:
            return c
    return 6


def _columns(blocks: list[Block]) -> tuple[dict[str, int], int]:
    cols: dict[str, int] = {}
    for b in blocks:
        if b.band is Band.ACT:
            cols.setdefault(b.column, b.cols)
    return cols, len(cols) - 1


def layout(blocks: list[Block], c: int) -> tuple[list[Placed], float, float]:
    """Where each block sits, in px: (placed blocks, width, height)."""
    cols, _ = _columns(blocks)
    gap = max(COLUMN_GAP_MIN, 0.6 * c)
    left: dict[str, float] = {}
    x = 2.0
    for name, width in cols.items():
        left[name] = x
        x += width * c + gap
    width_px = x - gap + 2
    p_rows = max((b.rows for b in blocks if b.band is Band.PARAM), default=0)
    batch = max((b.rows for b in blocks if b.band is Band.ACT), default=1)
    small = 4.0
    top_params = 4.0
    b_row = top_params + p_rows * c + small
    top_act = b_row + c + TITLE_H
    top_grad = top_act + batch * c + TITLE_H
    b_grad = top_grad + batch * c + 12
    w_grad = b_grad + c + small
    placed = []
    for b in blocks:
        if b.band is Band.PARAM:
            y = b_row if b.rows == 1 and b.name.startswith("b") else b_row - small - b.rows * c
        elif b.band is Band.ACT:
            y = top_act
        elif b.band is Band.ACT_GRAD:
            y = top_grad
        else:
            y = b_grad if b.name.startswith(GRAD + "b") else w_grad
        placed.append(Placed(b, left[b.column], y, b.cols * c, b.rows * c))
    height_px = w_grad + p_rows * c + 4
    return placed, width_px, height_px


def short(v: float) -> str:
    """A number in at most five characters: -0.123 -> -.12, 12.3 -> 12."""
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    a = abs(v)
    if a >= 99.5:
        return f"{v:.0e}".replace("e+0", "e")
    if a >= 9.95:
        return f"{v:.0f}"
    if a >= 0.995:
        return f"{v:.1f}"
    text = f"{v:.2f}".replace("0.", ".", 1)
    return "0" if text in (".00", "-.00") else text


def canvas(scene: Scene, blocks: list[Block], sample: int, width_px: int,
           height_px: int) -> Spec:
    """One frame of the step as a picture: each tensor a block of cells, the frame's
    blocks outlined in the highlight colour, the followed sample's row outlined in ink."""
    c = cell_size(blocks, width_px, height_px)
    placed, w, h = layout(blocks, c)
    cells, texts, empty, notes, titles, lit, rows = [], [], [], [], [], [], []
    with_text = c >= TEXT_MIN_CELL
    for p in placed:
        shown = scene.shown[p.block.name]
        _title(p, shown.title, titles)
        if p.block.band in (Band.ACT, Band.ACT_GRAD) and p.block.rows > 1 \
                and sample < p.block.rows:
            rows.append({"x": p.x - 1, "x2": p.x + p.w + 1, "y": p.y + sample * c - 1,
                         "y2": p.y + (sample + 1) * c + 1})
        if p.block.name in scene.lit:
            lit.append({"x": p.x - 3, "x2": p.x + p.w + 3, "y": p.y - 3, "y2": p.y + p.h + 3})
        if shown.values is None:
            empty.append({"x": p.x, "x2": p.x + p.w, "y": p.y, "y2": p.y + p.h})
            if shown.note == "None":
                notes.append({"x": p.x + p.w / 2, "y": p.y + p.h / 2, "t": "None"})
            continue
        values = shown.values.detach().reshape(p.block.rows, p.block.cols).double()
        top = float(values.abs().max()) if values.numel() else 0.0
        scale = top if top > 0 and math.isfinite(top) else 1.0
        for (i, j), v in _items(values):
            norm = max(-1.0, min(1.0, v / scale)) if math.isfinite(v) else 0.0
            rec = {"x": p.x + j * c, "x2": p.x + (j + 1) * c, "y": p.y + i * c,
                   "y2": p.y + (i + 1) * c, "n": norm, "v": v,
                   "tensor": shown.about or shown.title, "at": f"[{i}, {j}]"}
            cells.append(rec)
            if with_text:
                texts.append({"x": rec["x"] + c / 2, "y": rec["y"] + c / 2, "t": short(v),
                              "dark": abs(norm) > 0.62})
    pos = {"x": _axis("x", w), "x2": {"field": "x2"}, "y": _axis("y", h, reverse=True),
           "y2": {"field": "y2"}}
    point = {"x": _axis("x", w), "y": _axis("y", h, reverse=True)}
    font = max(8, min(12, int(c * 0.42)))
    layers: list[Spec] = [
        {"data": {"values": cells}, "mark": {"type": "rect", "stroke": "white",
                                            "strokeWidth": 0.5},
         "encoding": {**pos,
                      "color": {"field": "n", "type": "quantitative", "legend": None,
                                "scale": {"scheme": style.DIVERGING, "domain": [-1, 1]}},
                      "tooltip": [{"field": "tensor", "title": "tensor"},
                                  {"field": "at", "title": "index"},
                                  {"field": "v", "title": "value", "format": ".6g"}]}},
        {"data": {"values": texts},
         "mark": {"type": "text", "fontSize": font, "baseline": "middle", "align": "center"},
         "encoding": {**point, "text": {"field": "t"},
                      "color": {"condition": {"test": "datum.dark", "value": "white"},
                                "value": INK}}},
        {"data": {"values": empty},
         "mark": {"type": "rect", "fill": "#fafafa", "stroke": "#9e9e9e",
                  "strokeDash": [3, 3], "strokeWidth": 1},
         "encoding": pos},
        {"data": {"values": notes},
         "mark": {"type": "text", "fontSize": 11, "fontStyle": "italic", "color": style.MUTED,
                  "baseline": "middle", "align": "center"},
         "encoding": {**point, "text": {"field": "t"}}},
        {"data": {"values": titles},
         "mark": {"type": "text", "baseline": "bottom"},
         "encoding": {**point, "text": {"field": "t"},
                      "align": {"field": "align", "type": "nominal", "scale": None},
                      "fontSize": {"field": "size", "type": "quantitative", "scale": None},
                      "fontWeight": {"field": "weight", "type": "nominal", "scale": None},
                      "color": {"field": "color", "type": "nominal", "scale": None}}},
        {"data": {"values": rows},
         "mark": {"type": "rect", "fill": None, "stroke": INK, "strokeWidth": 1.5},
         "encoding": pos},
        {"data": {"values": lit},
         "mark": {"type": "rect", "fill": None, "stroke": style.HIGHLIGHT, "strokeWidth": 3,
                  "cornerRadius": 2},
         "encoding": pos},
    ]
    return {"width": w, "height": h, "autosize": {"type": "none"}, "layer": layers,
            "config": {**style.chart_config(), "view": {"stroke": None}},
            "padding": 4}


def _axis(field: str, extent: float, reverse: bool = False) -> Spec:
    return {"field": field, "type": "quantitative", "axis": None,
            "scale": {"domain": [0, extent], "nice": False, "zero": False,
                      "reverse": reverse}}


def _items(values: torch.Tensor) -> list[tuple[tuple[int, int], float]]:
    flat = values.tolist()
    return [((i, j), v) for i, row in enumerate(flat) for j, v in enumerate(row)]


def _title(p: Placed, text: str, out: list[Spec]) -> None:
    """Names and shapes: over activation blocks, left of parameter blocks (the space
    over the column before is free: activations have no parameters)."""
    b = p.block
    shape = fmt_shape((b.rows, b.cols)) if b.band in (Band.ACT, Band.ACT_GRAD) else ""
    if b.band in (Band.PARAM, Band.PARAM_GRAD):
        rows, cols = b.rows, b.cols
        shape = fmt_shape((cols,)) if b.name.lstrip(GRAD).startswith("b") else \
            fmt_shape((rows, cols))
        mid = p.y + p.h / 2
        out.append({"x": p.x - 5, "y": mid + (1 if b.rows == 1 else -1), "t": text,
                    "align": "right", "size": 12, "weight": "bold", "color": INK})
        if b.rows > 1:
            out.append({"x": p.x - 5, "y": mid + 13, "t": shape, "align": "right",
                        "size": 10, "weight": "normal", "color": style.MUTED})
        else:
            out[-1]["t"] = f"{text} {shape}"
            out[-1]["y"] = mid + 6
        return
    if b.name in ("L", GRAD + "L"):
        shape = "scalar"
    out.append({"x": p.x, "y": p.y - 14, "t": text, "align": "left", "size": 12,
                "weight": "bold", "color": INK})
    out.append({"x": p.x, "y": p.y - 2, "t": shape, "align": "left", "size": 10,
                "weight": "normal", "color": style.MUTED})


def points(X: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor, followed: int,
           grid: torch.Tensor, regions: torch.Tensor, res: int, size_px: int) -> Spec:
    """The data (colour = class), the batch ringed, the followed sample marked, over the
    class the model picks at each point of a grid (paler = less sure)."""
    k = regions.shape[1]
    palette = list(style.SERIES[:max(k, 2)])
    in_batch = set(rows.tolist())
    follow_row = int(rows[followed]) if followed < len(rows) else -1
    dots = [{"x1": float(a), "x2": float(b), "class": str(int(c)),
             "batch": i in in_batch, "followed": i == follow_row, "row": i}
            for i, ((a, b), c) in enumerate(zip(X.tolist(), labels.tolist(), strict=True))]
    step_x = float(grid[1, 0] - grid[0, 0])
    step_y = float(grid[res, 1] - grid[0, 1])
    conf, cls = regions.max(dim=1)
    cells = [{"x1": a - step_x / 2, "x2": b - step_y / 2, "to1": a + step_x / 2,
              "to2": b + step_y / 2, "class": str(c), "sure": s}
             for (a, b), c, s in zip(grid.tolist(), cls.tolist(), conf.tolist(), strict=True)]
    color = {"field": "class", "type": "nominal", "title": "class",
             "scale": {"domain": [str(i) for i in range(max(k, 2))], "range": palette}}
    x = {"field": "x1", "type": "quantitative", "title": None,
         "scale": {"domain": [float(grid[0, 0]) - step_x / 2, float(grid[-1, 0]) + step_x / 2],
                   "nice": False, "zero": False}}
    y = {"field": "x2", "type": "quantitative", "title": None,
         "scale": {"domain": [float(grid[0, 1]) - step_y / 2, float(grid[-1, 1]) + step_y / 2],
                   "nice": False, "zero": False}}
    return {
        "width": size_px, "height": size_px, "autosize": {"type": "pad"},
        "title": "The data: the batch ringed, the followed sample a diamond",
        "layer": [
            {"data": {"values": cells}, "mark": {"type": "rect", "strokeWidth": 0},
             "encoding": {"x": x, "x2": {"field": "to1"}, "y": y, "y2": {"field": "to2"},
                          "color": {**color, "legend": None},
                          "opacity": {"field": "sure", "type": "quantitative", "legend": None,
                                      "scale": {"domain": [1 / k, 1], "range": [0.04, 0.32]}},
                          "tooltip": None}},
            {"data": {"values": dots},
             "transform": [{"calculate": "datum.followed ? 2 : (datum.batch ? 1 : 0)",
                            "as": "order"}],
             "mark": {"type": "point", "filled": True},
             "encoding": {
                 "x": x, "y": y, "color": {**color, "legend": {"orient": "bottom",
                                                                "direction": "horizontal"}},
                 "order": {"field": "order", "type": "quantitative"},
                 "shape": {"condition": {"test": "datum.followed", "value": "diamond"},
                           "value": "circle"},
                 "size": {"condition": [{"test": "datum.followed", "value": 260},
                                        {"test": "datum.batch", "value": 120}], "value": 30},
                 "stroke": {"condition": {"test": "datum.batch", "value": style.HIGHLIGHT},
                            "value": "white"},
                 "strokeWidth": {"condition": {"test": "datum.batch", "value": 2.5},
                                 "value": 0.5},
                 "opacity": {"condition": {"test": "datum.batch", "value": 1}, "value": 0.55},
                 "tooltip": [{"field": "row", "title": "dataset row"},
                             {"field": "class"}, {"field": "x1", "format": ".3f"},
                             {"field": "x2", "format": ".3f"}]}},
        ],
        "config": style.chart_config(),
    }


def losses(history: list[float], width_px: int, height_px: int = 110) -> Spec:
    """Each step's batch loss (before its update), the current step as a dot."""
    every = max(1, len(history) // 600)  # at most ~600 points on the line
    pts = [{"step": i + 1, "loss": v} for i, v in enumerate(history)
           if (i % every == 0 or i == len(history) - 1) and math.isfinite(v)]
    last = pts[-1:] if pts else []
    x = {"field": "step", "type": "quantitative", "title": "training step",
         "scale": {"domainMin": 1, "nice": False}, "axis": {"tickMinStep": 1, "format": "d"}}
    y = {"field": "loss", "type": "quantitative", "title": "batch loss",
         "scale": {"zero": True}}
    return {
        "width": width_px, "height": height_px, "autosize": {"type": "pad"},
        "layer": [
            {"data": {"values": pts}, "mark": {"type": "line", "color": style.SERIES[0],
                                               "point": len(pts) <= 30},
             "encoding": {"x": x, "y": y, "tooltip": [{"field": "step"},
                                                      {"field": "loss", "format": ".4f"}]}},
            {"data": {"values": last}, "mark": {"type": "point", "filled": True, "size": 90,
                                                "color": style.HIGHLIGHT},
             "encoding": {"x": x, "y": y}},
        ],
        "config": style.chart_config(),
    }
