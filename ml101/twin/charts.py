"""Chart specs for NumPy vs PyTorch: both loss curves, both decision maps, hidden units.

Plain Vega-Lite dicts (the grammar Altair emits, built directly: Altair's to_dict costs
~100 ms per chart), data inline and compact: Streamlit serialises the spec to JSON on
every rerun. Colours and type sizes come from `ml101.style`: NumPy is the first series
colour, PyTorch the second, decision regions the pale `REGIONS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ml101 import style
from ml101.twin.pair import Outcome, TwinRun

NETWORKS = ("NumPy (by hand)", "PyTorch")
OVERLAP = 1.25  # map cells overlap their neighbours a little: no anti-aliasing seams
ZERO_AT = 1e-18  # exact zeros on the log axis of differences are drawn here
MAX_POINTS = 300  # per loss curve


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "config": style.chart_config()}


def loss_chart(run: TwinRun, height: int = 130, diff_height: int = 55) -> dict[str, Any]:
    """Both loss curves (they overlap) above the per-step difference on a log scale, one
    record per step (a few hundred at most), unfolded in the browser."""
    n = len(run.losses_np)
    stride = max(1, n // MAX_POINTS)  # a few hundred points draw the same picture
    steps = np.arange(0, n, stride)
    # losses to the tooltip's 10 decimals, differences to 3 digits: half the JSON to send
    curves = [{"step": s, "np": a, "pt": b} for s, a, b in zip(
        steps.tolist(), np.round(run.losses_np[steps], 10).tolist(),
        np.round(run.losses_torch[steps], 10).tolist(), strict=True)]
    diff = [{"step": s, "d": float(f"{v:.3g}")} for s, v in zip(
        steps.tolist(), np.maximum(run.loss_diff[steps], ZERO_AT).tolist(), strict=True)]
    step_x = {"field": "step", "type": "quantitative", "title": None}
    # short field names travel; the browser folds them into one line per network
    top = {"title": "Training loss of both networks", "height": height,
           "data": {"values": curves},
           "transform": [{"fold": ["np", "pt"], "as": ["key", "loss"]},
                         {"calculate": f"datum.key == 'np' ? '{NETWORKS[0]}' : '{NETWORKS[1]}'",
                          "as": "network"}],
           "mark": "line", "encoding": {
               "x": {**step_x, "axis": {"labels": False}},
               "y": {"field": "loss", "type": "quantitative", "title": "BCE loss"},
               "color": {"field": "network", "type": "nominal",
                         "scale": {"domain": list(NETWORKS), "range": list(style.SERIES[:2])},
                         "legend": {"orient": "bottom", "title": None,
                                    "symbolType": "stroke"}},
               "strokeDash": {"field": "network", "type": "nominal",
                              "scale": {"domain": list(NETWORKS), "range": [[1, 0], [5, 4]]},
                              "legend": None},
               "strokeWidth": {"field": "network", "type": "nominal",
                               "scale": {"domain": list(NETWORKS), "range": [5, 2]},
                               "legend": None},
               "tooltip": [{"field": "step", "type": "quantitative"},
                           {"field": "network", "type": "nominal"},
                           {"field": "loss", "type": "quantitative", "format": ".10f"}]}}
    below = {"title": {"text": "|NumPy loss − PyTorch loss| per step",
                       "subtitle": "log scale; exact zeros drawn at 1e-18"},
             "height": diff_height, "data": {"values": diff},
             "mark": {"type": "line", "color": style.HIGHLIGHT}, "encoding": {
                 "x": step_x, "y": {"field": "d", "type": "quantitative",
                                    "title": None, "scale": {"type": "log"},
                                    "axis": {"format": ".0e", "tickCount": 3}},
                 "tooltip": [{"field": "step", "type": "quantitative"},
                             {"field": "d", "type": "quantitative", "title": "|difference|",
                              "format": ".3e"}]}}
    return _spec({"vconcat": [top, below], "resolve": {"scale": {"x": "shared"}},
                  "spacing": 6})


def boundary_chart(grid: pd.DataFrame, X: torch.Tensor, y: torch.Tensor, which: str,
                   size: int = 170, legend: bool = True) -> dict[str, Any]:
    """One network's P(class 1) as a map under the data points, as a Vega-Lite spec.

    The grid goes as a bare list of probabilities (rounded to 3 decimals: they only pick a
    colour); the browser rebuilds each cell's position from its index, which keeps the
    JSON Streamlit writes on every rerun about 4x smaller than one record per cell."""
    res = round(len(grid) ** 0.5)
    x0, x1 = float(grid["x1"].iloc[0]), float(grid["x1"].iloc[res - 1])
    y0, y1 = float(grid["x2"].iloc[0]), float(grid["x2"].iloc[-1])
    dx, dy = (x1 - x0) / (res - 1), (y1 - y0) / (res - 1)
    probs = np.round(grid[which].to_numpy(dtype=float), 3).tolist()
    dots = [{"x1": a, "x2": b, "class": str(int(c))} for a, b, c in zip(
        X[:, 0].tolist(), X[:, 1].tolist(), y[:, 0].tolist(), strict=True)]
    col, row = f"((datum.i - 1) % {res})", f"floor((datum.i - 1) / {res})"
    heat = {"data": {"values": probs},  # Vega-Lite wraps each number as {"data": p}
            "transform": [
                {"window": [{"op": "row_number", "as": "i"}]},
                {"calculate": f"{x0!r} + ({col} - 0.5) * {dx!r}", "as": "left"},
                {"calculate": f"datum.left + {dx * OVERLAP!r}", "as": "right"},
                {"calculate": f"{y0!r} + ({row} - 0.5) * {dy!r}", "as": "bottom"},
                {"calculate": f"datum.bottom + {dy * OVERLAP!r}", "as": "top"}],
            "mark": {"type": "rect"}, "encoding": {
                "x": {"field": "left", "type": "quantitative", "title": "x₁",
                      "scale": {"zero": False, "nice": False}},
                "x2": {"field": "right"},
                "y": {"field": "bottom", "type": "quantitative", "title": "x₂",
                      "scale": {"zero": False, "nice": False}},
                "y2": {"field": "top"},
                "color": {"field": "data", "type": "quantitative", "title": "P(class 1)",
                          "scale": {"domain": [0, 0.5, 1], "range": list(style.REGIONS)},
                          "legend": {"orient": "right", "gradientLength": size,
                                     "values": [0, 0.5, 1], "format": ".1f"}
                          if legend else None},
                "tooltip": [{"field": "data", "type": "quantitative", "title": "P(class 1)",
                             "format": ".3f"}]}}
    points = {"data": {"values": dots},
              "mark": {"type": "point", "filled": True, "size": 60, "stroke": "black",
                       "strokeWidth": 0.6},
              "encoding": {"x": {"field": "x1", "type": "quantitative"},
                           "y": {"field": "x2", "type": "quantitative"},
                           "color": {"field": "class", "type": "nominal", "legend": None,
                                     "scale": {"domain": ["0", "1"],
                                               "range": list(style.SERIES[:2])}},
                           # a shape per class too: colour is never the only cue
                           "shape": {"field": "class", "type": "nominal", "legend": None,
                                     "scale": {"domain": ["0", "1"],
                                               "range": ["circle", "square"]}},
                           "tooltip": [{"field": "x1", "type": "quantitative", "format": ".3f"},
                                       {"field": "x2", "type": "quantitative", "format": ".3f"},
                                       {"field": "class", "type": "nominal"}]}}
    return _spec({"title": which, "height": size, "width": size, "layer": [heat, points],
                  "autosize": {"type": "pad"},  # the plot is size x size, legend outside
                  "resolve": {"scale": {"color": "independent"}}})  # P(class 1) vs classes


def units_chart(out: Outcome, height: int = 160) -> dict[str, Any]:
    """Per hidden unit: the share of training points it is on for, before the first step
    and after the last; a unit at 0% is dead (drawn as a marked zero)."""
    rows = out.activity.to_dict("records")
    bars = {"mark": {"type": "bar"}, "encoding": {
        "x": {"field": "unit", "type": "nominal", "title": "hidden unit", "sort": None,
              "axis": {"labelAngle": 0}},
        "xOffset": {"field": "when", "type": "nominal", "sort": ["start", "end"]},
        "y": {"field": "share on", "type": "quantitative", "title": "points where on",
              "axis": {"format": ".0%"}, "scale": {"domain": [0, 1]}},
        "color": {"field": "when", "type": "nominal", "title": None,
                  "scale": {"domain": ["start", "end"],
                            "range": [style.MUTED, style.SERIES[0]]},
                  "legend": {"orient": "top", "labelExpr":
                             "datum.label == 'start' ? 'before training' : 'after training'"}},
        "tooltip": [{"field": "unit", "type": "nominal"}, {"field": "when", "type": "nominal"},
                    {"field": "share on", "type": "quantitative", "format": ".0%"}]}}
    dead = {"transform": [{"filter": "datum['share on'] == 0"}],
            "mark": {"type": "text", "text": "dead", "dy": -8, "color": style.HIGHLIGHT,
                     "fontWeight": "bold"},
            "encoding": {"x": {"field": "unit", "type": "nominal", "sort": None},
                         "xOffset": {"field": "when", "type": "nominal",
                                     "sort": ["start", "end"]},
                         "y": {"field": "share on", "type": "quantitative"}}}
    return _spec({"title": "Hidden units: on (output above 0) for how many training points?",
                  "height": height, "data": {"values": rows}, "layer": [bars, dead],
                  "autosize": {"type": "fit-x", "contains": "padding"}})
