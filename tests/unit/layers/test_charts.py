"""The Layers page's chart specs: strict JSON with the numbers shown, the shared look."""

from __future__ import annotations

import json

import numpy as np

from ml101 import style
from ml101.layers import charts, demos


def strict(spec: dict) -> dict:
    """The spec as the browser gets it: JSON with no NaN."""
    return json.loads(json.dumps(spec, allow_nan=False))


def test_heatmap_cells_carry_the_numbers_shown() -> None:
    """Padding is null and labelled "pad", every cell present, highlighted cells flagged."""
    w = demos.slide("conv", 3, 1, 1, 1, 0)
    spec = strict(charts.heatmap(w.padded, "in", w.cells))
    cells = spec["layer"][0]["data"]["values"]
    assert len(cells) == 10 * 10 and spec["width"] == 10 * 34
    corner = cells[0]
    assert corner["v"] is None and corner["label"] == "pad" and corner["hi"]
    assert sum(c["hi"] for c in cells) == 9
    inside = next(c for c in cells if c["row"] == 3 and c["col"] == 3)
    assert inside["v"] == float(w.padded[3, 3]) and inside["label"] == f"{w.padded[3, 3]:.2f}"
    assert spec["config"] == style.chart_config()


def test_signed_matrices_use_the_diverging_scheme_centred_on_zero() -> None:
    values = np.array([[-2.0, 0.5], [1.0, 0.0]])
    spec = charts.heatmap(values, "w", signed=True)
    scale = spec["layer"][0]["layer"][0]["encoding"]["color"]["condition"]["scale"]
    assert scale == {"scheme": style.DIVERGING, "domain": [-2.0, 2.0], "domainMid": 0}
    dark = {c["label"]: c["dark"] for c in spec["layer"][0]["data"]["values"]}
    assert dark["-2.00"] and not dark["0.00"]  # white text only on the strong ends
    plain = charts.heatmap(np.ones((2, 2)), "ones")  # one value everywhere: mid-scale
    scale = plain["layer"][0]["layer"][0]["encoding"]["color"]["condition"]["scale"]
    assert scale == {"scheme": style.SEQUENTIAL, "domain": [0.0, 2.0]}


def test_linear_chart_lays_out_the_product() -> None:
    """x, Wᵀ, b and y, every number once, cut to `shown` rows and columns when big."""
    d = demos.linear_demo({"in_features": 10, "out_features": 5, "bias": True}, seed=0)
    spec = strict(charts.linear_chart(d, cell=30))
    cells = spec["layer"][0]["data"]["values"]
    by = {m: [c for c in cells if c["m"] == m] for m in ("x", "Wt", "b", "y")}
    assert [len(by[m]) for m in ("x", "Wt", "b", "y")] == [3 * 10, 10 * 5, 5, 3 * 5]
    first_y = min(by["y"], key=lambda c: (c["y"], c["x"]))
    assert first_y["label"] == f"{d.y[0, 0]:.2f}"
    assert all(-1 <= c["t"] <= 1 for c in cells)
    big = demos.linear_demo({"in_features": 100, "out_features": 30, "bias": False}, 0)
    cut = strict(charts.linear_chart(big, cell=20, shown=12))
    kinds = {c["m"] for c in cut["layer"][0]["data"]["values"]}
    assert kinds == {"x", "Wt", "y"} and len(cut["layer"][0]["data"]["values"]) == (
        3 * 12 + 12 * 12 + 3 * 12)
    titles = " ".join(t["text"] for names in cut["layer"][1:] for t in names["data"]["values"])
    assert "(3, 100)" in titles and "(100, 30)" in titles and "(cut)" in titles


def test_curves_and_statistics_are_json_in_the_palette() -> None:
    curve = demos.activation_curve("Tanh", {})
    spec = strict(charts.activation_chart(curve, "t"))
    act = spec["layer"][0]["data"]["values"]
    assert len(act) == 2 * len(curve) and {r["curve"] for r in act} == {"f(x)", "f'(x)"}
    assert spec["layer"][0]["encoding"]["color"]["scale"]["range"] == list(style.SERIES[:2])
    bn = demos.batchnorm_demo(3, 0.1, True, 5, 0)
    spec = strict(charts.batchnorm_chart(bn))
    assert set(spec["layer"][0]["encoding"]["color"]["scale"]["range"]) <= set(style.SERIES)
    assert spec["config"]["title"]["anchor"] == "start"
    lstm = demos.lstm_demo({"input_size": 3, "hidden_size": 5, "num_layers": 1}, 4, 2, 0)
    trace = strict(charts.lstm_chart(lstm))["layer"][0]["data"]["values"]
    assert len(trace) == 4 * 4
