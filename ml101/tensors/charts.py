"""A tensor drawn as a grid of coloured cells with its values written in.

1-D tensors are one row, 2-D tensors a matrix, higher ones their leading 2-D
slices side by side. An optional mask outlines selected cells (slicing).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ml101 import style

MAX_SIDE = 24  # rows/columns drawn; larger tensors show their top-left corner
MAX_SLICES = 4  # leading 2-D slices drawn for 3-D and 4-D tensors
TEXT_LIMIT = 400  # cells beyond this are drawn without their numbers
CELL = 38  # px per cell; a projector passes a larger one


def _label(v: float) -> str:
    """A float as a short, honest label: 3 significant digits (the tooltip and print()
    below the grid give the full value)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.1e}"


def grid_note(shape: tuple[int, ...]) -> str:
    """What the drawing leaves out for a tensor of this shape ("" when nothing)."""
    notes = []
    lead = math.prod(shape[:-2]) if len(shape) > 2 else 1
    if lead > MAX_SLICES:
        notes.append(f"showing the first {MAX_SLICES} of {lead} 2-D slices")
    rows, cols = (shape[-2], shape[-1]) if len(shape) >= 2 else (1, shape[0] if shape else 1)
    if rows > MAX_SIDE or cols > MAX_SIDE:
        notes.append(f"showing the top-left {min(rows, MAX_SIDE)} × {min(cols, MAX_SIDE)} "
                     f"corner of each {rows} × {cols} grid")
    return "; ".join(notes)


def cell_px(shape: tuple[int, ...], width: int, largest: int) -> int:
    """Cell size for a tensor drawn in `width` pixels: a few cells grow up to `largest`, so
    a 2 x 2 tensor fills its picture; many never shrink below CELL (the labels must fit)."""
    cols = min(shape[-1] if shape else 1, MAX_SIDE)
    return max(CELL, min(largest, width // max(cols, 1)))


def grid_cells(t: torch.Tensor, mask: np.ndarray | None = None) -> list[dict]:
    """One record per drawn cell: slice, row, col, value (colour), label (exact), selected."""
    t = t.detach()
    exact = t.numpy()  # labels come from the real dtype: int64 beyond 2**53 stays exact
    m = np.zeros(exact.shape, dtype=bool) if mask is None else mask
    if exact.ndim <= 2:
        shape2 = (1, -1) if exact.ndim < 2 else exact.shape
        slices = [("", exact.reshape(shape2), m.reshape(shape2))]
    else:
        lead = exact.shape[:-2]
        slices = []
        for flat in range(min(MAX_SLICES, math.prod(lead))):
            pos = np.unravel_index(flat, lead)
            name = "[" + ", ".join(map(str, pos)) + ", :, :]"
            slices.append((name, exact[pos], m[pos]))
    is_bool, is_int = t.dtype == torch.bool, not t.is_floating_point()
    records = []
    for name, a2, m2 in slices:
        a2, m2 = a2[:MAX_SIDE, :MAX_SIDE], m2[:MAX_SIDE, :MAX_SIDE]
        for (r, c), v in zip(np.ndindex(a2.shape), a2.ravel().tolist(), strict=True):
            fv = float(v)
            label = ("T" if v else "F") if is_bool else str(v) if is_int else _label(fv)
            records.append({"slice": name, "row": r, "col": c,
                            "value": fv if math.isfinite(fv) else None, "label": label,
                            "selected": bool(m2[r, c])})
    return records


def heatmap(t: torch.Tensor, mask: np.ndarray | None = None, title: str = "",
            cell: int = CELL) -> dict:
    """The grid as a Vega-Lite spec (the grammar Altair emits, built directly because
    Altair's validation costs ~70 ms per chart): colour by value (the app's sequential
    scheme, dark for small values), numbers written in, selected cells outlined."""
    cells = grid_cells(t, mask)
    rows = max((c["row"] for c in cells), default=0) + 1
    cols = max((c["col"] for c in cells), default=0) + 1
    # axis type grows with the cells, so a projector's large grid is labelled to match
    font = {"labelFontSize": max(style.FONT["label"], round(cell * 0.24)),
            "titleFontSize": max(style.FONT["title"], round(cell * 0.26))}
    enc = {
        "x": {"field": "col", "type": "ordinal", "axis": {"labelAngle": 0, **font},
              "title": "column (last axis)" if t.ndim >= 2 else "index"},
        "y": {"field": "row", "type": "ordinal",
              "title": "row" if t.ndim >= 2 else None,
              "axis": {"labels": t.ndim >= 2, "ticks": t.ndim >= 2, **font}},
    }
    finite = [c["value"] for c in cells if c["value"] is not None]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 0.0)
    # one value everywhere (zeros, ones): the scheme's middle, not its darkest end
    domain = [lo, hi] if lo < hi else [lo - 1, lo + 1]
    layers: list[dict] = [{
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
        "encoding": {**enc,
                     "color": {"field": "value", "type": "quantitative",
                               "scale": {"scheme": style.SEQUENTIAL, "domain": domain},
                               "legend": None},
                     "tooltip": [{"field": "row", "type": "ordinal"},
                                 {"field": "col", "type": "ordinal"},
                                 {"field": "label", "type": "nominal", "title": "value"}]},
    }]
    if mask is not None:
        layers.append({
            "transform": [{"filter": "datum.selected"}],
            "mark": {"type": "rect", "fill": None, "stroke": style.HIGHLIGHT,
                     "strokeWidth": 4},
            "encoding": enc,
        })
    n_slices = len({c["slice"] for c in cells}) or 1
    if len(cells) <= TEXT_LIMIT * n_slices:
        mid = (domain[0] + domain[1]) / 2
        layers.append({
            "mark": {"type": "text", "fontSize": round(cell * 0.34), "fontWeight": "bold"},
            "encoding": {**enc, "text": {"field": "label", "type": "nominal"},
                         # the scheme is dark below the middle, light above it
                         "color": {"condition": {"test": f"datum.value < {mid!r}",
                                                 "value": "white"},
                                   "value": "black"}},
        })
    size = {"width": min(cols * cell, 900), "height": rows * cell}
    data = {"values": cells}
    # "pad": the cells keep their size and the axes are added around them (Streamlit's
    # default autosize would squeeze a small grid's cells to make room for the axes)
    spec: dict = {"autosize": {"type": "pad"}, "config": style.chart_config()}
    if n_slices > 1:
        spec |= {"data": data,
                 "facet": {"column": {"field": "slice", "type": "nominal", "title": None,
                                      "sort": None}},
                 "spec": {"layer": layers, **size}}
    else:  # data inside a nested layer: Streamlit sends it as JSON, skipping an Arrow trip
        spec |= {"layer": [{"data": data, "layer": layers}], **size}
    if title:
        spec["title"] = title
    return spec
