"""The page's pictures as Vega-Lite specs (plain dicts: a few ms to build, no Altair).

`canvas` draws one frame of the step: every tensor a block of cells placed like the
matrix product it takes part in. Row i of x meets column j of W.T at z[i, j], so W is
drawn transposed above the layer's output, its gradient beside it; each activation's
gradient sits under the activation.
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
from ml101.step.frames import Band, Block, Scene

Spec = dict[str, Any]
TEXT_MIN_CELL = 22  # px: below this the cells are colour only (the tooltip has the value)
COLUMN_GAP_MIN = 10


@dataclass(frozen=True)
class Type:
    """The picture's type sizes in px; a projector scales them all."""

    name: float = 12
    shape: float = 10
    title_h: float = 32  # room above a block for its name and shape

    def scaled(self, k: float) -> Type:
        return Type(self.name * k, self.shape * k, self.title_h * k)
INK = "#222222"  # the followed sample's row outline


@dataclass(frozen=True)
class Placed:
    block: Block
    x: float
    y: float
    w: float
    h: float


def _title_px(lines: list[str], type_: Type) -> float:
    """About how wide a title is drawn: the name in bold, the shape in the small size."""
    name, shape = lines
    return max(0.6 * type_.name * len(name), 0.52 * type_.shape * len(shape))


def _pairs(blocks: list[Block]) -> list[tuple[Block, Block]]:
    """Each W.T (or its gradient) with the bias row drawn under it."""
    by_name = {b.name: b for b in blocks}
    return [(b, by_name[b.name.replace("W", "b").removesuffix(".T")]) for b in blocks
            if b.band in (Band.PARAM, Band.PARAM_GRAD) and b.name.endswith(".T")]


def pair_title(scene: Scene, pair: tuple[Block, Block]) -> tuple[str, str]:
    """(name, shape) over a parameter and its bias: 'W1.T, b1', '(2, 4), (4,)'."""
    w, b = pair
    return (f"{scene.shown[w.name].title}, {scene.shown[b.name].title}",
            f"{fmt_shape((w.rows, w.cols))}, {fmt_shape((b.cols,))}")


def _pitches(blocks: list[Block], c: int, titles: dict[str, list[str]], type_: Type,
             gap: float) -> dict[str, float]:
    """Each column's width in px: its blocks, or the title standing over it. A
    parameter's title may run on over the columns to its right that hold no parameters."""
    pitch: dict[str, float] = {}
    for b in blocks:
        if b.band is Band.ACT:
            pitch.setdefault(b.column, b.cols * c)
    order = list(pitch)
    holds = {b.column for b in blocks if b.band in (Band.PARAM, Band.PARAM_GRAD)}
    for b in blocks:
        if b.name not in titles:
            continue
        need = _title_px(titles[b.name], type_)
        if b.band in (Band.PARAM, Band.PARAM_GRAD):
            free = 0.0
            for col in order[order.index(b.column) + 1:]:
                if col in holds:
                    break
                free += pitch[col] + gap
            need -= free
        pitch[b.column] = max(pitch[b.column], b.cols * c, need)
    return pitch


def layout(blocks: list[Block], c: int, titles: dict[str, list[str]], type_: Type = Type()
           ) -> tuple[list[Placed], float, float]:
    """Where each block sits, in px: (placed blocks, width, height). Columns left to right
    as the forward pass runs; parameters over their layer's output, their gradients over
    the next column; activations' gradients under the activations."""
    gap = max(COLUMN_GAP_MIN, 0.5 * c)
    pitch = _pitches(blocks, c, titles, type_, gap)
    left: dict[str, float] = {}
    x = 2.0
    for name, width in pitch.items():
        left[name] = x
        x += width + gap
    width_px = max([x - gap + 2] + [left[b.column] + _title_px(titles[b.name], type_) + 2
                                    for b in blocks if b.name in titles])
    p_rows = max((b.rows for b in blocks if b.band is Band.PARAM), default=0)
    batch = max((b.rows for b in blocks if b.band is Band.ACT), default=1)
    has_params = p_rows > 0
    b_row = type_.title_h + p_rows * c + 4 if has_params else 0.0
    top_act = (b_row + c if has_params else 0.0) + type_.title_h
    top_grad = top_act + batch * c + type_.title_h
    placed = []
    for b in blocks:
        if b.band in (Band.PARAM, Band.PARAM_GRAD):
            y = b_row if not b.name.endswith(".T") else b_row - 4 - b.rows * c
        elif b.band is Band.ACT:
            y = top_act
        else:
            y = top_grad
        placed.append(Placed(b, left[b.column], y, b.cols * c, b.rows * c))
    return placed, width_px, top_grad + batch * c + 4


def cell_size(blocks: list[Block], titles: dict[str, list[str]], width_px: int,
              height_px: int, type_: Type = Type()) -> int:
    """The largest whole-pixel cell that fits the picture into width x height."""
    for c in range(48, 5, -1):
        _, w, h = layout(blocks, c, titles, type_)
        if w <= width_px and h <= height_px:
            return c
    return 6


def short(v: float) -> str:
    """A number in at most five characters: -0.123 -> -.12, 12.3 -> 12, 0.004 -> 4e-3."""
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    a = abs(v)
    if a >= 99.5:
        return f"{v:.0e}".replace("e+0", "e")
    if a >= 9.95:
        return f"{v:.0f}"
    if v == round(v):
        return f"{v:.0f}"
    if a >= 0.995:
        return f"{v:.1f}"
    if a < 0.005:  # not zero, but under what two decimals can show: 4e-3
        return f"{v:.0e}".replace("e-0", "e-")
    return f"{v:.2f}".replace("0.", ".", 1)


def _titles(scene: Scene, blocks: list[Block]) -> dict[str, list[str]]:
    """The title lines over each block: name and shape (a parameter pair's over its W)."""
    out: dict[str, list[str]] = {}
    for b in blocks:
        if b.band in (Band.ACT, Band.ACT_GRAD):
            shape = "scalar" if b.name.endswith("L") else fmt_shape((b.rows, b.cols))
            out[b.name] = [scene.shown[b.name].title, shape]
    for pair in _pairs(blocks):
        out[pair[0].name] = list(pair_title(scene, pair))
    return out


def canvas(scene: Scene, blocks: list[Block], sample: int, width_px: int,
           height_px: int, type_scale: float = 1.0) -> Spec:
    """One frame of the step as a picture: each tensor a block of cells, the frame's
    blocks outlined in the highlight colour, the followed sample's row outlined in ink."""
    type_ = Type().scaled(type_scale)
    titles = _titles(scene, blocks)
    c = cell_size(blocks, titles, width_px, height_px, type_)
    placed, w, h = layout(blocks, c, titles, type_)
    cells, tensors, empty, notes, names, shapes, lit, rows = [], [], [], [], [], [], [], []
    for p in placed:
        shown = scene.shown[p.block.name]
        lines = titles.get(p.block.name)
        if lines:
            names.append({"x": p.x, "y": p.y - 3 - 1.2 * type_.shape, "t": lines[0]})
            shapes.append({"x": p.x, "y": p.y - 3, "t": lines[1]})
        if p.block.band in (Band.ACT, Band.ACT_GRAD) and p.block.rows > 1 \
                and sample < p.block.rows and shown.values is not None:
            rows.append({"x": p.x - 1, "x2": p.x + p.w + 1, "y": p.y + sample * c - 1,
                         "y2": p.y + (sample + 1) * c + 1})
        if p.block.name in scene.lit:
            lit.append({"x": p.x - 3, "x2": p.x + p.w + 3, "y": p.y - 3, "y2": p.y + p.h + 3})
        if shown.values is None:
            empty.append({"x": p.x, "x2": p.x + p.w, "y": p.y, "y2": p.y + p.h,
                          "tensor": shown.about or shown.title, "note": shown.note})
            if shown.note == "None" and p.block.name.endswith(".T"):
                notes.append({"x": p.x + p.w / 2, "y": p.y + p.h / 2, "t": "None"})
            continue
        values = shown.values.detach().reshape(p.block.rows, p.block.cols).double()
        top = float(values.abs().max()) if values.numel() else 0.0
        scale = top if top > 0 and math.isfinite(top) else 1.0
        tensors.append({"b": len(tensors), "tensor": shown.about or shown.title})
        for (i, j), v in _items(values):
            ok = math.isfinite(v)
            cells.append({"x": round(p.x + j * c, 1), "y": round(p.y + i * c, 1),
                          "n": round(max(-1.0, min(1.0, v / scale)), 3) if ok else 0.0,
                          "v": v if ok else None, "t": short(v), "b": len(tensors) - 1,
                          "i": i, "j": j})
    pos = {"x": _axis("x", w), "x2": {"field": "x2"}, "y": _axis("y", h, reverse=True),
           "y2": {"field": "y2"}}
    point = {"x": _axis("x", w), "y": _axis("y", h, reverse=True)}
    font = max(8, min(12 * type_scale, int(c * 0.4)))
    corners = [{"calculate": f"datum.x + {c}", "as": "x2"},
               {"calculate": f"datum.y + {c}", "as": "y2"}]
    centre = [{"calculate": f"datum.x + {c / 2}", "as": "cx"},
              {"calculate": f"datum.y + {c / 2}", "as": "cy"}]
    layers: list[Spec] = [
        {"data": {"name": "cells"},
         "transform": [*corners,
                       {"lookup": "b", "from": {"data": {"name": "tensors"}, "key": "b",
                                                "fields": ["tensor"]}},
                       {"calculate": "'[' + datum.i + ', ' + datum.j + ']'", "as": "at"}],
         "mark": {"type": "rect", "stroke": "white", "strokeWidth": 0.5},
         "encoding": {**pos,
                      "color": {"field": "n", "type": "quantitative", "legend": None,
                                "scale": {"scheme": style.DIVERGING, "domain": [-1, 1]}},
                      "tooltip": [{"field": "tensor", "title": "tensor"},
                                  {"field": "at", "title": "index"},
                                  {"field": "v", "title": "value", "format": ".6g"}]}},
        {"data": {"name": "cells" if c >= TEXT_MIN_CELL else "none"}, "transform": centre,
         "mark": {"type": "text", "fontSize": font, "baseline": "middle", "align": "center"},
         "encoding": {"x": {**_axis("cx", w)}, "y": {**_axis("cy", h, reverse=True)},
                      "text": {"field": "t"},
                      "color": {"condition": {"test": "abs(datum.n) > 0.62", "value": "white"},
                                "value": INK}}},
        {"data": {"values": empty},
         "mark": {"type": "rect", "fill": "#fafafa", "stroke": "#9e9e9e",
                  "strokeDash": [3, 3], "strokeWidth": 1},
         "encoding": {**pos, "tooltip": [{"field": "tensor"}, {"field": "note"}]}},
        _text_layer(notes, point, type_.shape, style.MUTED, "middle", "center", italic=True),
        _text_layer(names, point, type_.name, INK, "bottom", "left", bold=True),
        _text_layer(shapes, point, type_.shape, style.MUTED, "bottom", "left"),
        {"data": {"values": rows},
         "mark": {"type": "rect", "fill": None, "stroke": INK, "strokeWidth": 1.5},
         "encoding": pos},
        {"data": {"values": lit},
         "mark": {"type": "rect", "fill": None, "stroke": style.HIGHLIGHT, "strokeWidth": 3,
                  "cornerRadius": 2},
         "encoding": pos},
    ]
    return {"width": w, "height": h, "autosize": {"type": "none"}, "layer": layers,
            "datasets": {"cells": cells, "tensors": tensors, "none": []},
            "config": {**style.chart_config(), "view": {"stroke": None}},
            "padding": {"left": 4, "top": 4, "right": 4, "bottom": 4}}


def _text_layer(values: list[Spec], point: Spec, size: float, color: str, baseline: str,
                align: str, *, bold: bool = False, italic: bool = False) -> Spec:
    return {"data": {"values": values},
            "mark": {"type": "text", "fontSize": size, "color": color, "baseline": baseline,
                     "align": align, "fontWeight": "bold" if bold else "normal",
                     "fontStyle": "italic" if italic else "normal"},
            "encoding": {**point, "text": {"field": "t"}}}


def _axis(field: str, extent: float, reverse: bool = False) -> Spec:
    return {"field": field, "type": "quantitative", "axis": None,
            "scale": {"domain": [0, extent], "nice": False, "zero": False,
                      "reverse": reverse}}


def _items(values: torch.Tensor) -> list[tuple[tuple[int, int], float]]:
    flat = values.tolist()
    return [((i, j), v) for i, row in enumerate(flat) for j, v in enumerate(row)]


def points(X: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor, followed: int,
           grid: torch.Tensor, regions: torch.Tensor, res: int, size_px: int) -> Spec:
    """The data (colour = class), the batch ringed, the followed sample marked, over the
    class the model picks at each point of a grid (paler = less sure)."""
    k = regions.shape[1]
    palette = list(style.SERIES[:max(k, 2)])
    in_batch = set(rows.tolist())
    follow_row = int(rows[followed]) if followed < len(rows) else -1
    dots = [{"x1": round(a, 4), "x2": round(b, 4), "class": int(c),
             "batch": i in in_batch, "followed": i == follow_row, "row": i}
            for i, ((a, b), c) in enumerate(zip(X.tolist(), labels.tolist(), strict=True))]
    step_x = float(grid[1, 0] - grid[0, 0])
    step_y = float(grid[res, 1] - grid[0, 1])
    conf, cls = regions.max(dim=1)
    cells = [{"a": round(a, 4), "b": round(b, 4), "class": c, "sure": round(s, 3)}
             for (a, b), c, s in zip(grid.tolist(), cls.tolist(), conf.tolist(), strict=True)]
    corners = [{"calculate": f"datum.a - {step_x / 2}", "as": "x1"},
               {"calculate": f"datum.a + {step_x / 2}", "as": "to1"},
               {"calculate": f"datum.b - {step_y / 2}", "as": "x2"},
               {"calculate": f"datum.b + {step_y / 2}", "as": "to2"}]
    color = {"field": "class", "type": "nominal", "title": "class",
             "scale": {"domain": list(range(max(k, 2))), "range": palette}}
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
            {"data": {"values": cells}, "transform": corners,
             "mark": {"type": "rect", "strokeWidth": 0},
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
                 "stroke": {"condition": {"test": "datum.batch", "value": INK},
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
