"""A tensor drawn as a grid of coloured cells with its values written in.

1-D tensors are one row, 2-D tensors a matrix, higher ones their leading 2-D
slices side by side. An optional mask outlines selected cells (slicing).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

MAX_SIDE = 24  # rows/columns drawn; larger tensors show their top-left corner
MAX_SLICES = 4  # leading 2-D slices drawn for 3-D and 4-D tensors
TEXT_LIMIT = 400  # cells beyond this are drawn without their numbers
CELL = 38


def _label(v: float, is_int: bool, is_bool: bool) -> str:
    if is_bool:
        return "T" if v else "F"
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if is_int:
        return str(int(v))
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.1e}"


def grid_frame(t: torch.Tensor, mask: np.ndarray | None = None) -> tuple[pd.DataFrame, str]:
    """Long-format cells (slice, row, col, value, label, selected) and a note on what is cut."""
    arr = t.detach().to(torch.float64).numpy() if t.dtype != torch.bool else t.numpy()
    m = np.zeros(arr.shape, dtype=bool) if mask is None else mask
    notes: list[str] = []
    if arr.ndim <= 2:
        arr2 = arr.reshape((1, -1) if arr.ndim < 2 else arr.shape)
        slices = [("", arr2, m.reshape(arr2.shape))]
    else:
        lead = arr.shape[:-2]
        slices = []
        for flat in range(min(MAX_SLICES, math.prod(lead))):
            pos = np.unravel_index(flat, lead)
            name = "[" + ", ".join(map(str, pos)) + ", :, :]"
            slices.append((name, arr[pos], m[pos]))
        if math.prod(lead) > MAX_SLICES:
            notes.append(f"showing the first {MAX_SLICES} of {math.prod(lead)} 2-D slices")
    rows, cols = slices[0][1].shape
    if rows > MAX_SIDE or cols > MAX_SIDE:
        notes.append(f"showing the top-left {min(rows, MAX_SIDE)} × {min(cols, MAX_SIDE)} "
                     f"corner of each {rows} × {cols} grid")
    is_bool, is_int = t.dtype == torch.bool, not t.is_floating_point()
    records = []
    for name, a2, m2 in slices:
        a2, m2 = a2[:MAX_SIDE, :MAX_SIDE], m2[:MAX_SIDE, :MAX_SIDE]
        for (r, c), v in np.ndenumerate(a2):
            fv = float(v)
            records.append((name, r, c, fv if math.isfinite(fv) else None,
                            _label(fv, is_int, is_bool), bool(m2[r, c])))
    df = pd.DataFrame.from_records(
        records, columns=["slice", "row", "col", "value", "label", "selected"])
    return df, "; ".join(notes)


def heatmap(t: torch.Tensor, mask: np.ndarray | None = None, title: str = "") -> dict:
    """The grid as a Vega-Lite spec (the grammar Altair emits, built directly because
    Altair's validation costs ~70 ms per chart): colour by value, numbers written in,
    selected cells outlined in orange."""
    df, _ = grid_frame(t, mask)
    rows = int(df["row"].max()) + 1 if len(df) else 1
    cols = int(df["col"].max()) + 1 if len(df) else 1
    enc = {
        "x": {"field": "col", "type": "ordinal", "axis": {"labelAngle": 0},
              "title": "column (last axis)" if t.ndim >= 2 else "index"},
        "y": {"field": "row", "type": "ordinal",
              "title": "row" if t.ndim >= 2 else None,
              "axis": {"labels": t.ndim >= 2, "ticks": t.ndim >= 2}},
    }
    layers: list[dict] = [{
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
        "encoding": {**enc,
                     "color": {"field": "value", "type": "quantitative",
                               "scale": {"scheme": "blues"}, "legend": None},
                     "tooltip": [{"field": "row", "type": "ordinal"},
                                 {"field": "col", "type": "ordinal"},
                                 {"field": "label", "type": "nominal", "title": "value"}]},
    }]
    if mask is not None:
        layers.append({
            "transform": [{"filter": "datum.selected"}],
            "mark": {"type": "rect", "fill": None, "stroke": "#e4572e", "strokeWidth": 4},
            "encoding": enc,
        })
    n_slices = max(1, df["slice"].nunique())
    if len(df) <= TEXT_LIMIT * n_slices:
        finite = df["value"].dropna()
        mid = (finite.min() + finite.max()) / 2 if len(finite) else 0.0
        layers.append({
            "mark": {"type": "text", "fontSize": 13, "fontWeight": "bold"},
            "encoding": {**enc, "text": {"field": "label", "type": "nominal"},
                         "color": {"condition": {"test": f"datum.value > {mid!r}",
                                                 "value": "white"},
                                   "value": "black"}},
        })
    size = {"width": min(cols * CELL, 900), "height": rows * CELL}
    data = {"values": df.to_dict(orient="records")}
    spec: dict = {"data": data}
    if n_slices > 1:
        spec |= {"facet": {"column": {"field": "slice", "type": "nominal", "title": None,
                                      "sort": None}},
                 "spec": {"layer": layers, **size}}
    else:
        spec |= {"layer": layers, **size}
    if title:
        spec["title"] = title
    return spec
