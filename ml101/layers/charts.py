"""Chart specs for the Layers page: matrices with their numbers, curves, statistics.

Plain Vega-Lite dicts (the grammar Altair emits, built directly: Altair's validation and
to_dict cost ~100 ms per chart, more than a whole rerun's budget). Data sits inline as
records, so Streamlit sends it as JSON with no Arrow trip. Colours and type sizes come
from `ml101.style`: signed numbers (weights, kernels, logits) on the diverging scheme,
magnitudes on the sequential one, series in the shared palette.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ml101 import style
from ml101.inputs import fmt_shape
from ml101.layers.demos import BatchNormDemo, LinearDemo, LSTMDemo

TOP_LEGEND = {"orient": "top", "title": None}
PAD_FILL = "#eeeeee"  # padding cells: no number, only the word "pad"
GRID_STROKE = "#9a9a9a"
DARK_SHARE = 0.55  # a cell this far towards a scheme's dark end gets white text
CHAR_EM = 0.6  # a bold label's character, as a share of its font size (for spacing)


def _num(v: float) -> float | None:
    """A JSON-safe number: NaN and infinities become null (JSON has no NaN)."""
    f = float(v)
    return f if np.isfinite(f) else None


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain-Python dicts (json.dumps refuses NumPy scalars, and NaN is not JSON)."""
    cols = {c: df[c].tolist() for c in df.columns}
    return [{c: (_num(v) if isinstance(v, float) else v) for c, v in zip(cols, row,
                                                                          strict=True)}
            for row in zip(*cols.values(), strict=True)]


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "config": style.chart_config()}


# A chart drawn as wide as its column: the width fits, the height is the plot's own (the
# default "fit" would squeeze title, legend and axes into the given height).
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def _domain(values: np.ndarray, signed: bool) -> list[float]:
    """The colour domain: symmetric about 0 for signed numbers, never empty."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [-1.0, 1.0] if signed else [0.0, 1.0]
    if signed:
        m = float(np.abs(finite).max()) or 1.0
        return [-m, m]
    lo, hi = float(finite.min()), float(finite.max())
    if hi > lo:
        return [lo, hi]
    pad = abs(lo) or 1.0  # one value everywhere: put it mid-scale
    return [lo - pad, lo + pad]


def _dark(v: float, domain: list[float], signed: bool) -> bool:
    """Whether a cell's colour is dark enough to need white text: the ends of the
    diverging scheme, the low end of viridis."""
    lo, hi = domain
    if not np.isfinite(v):
        return False
    if signed:
        return abs(v) / hi > DARK_SHARE
    return (v - lo) / (hi - lo) < DARK_SHARE


def _font(cell: int) -> int:
    """Numbers inside cells: as large as a cell of this size holds "-0.00"."""
    return max(9, min(14, round(cell / 3)))


def heatmap(values: np.ndarray, title: str, highlight: list[tuple[int, int]] | None = None,
            signed: bool = False, cell: int = 34, fmt: str = ".2f",
            domain: list[float] | None = None) -> dict[str, Any]:
    """A matrix as coloured cells with their values; highlighted cells get a frame in the
    highlight colour. NaN cells (padding) are drawn pale grey and labelled "pad"."""
    marked = set(highlight or [])
    h, w = values.shape
    dom = domain or _domain(values, signed)
    cells = [{"row": r, "col": c, "v": _num(v),
              "label": "pad" if np.isnan(v) else format(v, fmt), "hi": (r, c) in marked,
              "dark": _dark(v, dom, signed)}
             for (r, c), v in zip(np.ndindex(h, w), values.ravel().tolist(), strict=True)]
    xy = {"x": {"field": "col", "type": "ordinal", "axis": None},
          "y": {"field": "row", "type": "ordinal", "axis": None}}
    scale = ({"scheme": style.DIVERGING, "domain": dom, "domainMid": 0} if signed
             else {"scheme": style.SEQUENTIAL, "domain": dom})
    rect = {"mark": {"type": "rect", "stroke": GRID_STROKE, "strokeWidth": 0.5}, "encoding": {
        **xy,
        "color": {"condition": {"test": "isValid(datum.v)", "field": "v",
                                "type": "quantitative", "scale": scale, "legend": None},
                  "value": PAD_FILL},
        "tooltip": [{"field": "row", "type": "ordinal"}, {"field": "col", "type": "ordinal"},
                    {"field": "v", "type": "quantitative", "format": ".4f"}]}}
    frame = {"transform": [{"filter": "datum.hi"}],
             "mark": {"type": "rect", "fill": None, "stroke": style.HIGHLIGHT,
                      "strokeWidth": 3},
             "encoding": xy}
    text = {"mark": {"type": "text", "fontSize": _font(cell)}, "encoding": {
        **xy, "text": {"field": "label", "type": "nominal"},
        "color": {"condition": {"test": "datum.dark", "value": "white"}, "value": "black"}}}
    return _spec({"title": title, "width": w * cell, "height": h * cell,
                  "layer": [{"data": {"values": cells}, "layer": [rect, frame, text]}]})


def linear_chart(demo: LinearDemo, cell: int = 34, shown: int = 12) -> dict[str, Any]:
    """y = x Wᵀ + b laid out as a matrix product: x on the left, Wᵀ above y, the bias
    between them, so each number of y sits in x's row and Wᵀ's column. Each matrix is
    coloured on its own symmetric scale (inputs and weights differ in size); at most
    `shown` rows and columns of each are drawn."""
    x, wt, y = demo.x[:, :shown], demo.weight.T[:shown, :shown], demo.y[:, :shown]
    n_in, n_out = x.shape[1], wt.shape[1]
    cut = " (cut)" if max(demo.weight.shape) > shown else ""
    x_name = f"x {fmt_shape(demo.x.shape)}{cut}"
    y_name = (f"y = x Wᵀ{' + b' if demo.bias is not None else ''} "
              f"{fmt_shape(demo.y.shape)}{cut}")
    font = max(style.FONT["title"], round(cell * 0.4))
    # x's and y's names share the bottom row: a small layer gets blank columns on the left
    room = math.ceil((len(x_name) + len(y_name) + 3) * CHAR_EM * font / cell)
    left = max(0, room - (n_in + 1 + n_out))
    right = left + n_in + 1  # where Wᵀ, b and y start
    blocks: list[tuple[str, np.ndarray, int, int]] = [
        ("x", x, left, wt.shape[0] + 2), ("Wt", wt, right, 0), ("y", y, right,
                                                                wt.shape[0] + 2)]
    if demo.bias is not None:
        blocks.append(("b", demo.bias[None, :shown], right, wt.shape[0] + 1))
    cells = []
    for name, m, c0, r0 in blocks:
        dom = _domain(m, signed=True)
        for (r, c), v in zip(np.ndindex(*m.shape), m.ravel().tolist(), strict=True):
            cells.append({"m": name, "x": c0 + c, "y": r0 + r, "v": _num(v), "t": v / dom[1],
                          "label": f"{v:.2f}", "dark": _dark(v, dom, True)})
    width_cells, height_cells = right + n_out, wt.shape[0] + 2 + y.shape[0] + 1
    bottom = height_cells - 0.5  # the row under x and y
    labels = [  # x's name under it from the left edge, Wᵀ's and y's ending at the right
        {"x": 0, "y": bottom, "align": "left", "text": x_name},
        {"x": width_cells, "y": -0.5, "align": "right",
         "text": f"Wᵀ = layer.weight.T {fmt_shape(demo.weight.T.shape)}{cut}"},
        {"x": width_cells, "y": bottom, "align": "right", "text": y_name},
    ]
    if demo.bias is not None:
        labels.append({"x": right - 0.5, "y": wt.shape[0] + 1.5, "align": "center",
                       "text": "b"})
    pos = {"x": {"field": "x", "type": "quantitative", "axis": None,
                 "scale": {"domain": [0, width_cells], "nice": False, "zero": False}},
           "x2": {"field": "x2"},
           "y": {"field": "y", "type": "quantitative", "axis": None,
                 "scale": {"domain": [-1, height_cells], "nice": False, "zero": False,
                           "reverse": True}},
           "y2": {"field": "y2"}}
    rect = {"transform": [{"calculate": "datum.x + 1", "as": "x2"},
                          {"calculate": "datum.y + 1", "as": "y2"}],
            "mark": {"type": "rect", "stroke": GRID_STROKE, "strokeWidth": 0.5},
            "encoding": {**pos,
                         "color": {"field": "t", "type": "quantitative", "legend": None,
                                   "scale": {"scheme": style.DIVERGING, "domain": [-1, 1]}},
                         "tooltip": [{"field": "m", "type": "nominal", "title": "matrix"},
                                     {"field": "v", "type": "quantitative", "format": ".4f",
                                      "title": "value"}]}}
    centre = {"transform": [{"calculate": "datum.x + 0.5", "as": "cx"},
                            {"calculate": "datum.y + 0.5", "as": "cy"}],
              "mark": {"type": "text", "fontSize": _font(cell)},
              "encoding": {"x": {"field": "cx", "type": "quantitative"},
                           "y": {"field": "cy", "type": "quantitative"},
                           "text": {"field": "label", "type": "nominal"},
                           "color": {"condition": {"test": "datum.dark", "value": "white"},
                                     "value": "black"}}}
    names = [{"data": {"values": [lab for lab in labels if lab["align"] == side]},
              "mark": {"type": "text", "fontSize": font, "fontWeight": "bold",
                       "baseline": "middle", "align": side},
              "encoding": {"x": {"field": "x", "type": "quantitative"},
                           "y": {"field": "y", "type": "quantitative"},
                           "text": {"field": "text", "type": "nominal"}}}
             for side in ("left", "right", "center")]
    return _spec({"width": width_cells * cell, "height": (height_cells + 1) * cell,
                  "layer": [{"data": {"values": cells}, "layer": [rect, centre]}, *names]})


def activation_chart(curve: pd.DataFrame, title: str, height: int = 300) -> dict[str, Any]:
    """f and f' as two lines, as a Vega-Lite spec."""
    long = curve.melt("x", var_name="curve", value_name="y")
    return _spec({"title": title, "height": height, "autosize": FIT_WIDTH, "layer": [{
        "data": {"values": _records(long)},
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {
            "x": {"field": "x", "type": "quantitative"},
            "y": {"field": "y", "type": "quantitative", "title": None},
            "color": {"field": "curve", "type": "nominal",
                      "scale": {"range": list(style.SERIES[:2])}, "legend": TOP_LEGEND},
            "strokeDash": {"field": "curve", "type": "nominal", "legend": None},
            "tooltip": [{"field": "x", "type": "quantitative"},
                        {"field": "curve", "type": "nominal"},
                        {"field": "y", "type": "quantitative", "format": ".4f"}]}}]})


BN_STATS = ("batch mean", "running_mean", "batch variance", "running_var")


def batchnorm_chart(demo: BatchNormDemo, feature: int = 0, height: int = 280
                    ) -> dict[str, Any]:
    """Batch and running statistics per step, dashed batch lines, grey true values.
    One record per step, folded into one line per statistic in the browser."""
    names = list(BN_STATS)
    df = demo.history[demo.history["feature"] == feature][["step", *names]]
    lines = {"data": {"values": _records(df)},
             "transform": [{"fold": names, "as": ["statistic", "value"]}],
             "mark": {"type": "line", "point": True},
             "encoding": {
                 "x": {"field": "step", "type": "quantitative", "title": "training batch"},
                 "y": {"field": "value", "type": "quantitative", "title": None},
                 # one legend for colour and dash: batch statistics dashed, running solid
                 "color": {"field": "statistic", "type": "nominal",
                           "legend": {**TOP_LEGEND, "symbolType": "stroke"},
                           "scale": {"domain": names, "range": [style.SERIES[0],
                                                                style.SERIES[0],
                                                                style.SERIES[1],
                                                                style.SERIES[1]]}},
                 "strokeDash": {"field": "statistic", "type": "nominal",
                                "scale": {"domain": names,
                                          "range": [[4, 3], [1, 0], [4, 3], [1, 0]]}},
                 "tooltip": [{"field": "step", "type": "quantitative"},
                             {"field": "statistic", "type": "nominal"},
                             {"field": "value", "type": "quantitative", "format": ".4f"}]}}
    rules = {"data": {"values": [{"value": demo.data_mean, "label": "true mean"},
                                 {"value": demo.data_std**2, "label": "true variance"}]},
             "mark": {"type": "rule", "color": style.MUTED, "strokeDash": [2, 2]},
             "encoding": {"y": {"field": "value", "type": "quantitative"}}}
    return _spec({"title": f"Feature {feature}: batch statistics and running estimates",
                  "height": height, "autosize": FIT_WIDTH, "layer": [lines, rules]})


def lstm_chart(demo: LSTMDemo, height: int = 260) -> dict[str, Any]:
    """A few hidden units of the top layer over time, as a Vega-Lite spec."""
    return _spec({"title": "Top layer's hidden state over time (sample 0)", "height": height,
                  "autosize": FIT_WIDTH, "layer": [{"data": {"values": _records(demo.trace)},
                             "mark": {"type": "line", "point": True}, "encoding": {
                      "x": {"field": "t", "type": "ordinal", "title": "time step t",
                            "axis": {"labelAngle": 0}},
                      "y": {"field": "value", "type": "quantitative", "title": None},
                      "color": {"field": "unit", "type": "nominal", "legend": TOP_LEGEND,
                                "scale": {"range": list(style.SERIES)}},
                      "tooltip": [{"field": "t", "type": "ordinal"},
                                  {"field": "unit", "type": "nominal"},
                                  {"field": "value", "type": "quantitative",
                                   "format": ".4f"}]}}]})
