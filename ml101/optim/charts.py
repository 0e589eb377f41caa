"""Vega-Lite specs for the optimizer race: the map (a smooth field, contours, paths, the
state arrows) and the loss and distance curves.

Plain dicts rather than Altair: building and validating an Altair chart of a few thousand
points costs more than the rest of a rerun. What belongs to a surface (its field, drawn as
one smooth image the browser scales, its contour lines, the clickable cells) is built once
per surface. Everything that changes while the race plays (trails, positions, arrows, the
step rule) lives in named datasets, so the spec itself stays the same from frame to frame
and the browser swaps the data in place instead of rebuilding the chart.
"""

from __future__ import annotations

import base64
import io
import math
from functools import lru_cache
from typing import Any

import contourpy
import numpy as np
import pyarrow as pa
import torch
from PIL import Image

from ml101 import style
from ml101.optim.race import STATE, Race
from ml101.optim.surfaces import SURFACES, Surface

GRID = 32  # clickable cells per side: a click starts the race from the cell's centre
FIELD_PX = 240  # the field image's pixels per side; the browser smooths it when scaling
FIELD_WASH = 0.45  # share of white mixed into the field's colours, so paths stand out
MAX_POINTS = 400  # per path and curve, so a 5,000-step race stays light in the browser
FLOOR = 1e-12  # log axes need f > 0; values below this are drawn at this floor
_STAR = ("M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12"
         "L-0.95,-0.31L-0.24,-0.33Z")
CLICK = "start"  # name of the click selection on the cell layer
ARROWS = ("gradient step (−lr·g)", "actual step", "momentum buffer (×−lr)")
INK = style.INK  # markers that must read on any background
Spec = dict[str, Any]

_F = pa.float32()
_S = pa.string()
_I = pa.int32()


def _table(columns: dict[str, Any], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """A pyarrow table straight from NumPy columns: Streamlit sends it as is, without the
    pandas round trip that costs milliseconds per dataset."""
    types = types or {}
    return pa.table({k: pa.array(v, type=types.get(k)) for k, v in columns.items()})


def _levels(surf: Surface, count: int = 13) -> np.ndarray:
    """Log-spaced contour levels over four decades below the window's high ground (lower
    ones would be slivers along a valley floor, too thin to draw smoothly)."""
    _, _, z = surf.grid()
    hi = float(np.quantile(z, 0.95))
    lo = max(float(z.min()), hi * 1e-4, 1e-3)
    return np.logspace(math.log10(lo), math.log10(hi), count)


def _viridis(u: np.ndarray) -> np.ndarray:
    """Vega's 'viridis' (style.SEQUENTIAL) at u in [0, 1], as RGB floats."""
    from matplotlib import colormaps  # the same table Vega's scheme was sampled from

    return colormaps["viridis"](u)[..., :3]


@lru_cache(maxsize=16)
def field(key: str) -> tuple[str, float, float]:
    """The surface's log10 f as a smooth picture: (JPEG data URL, log10 f at its
    lightest and darkest colour). Valleys are light, high ground dark (viridis reversed,
    washed with white so the racers' colours stand out)."""
    surf = SURFACES[key]
    levels = _levels(surf)
    lo, hi = math.log10(levels[0]), math.log10(levels[-1])
    x0, x1, y0, y1 = surf.window
    # pixel centres, top row first (an image's y grows downwards)
    xs = x0 + (np.arange(FIELD_PX) + 0.5) * (x1 - x0) / FIELD_PX
    ys = y1 - (np.arange(FIELD_PX) + 0.5) * (y1 - y0) / FIELD_PX
    gx, gy = np.meshgrid(xs, ys)
    z = surf.value(torch.from_numpy(gx), torch.from_numpy(gy)).numpy()
    u = np.clip((np.log10(np.maximum(z, FLOOR)) - lo) / (hi - lo), 0.0, 1.0)
    rgb = _viridis(1.0 - u) * (1 - FIELD_WASH) + FIELD_WASH
    img = Image.fromarray(np.round(rgb * 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode(), lo, hi


@lru_cache(maxsize=16)
def contour_lines(key: str) -> pa.Table:
    """The contour lines at `_levels`, in drawing order, each line at most ~40 points."""
    surf = SURFACES[key]
    gx, gy, gz = surf.grid(120)
    gen = contourpy.contour_generator(gx, gy, gz)
    parts: list[np.ndarray] = []
    for level in _levels(surf):
        for line in gen.lines(level):
            pts = line[::max(1, len(line) // 40)]
            parts.append(np.column_stack([pts, np.full(len(pts), len(parts))]))
    rows = np.concatenate(parts) if parts else np.empty((0, 3))
    return _table({"x": rows[:, 0], "y": rows[:, 1], "line": rows[:, 2]},
                  {"x": _F, "y": _F, "line": _I})


@lru_cache(maxsize=16)
def click_cells(key: str) -> pa.Table:
    """The centres of GRID x GRID cells covering the window: a click reports one."""
    x0, x1, y0, y1 = SURFACES[key].window
    cx = x0 + (np.arange(GRID) + 0.5) * (x1 - x0) / GRID
    cy = y0 + (np.arange(GRID) + 0.5) * (y1 - y0) / GRID
    mx, my = np.meshgrid(cx, cy)
    return _table({"x": mx.ravel(), "y": my.ravel()}, {"x": _F, "y": _F})


def _every(frame: int) -> np.ndarray:
    """Indices 0..frame thinned to at most MAX_POINTS (+1), always keeping the last."""
    stride = max(1, math.ceil((frame + 1) / MAX_POINTS))
    idx = np.arange(0, frame + 1, stride)
    return idx if idx[-1] == frame else np.append(idx, frame)


def path_frame(race: Race, frame: int) -> pa.Table:
    """Every racer's path up to `frame`, thinned for drawing (the leaderboard and state
    panel use the full-resolution numbers)."""
    labels, steps, xs, ys = [], [], [], []
    for i, r in enumerate(race.racers):
        idx = _every(race.at(i, frame))
        labels += [r.label] * len(idx)
        steps.append(idx)
        xs.append(race.paths[idx, i, 0])
        ys.append(race.paths[idx, i, 1])
    return _table({"optimizer": labels, "step": np.concatenate(steps),
                   "x": np.concatenate(xs), "y": np.concatenate(ys)},
                  {"optimizer": _S, "step": _I})


def heads_frame(race: Race, frame: int) -> pa.Table:
    """Where each racer is at `frame` (a diverged racer stays at its last valid point)."""
    t = [race.at(i, frame) for i in range(len(race.racers))]
    i = np.arange(len(race.racers))
    return _table({"optimizer": [r.label for r in race.racers], "step": t,
                   "x": race.paths[t, i, 0], "y": race.paths[t, i, 1]},
                  {"optimizer": _S, "step": _I})


def dead_frame(race: Race, frame: int) -> pa.Table:
    """A ✕ at the last valid point of each racer that has diverged by `frame`."""
    gone = [i for i in range(len(race.racers)) if race.diverged_by(i, frame)]
    last = [race.at(i, frame) for i in gone]
    return _table({"x": race.paths[last, gone, 0], "y": race.paths[last, gone, 1],
                   "note": [f"{race.racers[i].label}: diverged at step {race.diverged_at[i]}"
                            for i in gone]}, {"x": _F, "y": _F, "note": _S})


_ARROW_TYPES = {"arrow": _S, **{k: _F for k in ("x", "y", "x2", "y2", "angle")}}


def arrows(race: Race, i: int, frame: int) -> tuple[pa.Table, float]:
    """State arrows for racer i at `frame`, scaled so the longest is 15% of the window.

    'gradient step' is where plain SGD at this lr would go (−lr·g); 'actual step' is the
    move this optimizer made from here (once the next step is computed); 'momentum
    buffer' is the buffer times −lr."""
    surf = race.spec.surf
    r = race.racers[i]
    rows: dict[str, list[Any]] = {k: [] for k in _ARROW_TYPES}
    if race.diverged_by(i, frame) or frame > race.frontier:
        return _table(rows, _ARROW_TYPES), 1.0
    pos = race.paths[frame, i].astype(np.float64)
    vecs = {ARROWS[0]: -r.lr * race.grads[frame, i].astype(np.float64)}
    if frame < race.frontier and not race.diverged_by(i, frame + 1):
        vecs[ARROWS[1]] = race.paths[frame + 1, i].astype(np.float64) - pos
    slots = [name for name, _ in STATE[r.key]]
    if "momentum_buffer" in slots and frame > 0:
        buf = race.state[frame, i, slots.index("momentum_buffer")].astype(np.float64)
        if np.isfinite(buf).all():
            vecs[ARROWS[2]] = -r.lr * buf
    vecs = {k: v for k, v in vecs.items() if np.isfinite(v).all()}
    width = surf.window[1] - surf.window[0]
    longest = max((float(np.linalg.norm(v)) for v in vecs.values()), default=0.0)
    scale = 0.15 * width / longest if longest > 0 else 1.0
    for name, v in vecs.items():
        end = pos + scale * v
        angle = math.degrees(math.atan2(v[0], v[1])) if np.any(v) else 0.0
        for k, val in zip(rows, (name, pos[0], pos[1], end[0], end[1], angle), strict=True):
            rows[k].append(val)
    return _table(rows, _ARROW_TYPES), scale


def _config(scale: float) -> Spec:
    """The app's chart config with its type sizes times `scale` (a projector wants more)."""
    config = style.chart_config()
    for part in config.values():
        for name, value in part.items():
            if name.endswith("FontSize"):
                part[name] = round(value * scale)
    return config


def _q(field_: str, **extra: Any) -> Spec:
    return {"field": field_, "type": "quantitative", **extra}


# Besides its colour, each racer has its own head shape on the map and its own dash on the
# curves (the start is a circle and the minima stars, so neither is a head).
HEAD_SHAPES = ("square", "triangle-up", "diamond", "triangle-down", "cross", "triangle-left",
               "triangle-right", "wedge", "arrow")
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 2, 1, 2], [10, 4], [1, 3], [6, 2, 2, 2],
          [3, 5])


def _optimizer_cue(race: Race, cues: tuple, legend: str | None) -> Spec:
    """Each racer's shape or dash, in the same order as its colour."""
    return {"field": "optimizer", "type": "nominal",
            "scale": {"domain": [r.label for r in race.racers],
                      "range": list(cues[:len(race.racers)])},
            "legend": None if legend is None else {
                "orient": legend, "title": None,
                **({"direction": "horizontal"} if legend in ("top", "bottom") else {})}}


def _optimizer_color(race: Race, legend: str | None) -> Spec:
    """Each optimizer in its own colour; `legend` is where its legend goes (None: none)."""
    return {"field": "optimizer", "type": "nominal",
            "scale": {"domain": [r.label for r in race.racers],
                      "range": [r.info.color for r in race.racers]},
            "legend": None if legend is None else {
                "orient": legend, "title": None, "symbolStrokeWidth": 3,
                **({"direction": "horizontal"} if legend in ("top", "bottom") else {})}}


def contour_spec(race: Race, frame: int, inspect: int | None = None,
                 size: int = 440, scale: float = 1.0) -> Spec:
    """The map: the smooth field, contour lines, clickable cells, paths, the start, the
    positions at `frame`, minima, diverged markers and (for racer `inspect`) its state
    arrows. `size` is the plot's side in pixels (legends go around it), `scale` its type
    size against the app's.

    The click selection CLICK on the cell layer reports the clicked cell's centre."""
    spec = race.spec
    surf = spec.surf
    x0, x1, y0, y1 = surf.window
    xs = {"domain": [x0, x1], "nice": False, "zero": False}
    ys = {"domain": [y0, y1], "nice": False, "zero": False}

    def pos(xf: str = "x", yf: str = "y") -> Spec:
        return {"x": _q(xf, scale=xs, title="x", axis={"tickCount": 8}),
                "y": _q(yf, scale=ys, title="y", axis={"tickCount": 8})}

    url, lo, hi = field(spec.surface)
    half_x, half_y = (x1 - x0) / GRID / 2, (y1 - y0) / GRID / 2
    arr = (arrows(race, inspect, frame)[0] if inspect is not None
           else _table({k: [] for k in _ARROW_TYPES}, _ARROW_TYPES))
    arrow_color = {"field": "arrow", "type": "nominal",
                   "scale": {"domain": list(ARROWS),
                             "range": [style.MUTED, style.HIGHLIGHT, style.MUTED]},
                   "legend": {"orient": "top", "title": None, "columns": 3,
                              "symbolType": "stroke", "symbolStrokeWidth": 3}}
    arrow_dash = {"field": "arrow", "type": "nominal",
                  "scale": {"domain": list(ARROWS), "range": [[1, 0], [1, 0], [5, 3]]},
                  "legend": None}
    layers: list[Spec] = [
        {"data": {"values": [{"x": (x0 + x1) / 2, "y": (y0 + y1) / 2, "url": url}]},
         "mark": {"type": "image", "width": size, "height": size, "aspect": False},
         "encoding": {**pos(), "url": {"field": "url", "type": "nominal"}}},
        # an invisible layer that only carries the field's colour key: one swatch per
        # power of ten (a gradient legend is an SVG url() fill that breaks when the page's
        # URL changes, as it does on every tick)
        {"data": {"values": [{"v": lo}, {"v": hi}]},
         "mark": {"type": "square", "filled": True, "opacity": 0},
         "encoding": {"color": _q("v", scale={"scheme": style.SEQUENTIAL, "reverse": True,
                                              "domain": [lo, hi]},
                                  legend={"title": "f", "orient": "right", "type": "symbol",
                                          "values": list(range(math.ceil(lo),
                                                               math.floor(hi) + 1)),
                                          "symbolType": "square", "symbolSize": 160,
                                          "symbolOpacity": 1 - FIELD_WASH,
                                          "symbolStrokeWidth": 0,
                                          "labelExpr": "format(pow(10, datum.value), '~g')"})}},
        {"data": {"name": "contours"},
         "mark": {"type": "line", "color": "white", "strokeWidth": 0.9, "opacity": 0.9},
         "encoding": {**pos(), "detail": {"field": "line", "type": "nominal"},
                      "order": {"value": None}}},
        {"data": {"name": "cells"},
         "transform": [{"calculate": f"datum.x - {half_x}", "as": "x_lo"},
                       {"calculate": f"datum.x + {half_x}", "as": "x_hi"},
                       {"calculate": f"datum.y - {half_y}", "as": "y_lo"},
                       {"calculate": f"datum.y + {half_y}", "as": "y_hi"}],
         "mark": {"type": "rect", "fill": "white", "fillOpacity": 0, "cursor": "crosshair"},
         "params": [{"name": CLICK, "select": {"type": "point", "on": "click",
                                               "fields": ["x", "y"]}}],
         "encoding": {**pos("x_lo", "y_lo"), "x2": {"field": "x_hi"}, "y2": {"field": "y_hi"},
                      "tooltip": [_q("x", title="click to start at x", format=".3f"),
                                  _q("y", title="y", format=".3f")]}},
        {"data": {"name": "trail"}, "mark": {"type": "line", "strokeWidth": 2.4, "clip": True},
         "encoding": {**pos(), "order": _q("step"), "color": _optimizer_color(race, "right")}},
        {"data": {"values": [{"x": a, "y": b} for a, b in surf.minima]},
         "mark": {"type": "point", "shape": _STAR, "filled": True, "size": 280,
                  "color": style.HIGHLIGHT, "stroke": "white", "strokeWidth": 1.2,
                  "opacity": 1},
         "encoding": {**pos(), "tooltip": [_q("x", title="minimum x"),
                                          _q("y", title="minimum y")]}},
        {"data": {"values": [{"x": float(spec.start[0]), "y": float(spec.start[1])}]},
         "mark": {"type": "point", "shape": "circle", "size": 170, "filled": True,
                  "color": "white", "stroke": INK, "strokeWidth": 2, "opacity": 1,
                  "clip": True},
         "encoding": {**pos(), "tooltip": [_q("x", title="start x"),
                                          _q("y", title="start y")]}},
        {"data": {"name": "heads"},
         "mark": {"type": "point", "filled": True, "size": 150, "stroke": INK,
                  "strokeWidth": 1.2, "opacity": 1, "clip": True},
         # a head shape per racer besides its colour (the map's description names them)
         "encoding": {**pos(), "color": _optimizer_color(race, None),
                      "shape": _optimizer_cue(race, HEAD_SHAPES, None),
                      "tooltip": [{"field": "optimizer", "type": "nominal"}, _q("step"),
                                  _q("x", format=".4f"), _q("y", format=".4f")]}},
        {"data": {"name": "dead"},
         "mark": {"type": "text", "text": "✕", "fontSize": 26, "color": INK,
                  "fontWeight": "bold", "clip": True},
         "encoding": {**pos(), "tooltip": [{"field": "note", "type": "nominal"}]}},
        {"data": {"name": "arrows"}, "mark": {"type": "rule", "strokeWidth": 3, "clip": True},
         "encoding": {**pos(), "x2": {"field": "x2"}, "y2": {"field": "y2"},
                      "color": arrow_color, "strokeDash": arrow_dash}},
        {"data": {"name": "arrows"},
         "mark": {"type": "point", "shape": "triangle-up", "filled": True, "size": 120,
                  "opacity": 1, "clip": True},
         "encoding": {**pos("x2", "y2"), "angle": {**_q("angle"), "scale": None},
                      "color": {**arrow_color, "legend": None}}},
    ]
    return {
        "width": size, "height": size,
        "autosize": {"type": "pad"},  # the plot stays square; legends go around it
        "config": _config(scale),
        "datasets": {
            "contours": contour_lines(spec.surface), "cells": click_cells(spec.surface),
            "trail": path_frame(race, frame), "heads": heads_frame(race, frame),
            "dead": dead_frame(race, frame), "arrows": arr,
        },
        "layer": layers,
        "resolve": {"scale": {"color": "independent", "strokeDash": "independent"}},
    }


def curve_frame(race: Race, what: str) -> pa.Table:
    """f (what='loss') or the distance to the nearest minimum (what='distance') per racer
    and step, as far as the race is computed, thinned for drawing and floored at FLOOR
    for the log axis."""
    surf = race.spec.surf
    labels, steps, values = [], [], []
    for i, r in enumerate(race.racers):
        idx = _every(race.at(i, race.frontier))
        if what == "loss":
            vals = race.losses[idx, i].astype(np.float64)
        else:
            vals = surf.nearest_min_distance(race.paths[idx, i].astype(np.float64))
        labels += [r.label] * len(idx)
        steps.append(idx)
        values.append(np.maximum(vals, FLOOR))
    return _table({"optimizer": labels, "step": np.concatenate(steps),
                   "value": np.concatenate(values)}, {"optimizer": _S, "step": _I})


# Log axes label only the powers of ten (1e-6 … 0.01, 0.1, 1, 10 … 1e4), whatever ticks
# Vega picks in between.
_DECADES = ("abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? "
            "(datum.value >= 1e-3 && datum.value <= 1e4 ? format(datum.value, '~g') "
            ": format(datum.value, '.0e')) : ''")


def curves_spec(race: Race, frame: int, what: str, scale: float = 1.0) -> Spec:
    """f or the distance to the nearest minimum against step, log scale, with a dashed
    rule at the step shown; `scale` is the type size against the app's."""
    title = "f(x, y)" if what == "loss" else "distance to the nearest minimum"
    return {
        "height": round(220 * scale), "width": "container",
        "title": {"text": f"{title}, log scale"},
        "config": _config(scale),
        "datasets": {"curve": curve_frame(race, what), "now": _table({"step": [frame]})},
        "layer": [
            {"data": {"name": "curve"}, "mark": {"type": "line", "strokeWidth": 2},
             "encoding": {
                 "x": _q("step", scale={"domain": [0, race.steps], "nice": False}),
                 "y": _q("value", scale={"type": "log"}, title=None,
                         axis={"labelExpr": _DECADES, "grid": True}),
                 "color": _optimizer_color(race, "bottom"),
                 "strokeDash": _optimizer_cue(race, DASHES, "bottom"),
                 "tooltip": [{"field": "optimizer", "type": "nominal"}, _q("step"),
                             _q("value", title=title, format=".4g")]}},
            {"data": {"name": "now"},
             "mark": {"type": "rule", "color": style.MUTED, "strokeDash": [4, 4]},
             "encoding": {"x": _q("step")}},
        ],
    }
