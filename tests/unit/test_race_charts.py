"""The race's Vega-Lite specs: what is drawn, thinning, and a spec that holds still."""

from __future__ import annotations

import json

import numpy as np

from ml101.optim.charts import (
    CLICK,
    MAX_POINTS,
    arrows,
    contour_spec,
    curves_spec,
    surface_frames,
)
from ml101.optim.race import make_racer, race

RACERS = (make_racer("sgd", 1.0), make_racer("momentum", 0.001), make_racer("adam", 0.01))


def _res(steps: int = 2000):
    return race("rosenbrock", RACERS, (-1.0, 1.0), steps)


def _without_data(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def test_spec_is_the_same_for_every_frame_so_the_browser_only_swaps_data() -> None:
    res = _res()
    assert _without_data(contour_spec(res, 10, (-1, 1), 1)) == \
        _without_data(contour_spec(res, 1500, (-1, 1), 1))
    assert _without_data(curves_spec(res, 10, "loss")) == \
        _without_data(curves_spec(res, 1500, "loss"))


def test_map_draws_thinned_paths_true_heads_and_the_divergence() -> None:
    res = _res()
    k = res.diverged_at[0]
    assert k is not None and res.diverged_at[1] is None
    data = contour_spec(res, 1500, (-1, 1), 1)["datasets"]
    trail = data["trail"].to_pandas()
    for label, part in trail.groupby("optimizer"):
        assert len(part) <= MAX_POINTS + 1, label
    adam = trail[trail["optimizer"] == "Adam"]
    assert adam["step"].iloc[-1] == 1500  # the path reaches the frame shown
    heads = data["heads"].to_pandas().set_index("optimizer")
    assert heads.loc["Adam", "x"] == res.paths[1500, 2, 0]  # full-resolution position
    assert heads.loc["SGD", "step"] == k - 1  # a diverged racer stays at its last point
    assert data["dead"].to_pylist() == [{
        "x": float(res.paths[k - 1, 0, 0]), "y": float(res.paths[k - 1, 0, 1]),
        "note": f"SGD: diverged at step {k}"}]
    assert data["begin"].to_pylist() == [{"x": -1.0, "y": 1.0}]
    assert contour_spec(res, 0, (-1, 1), 1)["datasets"]["dead"].num_rows == 0


def test_click_selection_sits_on_the_cells_that_cover_the_window() -> None:
    spec = contour_spec(_res(50), 5, (-1, 1))
    heat = spec["layer"][0]
    assert heat["data"] == {"name": "cells"}
    assert heat["params"][0]["name"] == CLICK
    assert heat["params"][0]["select"]["fields"] == ["x", "y"]
    cells = surface_frames("rosenbrock")[0].to_pandas()
    assert cells["x_lo"].min() == -2.0 and cells["x_hi"].max() == 2.0
    assert cells["y_lo"].min() == -1.0 and cells["y_hi"].max() == 3.0


def test_arrows_show_the_momentum_buffer_and_vanish_after_the_end() -> None:
    res = _res(100)
    table, scale = arrows(res, 1, 20)
    names = table.column("arrow").to_pylist()
    assert names == ["gradient step (-lr·g)", "actual step", "momentum buffer (×-lr)"]
    row = table.to_pylist()[1]
    step = res.paths[21, 1].astype(np.float64) - res.paths[20, 1]
    np.testing.assert_allclose([row["x2"] - row["x"], row["y2"] - row["y"]], scale * step)
    assert arrows(res, 1, 100)[0].num_rows == 0
    assert contour_spec(res, 20, (-1, 1))["datasets"]["arrows"].num_rows == 0  # no inspect


def test_curves_are_built_once_per_race_and_floored_for_the_log_axis() -> None:
    res = _res(300)
    first = curves_spec(res, 3, "loss")["datasets"]["curve"]
    assert curves_spec(res, 200, "loss")["datasets"]["curve"] is first
    values = first.to_pandas()
    assert (values["value"] > 0).all()
    adam = values[values["optimizer"] == "Adam"]
    assert adam["value"].iloc[-1] == float(res.losses[300, 2])
    assert curves_spec(res, 42, "distance")["datasets"]["now"].to_pylist() == [{"step": 42}]
