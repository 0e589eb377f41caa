"""Vega-Lite specs for the optimizer race: contour map with paths, curves, state arrows.

Plain dicts rather than Altair: building and validating an Altair chart of a few
thousand points cost more than the rest of the page's rerun. The surface's grid and
contour lines are computed once per surface (cached). Every number that changes while
the race plays back (trails, current positions, arrows, the step rule) lives in a named
dataset, so the spec itself stays the same from frame to frame: the browser then swaps
the data in place instead of rebuilding the chart.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import contourpy
import numpy as np
import pyarrow as pa
import torch

from ml101.optim.race import STATE_NAMES, RaceResult
from ml101.optim.surfaces import SURFACES, Surface

GRID = 32  # clickable cells per side
MAX_POINTS = 400  # per path and curve, so a 5,000-step race stays light in the browser
FLOOR = 1e-12  # log axes need f > 0; values below this are drawn at this floor
_STAR = ("M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12"
         "L-0.95,-0.31L-0.24,-0.33Z")
CLICK = "start"  # name of the click selection on the grid layer
ARROWS = ("gradient step (-lr·g)", "actual step", "momentum buffer (×-lr)")
ARROW_COLORS = ("#111111", "#e41a1c", "#ff7f0e")
Spec = dict[str, Any]


def log_levels(surf: Surface, count: int = 18) -> np.ndarray:
    """Log-spaced contour levels from near the minimum to the window's high ground."""
    _, _, z = surf.grid()
    hi = float(np.quantile(z, 0.95))
    lo = max(float(z.min()), hi * 1e-6, 1e-3)
    return np.logspace(math.log10(lo), math.log10(hi), count)


def _table(columns: dict[str, Any], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """A pyarrow table straight from NumPy columns: Streamlit sends it as is, without
    the pandas round trip that costs milliseconds per dataset."""
    types = types or {}
    return pa.table({k: pa.array(v, type=types.get(k)) for k, v in columns.items()})


_F = pa.float64()
_S = pa.string()
_I = pa.int64()


@lru_cache(maxsize=16)
def surface_frames(key: str) -> tuple[pa.Table, pa.Table]:
    """(cells, contour lines) for a surface: cells are the clickable heat map."""
    surf = SURFACES[key]
    x0, x1, y0, y1 = surf.window
    xs = np.linspace(x0, x1, GRID + 1)
    ys = np.linspace(y0, y1, GRID + 1)
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    mx, my = np.meshgrid(cx, cy)
    z = surf.value(torch.from_numpy(mx), torch.from_numpy(my)).numpy()
    ix, iy = np.meshgrid(np.arange(GRID), np.arange(GRID))
    cells = _table({
        "x": mx.ravel().round(3), "y": my.ravel().round(3),
        "x_lo": xs[ix.ravel()].round(4), "x_hi": xs[ix.ravel() + 1].round(4),
        "y_lo": ys[iy.ravel()].round(4), "y_hi": ys[iy.ravel() + 1].round(4),
        "log10 f": np.log10(np.maximum(z.ravel(), FLOOR)).round(2),
    })
    gx, gy, gz = surf.grid(72)
    gen = contourpy.contour_generator(gx, gy, gz)
    parts: list[np.ndarray] = []
    seg = 0
    for level in log_levels(surf):
        for line in gen.lines(level):
            seg += 1
            pts = line[::2] if len(line) > 40 else line
            k = np.arange(len(pts))
            parts.append(np.column_stack([pts.round(4), np.full(len(pts), level),
                                          np.full(len(pts), seg), k]))
    rows = np.concatenate(parts) if parts else np.empty((0, 5))
    lines = _table({"x": rows[:, 0], "y": rows[:, 1], "level": rows[:, 2],
                    "seg": rows[:, 3].astype(np.int64), "k": rows[:, 4].astype(np.int64)})
    return cells, lines


def _every(n: int, frame: int) -> np.ndarray:
    """Indices 0..frame thinned to at most MAX_POINTS (+1), always keeping the last."""
    stride = max(1, math.ceil((frame + 1) / MAX_POINTS))
    idx = np.arange(0, frame + 1, stride)
    return idx if idx[-1] == frame else np.append(idx, frame)


def path_frame(res: RaceResult, frame: int) -> pa.Table:
    """Every racer's path up to `frame`, thinned for drawing (the leaderboard and state
    panel use the full-resolution numbers)."""
    labels, steps, xs, ys = [], [], [], []
    for i, r in enumerate(res.racers):
        idx = _every(res.steps, min(frame, res.final_index(i)))
        labels += [r.label] * len(idx)
        steps.append(idx)
        xs.append(res.paths[idx, i, 0])
        ys.append(res.paths[idx, i, 1])
    return _table({"optimizer": labels, "step": np.concatenate(steps),
                   "x": np.concatenate(xs), "y": np.concatenate(ys)}, {"optimizer": _S})


def heads_frame(res: RaceResult, frame: int) -> pa.Table:
    """Where each racer is at `frame` (a diverged racer stays at its last valid point)."""
    t = [min(frame, res.final_index(i)) for i in range(len(res.racers))]
    i = np.arange(len(res.racers))
    return _table({"optimizer": [r.label for r in res.racers], "step": t,
                   "x": res.paths[t, i, 0], "y": res.paths[t, i, 1]},
                  {"optimizer": _S, "step": _I})


def dead_frame(res: RaceResult, frame: int) -> pa.Table:
    """A ✕ at the last valid point of each racer that has diverged by `frame`."""
    gone = [i for i in range(len(res.racers))
            if res.diverged_at[i] is not None and frame >= res.diverged_at[i]]
    last = [res.final_index(i) for i in gone]
    return _table({"x": res.paths[last, gone, 0], "y": res.paths[last, gone, 1],
                   "note": [f"{res.racers[i].label}: diverged at step {res.diverged_at[i]}"
                            for i in gone]}, {"x": _F, "y": _F, "note": _S})


def arrows(res: RaceResult, i: int, frame: int) -> tuple[pa.Table, float]:
    """State arrows for racer i at `frame`, scaled so the longest is 15% of the window.

    'gradient step' is where plain SGD at this lr would go (-lr*g); 'actual step' is the
    move this optimizer made from here; 'momentum buffer' shows the buffer times -lr."""
    surf = SURFACES[res.surface]
    r = res.racers[i]
    rows: dict[str, list[Any]] = {k: [] for k in ("arrow", "x", "y", "x2", "y2", "angle")}
    types = {"arrow": _S, **{k: _F for k in ("x", "y", "x2", "y2", "angle")}}
    if frame >= res.final_index(i):
        return _table(rows, types), 1.0
    pos = res.paths[frame, i].astype(np.float64)
    vecs = {ARROWS[0]: -r.lr * res.grads[frame, i].astype(np.float64),
            ARROWS[1]: res.paths[frame + 1, i].astype(np.float64) - pos}
    if STATE_NAMES[r.key][0] == "momentum buffer":
        vecs[ARROWS[2]] = -r.lr * res.state[frame, i, 0].astype(np.float64)
    width = surf.window[1] - surf.window[0]
    longest = max(float(np.linalg.norm(v)) for v in vecs.values())
    scale = 0.15 * width / longest if longest > 0 else 1.0
    for name, v in vecs.items():
        end = pos + scale * v
        for k, val in zip(rows, (name, pos[0], pos[1], end[0], end[1],
                                 math.degrees(math.atan2(v[0], v[1])) if np.any(v) else 0.0),
                          strict=True):
            rows[k].append(val)
    return _table(rows, types), scale


def _q(field: str, **extra: Any) -> Spec:
    return {"field": field, "type": "quantitative", **extra}


def _optimizer_color(res: RaceResult, legend: bool) -> Spec:
    return {"field": "optimizer", "type": "nominal",
            "scale": {"domain": [r.label for r in res.racers],
                      "range": [r.info.color for r in res.racers]},
            "legend": {"orient": "bottom", "title": None, "columns": 4} if legend else None}


def contour_spec(res: RaceResult, frame: int, start: tuple[float, float],
                 inspect: int | None = None, size: int = 460) -> Spec:
    """The map: log-spaced contours, clickable cells, paths, start, positions, minima,
    diverged markers and (for racer `inspect`) the state arrows at `frame`.

    The click selection CLICK on the cell layer reports the clicked cell's centre."""
    surf = SURFACES[res.surface]
    x0, x1, y0, y1 = surf.window
    xs = {"domain": [x0, x1], "nice": False, "zero": False}
    ys = {"domain": [y0, y1], "nice": False, "zero": False}

    def pos(xf: str = "x", yf: str = "y") -> Spec:
        return {"x": _q(xf, scale=xs, title="x"), "y": _q(yf, scale=ys, title="y")}

    cells, lines = surface_frames(res.surface)
    # no racer inspected: a frame past every path's end gives an empty arrow table
    arr = arrows(res, 0 if inspect is None else inspect,
                 frame if inspect is not None else res.steps)[0]
    arrow_color = {"field": "arrow", "type": "nominal",
                   "scale": {"domain": list(ARROWS), "range": list(ARROW_COLORS)},
                   "legend": {"orient": "top", "title": None, "columns": 3}}
    layers: list[Spec] = [
        {"data": {"name": "cells"}, "mark": {"type": "rect", "opacity": 0.55},
         "params": [{"name": CLICK, "select": {"type": "point", "on": "click",
                                               "fields": ["x", "y"]}}],
         "encoding": {**pos("x_lo", "y_lo"), "x2": {"field": "x_hi"}, "y2": {"field": "y_hi"},
                      "color": _q("log10 f", scale={"scheme": "viridis", "reverse": True},
                                  legend={"title": "log10 f", "orient": "right",
                                          "gradientLength": 200}),
                      "tooltip": [_q("x", format=".3f"), _q("y", format=".3f"),
                                  _q("log10 f", format=".2f")]}},
        {"data": {"name": "contours"},
         "mark": {"type": "line", "color": "white", "strokeWidth": 0.8, "opacity": 0.8},
         "encoding": {**pos(), "detail": {"field": "seg", "type": "nominal"},
                      "order": _q("k")}},
        {"data": {"name": "trail"}, "mark": {"type": "line", "strokeWidth": 2.2, "clip": True},
         "encoding": {**pos(), "order": _q("step"), "color": _optimizer_color(res, True)}},
        {"data": {"name": "minima"},
         "mark": {"type": "point", "shape": _STAR, "filled": True, "size": 260,
                  "color": "#e41a1c", "stroke": "white", "opacity": 1},
         "encoding": {**pos(), "tooltip": [_q("x"), _q("y")]}},
        {"data": {"name": "begin"},
         "mark": {"type": "point", "shape": "circle", "size": 180, "filled": True,
                  "color": "white", "stroke": "black", "opacity": 1, "clip": True},
         "encoding": {**pos(), "tooltip": [_q("x", title="start x"),
                                          _q("y", title="start y")]}},
        {"data": {"name": "heads"},
         "mark": {"type": "point", "filled": True, "size": 140, "stroke": "black",
                  "strokeWidth": 1, "opacity": 1, "clip": True},
         "encoding": {**pos(), "color": _optimizer_color(res, False),
                      "tooltip": [{"field": "optimizer", "type": "nominal"}, _q("step"),
                                  _q("x", format=".4f"), _q("y", format=".4f")]}},
        {"data": {"name": "dead"},
         "mark": {"type": "text", "text": "✕", "fontSize": 26, "color": "#e41a1c",
                  "fontWeight": "bold", "clip": True},
         "encoding": {**pos(), "tooltip": [{"field": "note", "type": "nominal"}]}},
        {"data": {"name": "arrows"}, "mark": {"type": "rule", "strokeWidth": 3, "clip": True},
         "encoding": {**pos(), "x2": {"field": "x2"}, "y2": {"field": "y2"},
                      "color": arrow_color}},
        {"data": {"name": "arrows"},
         "mark": {"type": "point", "shape": "triangle-up", "filled": True, "size": 120,
                  "opacity": 1, "clip": True},
         "encoding": {**pos("x2", "y2"), "angle": {**_q("angle"), "scale": None},
                      "color": {**arrow_color, "legend": None}}},
    ]
    return {
        "width": size, "height": size,
        "autosize": {"type": "pad"},  # the plot stays square; legends go around it
        "datasets": {
            "cells": cells, "contours": lines, "trail": path_frame(res, frame),
            "minima": _table({"x": [m[0] for m in surf.minima],
                              "y": [m[1] for m in surf.minima]}),
            "begin": _table({"x": [float(start[0])], "y": [float(start[1])]}),
            "heads": heads_frame(res, frame), "dead": dead_frame(res, frame), "arrows": arr,
        },
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
    }


def curve_frame(res: RaceResult, what: str) -> pa.Table:
    """f (what='loss') or distance to the nearest minimum (what='distance') per racer
    and step, thinned for drawing, floored at FLOOR for the log axis. Built once per race."""
    memo = res.memo.get(("curve", what))
    if isinstance(memo, pa.Table):
        return memo
    surf = SURFACES[res.surface]
    labels, steps, values = [], [], []
    for i, r in enumerate(res.racers):
        idx = _every(res.steps, res.final_index(i))
        if what == "loss":
            vals = res.losses[idx, i].astype(np.float64)
        else:
            vals = surf.nearest_min_distance(res.paths[idx, i].astype(np.float64))
        labels += [r.label] * len(idx)
        steps.append(idx)
        values.append(np.maximum(vals, FLOOR))
    table = _table({"optimizer": labels, "step": np.concatenate(steps),
                    "value": np.concatenate(values)}, {"optimizer": _S})
    res.memo[("curve", what)] = table
    return table


def curves_spec(res: RaceResult, frame: int, what: str) -> Spec:
    """f or distance to the nearest minimum against step, log scale, with a dashed rule
    at the step shown."""
    title = "f(x, y), log scale" if what == "loss" else "distance to nearest minimum, log scale"
    return {
        "height": 260,
        "datasets": {"curve": curve_frame(res, what), "now": _table({"step": [frame]})},
        "layer": [
            {"data": {"name": "curve"}, "mark": {"type": "line", "strokeWidth": 2},
             "encoding": {
                 "x": _q("step", scale={"domain": [0, res.steps], "nice": False}),
                 "y": _q("value", scale={"type": "log"}, title=title),
                 "color": _optimizer_color(res, True),
                 "tooltip": [{"field": "optimizer", "type": "nominal"}, _q("step"),
                             _q("value", format=".4g")]}},
            {"data": {"name": "now"},
             "mark": {"type": "rule", "color": "gray", "strokeDash": [4, 4]},
             "encoding": {"x": _q("step")}},
        ],
    }
