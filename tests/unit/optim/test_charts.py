"""The race's Vega-Lite specs: what is drawn, thinning, a smooth field, a spec that holds
still from frame to frame."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from ml101 import style
from ml101.optim.charts import (
    CLICK,
    FIELD_PX,
    MAX_POINTS,
    arrows,
    click_cells,
    contour_spec,
    curves_spec,
    field,
)
from ml101.optim.race import Race, RaceSpec, make_racer

RACERS = (make_racer("sgd", 1.0), make_racer("momentum", 0.001), make_racer("adam", 0.01))


def _race(steps: int = 2000) -> Race:
    race = Race(RaceSpec("rosenbrock", RACERS, (-1.0, 1.0), steps))
    race.advance(steps)
    return race


def _without_data(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def test_spec_is_the_same_for_every_frame_so_the_browser_only_swaps_data() -> None:
    race = _race()
    assert _without_data(contour_spec(race, 10, 1)) == _without_data(contour_spec(race, 1500, 1))
    assert _without_data(curves_spec(race, 10, "loss")) == \
        _without_data(curves_spec(race, 1500, "loss"))


def test_map_draws_thinned_paths_true_heads_and_the_divergence() -> None:
    race = _race()
    k = race.diverged_at[0]
    assert k is not None and race.diverged_at[1] is None
    data = contour_spec(race, 1500, 1)["datasets"]
    trail = data["trail"].to_pandas()
    for label, part in trail.groupby("optimizer"):
        assert len(part) <= MAX_POINTS + 1, label
    adam = trail[trail["optimizer"] == "Adam"]
    assert adam["step"].iloc[-1] == 1500  # the path reaches the frame shown
    heads = data["heads"].to_pandas().set_index("optimizer")
    assert heads.loc["Adam", "x"] == race.paths[1500, 2, 0]  # full-resolution position
    assert heads.loc["SGD", "step"] == k - 1  # a diverged racer stays at its last point
    assert data["dead"].to_pylist() == [{
        "x": float(race.paths[k - 1, 0, 0]), "y": float(race.paths[k - 1, 0, 1]),
        "note": f"SGD: diverged at step {k}"}]
    assert contour_spec(race, 0, 1)["datasets"]["dead"].num_rows == 0


def test_the_map_uses_the_palette_and_marks_the_start() -> None:
    spec = contour_spec(_race(50), 5)
    trail = next(layer for layer in spec["layer"] if layer["data"] == {"name": "trail"})
    assert trail["encoding"]["color"]["scale"]["range"] == [
        style.SERIES[0], style.SERIES[1], style.SERIES[2]]
    begin = [layer for layer in spec["layer"] if "values" in layer["data"]
             and layer["data"]["values"] == [{"x": -1.0, "y": 1.0}]]
    assert len(begin) == 1
    assert spec["config"]["legend"]["labelLimit"] == 0  # legend labels in full


def test_the_field_is_one_smooth_image_covering_the_window() -> None:
    spec = contour_spec(_race(50), 5)
    image = spec["layer"][0]
    assert image["mark"]["type"] == "image"
    url = image["data"]["values"][0]["url"]
    assert url == field("rosenbrock")[0]
    pixels = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert pixels.size == (FIELD_PX, FIELD_PX)
    # smooth: neighbouring pixels differ little everywhere, the valley included
    a = np.asarray(pixels.convert("L"), dtype=float)
    assert np.abs(np.diff(a, axis=0)).max() < 40 and np.abs(np.diff(a, axis=1)).max() < 40
    assert (image["encoding"]["x"]["scale"]["domain"], image["encoding"]["y"]["scale"]["domain"]
            ) == ([-2.0, 2.0], [-1.0, 3.0])


def test_click_selection_sits_on_cells_that_cover_the_window() -> None:
    spec = contour_spec(_race(50), 5)
    cells = next(layer for layer in spec["layer"] if layer["data"] == {"name": "cells"})
    assert cells["params"][0]["name"] == CLICK
    assert cells["params"][0]["select"]["fields"] == ["x", "y"]
    centres = click_cells("rosenbrock").to_pandas()
    half = 4 / 32 / 2
    assert centres["x"].min() - half == -2.0 and centres["x"].max() + half == 2.0
    assert centres["y"].min() - half == -1.0 and centres["y"].max() + half == 3.0


def test_arrows_show_the_momentum_buffer_and_need_a_next_step() -> None:
    race = _race(100)
    table, scale = arrows(race, 1, 20)
    names = table.column("arrow").to_pylist()
    assert names == ["gradient step (−lr·g)", "actual step", "momentum buffer (×−lr)"]
    row = table.to_pylist()[1]
    step = race.paths[21, 1].astype(np.float64) - race.paths[20, 1]
    np.testing.assert_allclose([row["x2"] - row["x"], row["y2"] - row["y"]], scale * step,
                               rtol=1e-5)
    # at the last step there is no next step, only the gradient and the buffer
    assert arrows(race, 1, 100)[0].column("arrow").to_pylist() == [
        "gradient step (−lr·g)", "momentum buffer (×−lr)"]
    assert contour_spec(race, 20)["datasets"]["arrows"].num_rows == 0  # nobody inspected


def test_curves_reach_the_frontier_and_are_floored_for_the_log_axis() -> None:
    race = Race(RaceSpec("rosenbrock", RACERS, (-1.0, 1.0), 300))
    race.advance(120)
    values = curves_spec(race, 3, "loss")["datasets"]["curve"].to_pandas()
    assert (values["value"] > 0).all()
    adam = values[values["optimizer"] == "Adam"]
    assert adam["step"].iloc[-1] == 120
    assert adam["value"].iloc[-1] == float(race.losses[120, 2])
    spec = curves_spec(race, 42, "distance")
    assert spec["datasets"]["now"].to_pylist() == [{"step": 42}]
    y = spec["layer"][0]["encoding"]["y"]
    assert y["scale"]["type"] == "log" and "labelExpr" in y["axis"]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 300]
