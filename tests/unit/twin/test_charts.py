"""The NumPy vs PyTorch chart specs: strict JSON, the page's numbers, the shared look."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from ml101 import style
from ml101.twin import charts, pair


def strict(spec: dict) -> dict:
    return json.loads(json.dumps(spec, allow_nan=False))


def test_charts_are_json_and_the_map_cells_land_on_the_grid() -> None:
    """The specs Streamlit sends: strict JSON, losses exact, and each map cell starting
    half a cell before its grid point and a quarter wider than the spacing (so cells
    overlap, leaving no seams) when the browser rebuilds it from the cell's index."""
    s = pair.setup("moons", 60, 0.1, (2, 5, 1), "tanh", 900, 0.3, 1)
    X, y = pair.load_data(s)
    r = pair.train_side_by_side(s, X, y)
    loss = strict(charts.loss_chart(r))
    top, below = loss["vconcat"]
    assert len(top["data"]["values"]) == len(below["data"]["values"]) == 300  # stride 3
    assert top["data"]["values"][-1]["pt"] == pytest.approx(r.losses_torch[897], abs=1e-10)
    assert top["data"]["values"][-1]["step"] == 897
    assert top["encoding"]["color"]["scale"]["range"] == list(style.SERIES[:2])
    assert loss["config"]["title"]["anchor"] == "start"
    grid = pair.boundary_grid(r, X)
    spec = strict(charts.boundary_chart(grid, X, y, "NumPy"))
    heat, dots = spec["layer"]
    assert heat["encoding"]["color"]["scale"]["range"] == list(style.REGIONS)
    assert dots["encoding"]["color"]["scale"]["range"] == list(style.SERIES[:2])
    probs = heat["data"]["values"]
    assert len(probs) == pair.BOUNDARY_RES**2 and len(dots["data"]["values"]) == len(X)
    assert max(abs(p - q) for p, q in zip(probs, grid["NumPy"], strict=True)) <= 5e-4
    dx, dy = grid["x1"][1] - grid["x1"][0], grid["x2"][len(probs) - 1] - grid["x2"][0]
    dy /= pair.BOUNDARY_RES - 1
    calc = {t["as"]: t["calculate"] for t in heat["transform"] if "calculate" in t}
    for i in (1, 2, 51, len(probs)):  # row_number counts from 1
        env = {"datum": SimpleNamespace(i=i), "floor": math.floor}
        left = eval(calc["left"], env)  # noqa: S307 (a spec built by the code under test)
        env["datum"].left = left
        bottom = eval(calc["bottom"], env)  # noqa: S307
        env["datum"].bottom = bottom
        right, top_ = eval(calc["right"], env), eval(calc["top"], env)  # noqa: S307
        assert left + dx / 2 == pytest.approx(grid["x1"][i - 1])
        assert bottom + dy / 2 == pytest.approx(grid["x2"][i - 1])
        assert (right - left, top_ - bottom) == pytest.approx((1.25 * dx, 1.25 * dy))


def test_units_chart_marks_the_dead() -> None:
    s = pair.setup("xor", 4, 0.0, (2, 4, 1), "relu", 2000, 0.5, 1)
    X, y = pair.load_data(s)
    out = pair.outcome(pair.train_side_by_side(s, X, y), X, y)
    spec = strict(charts.units_chart(out))
    rows = spec["data"]["values"]
    assert len(rows) == 8 and {r["when"] for r in rows} == {"start", "end"}
    dead = [r for r in rows if r["share on"] == 0]
    assert {(r["unit"], r["when"]) for r in dead} == {("2", "start"), ("1", "end"),
                                                      ("2", "end"), ("4", "end")}
    assert spec["layer"][1]["transform"] == [{"filter": "datum['share on'] == 0"}]
