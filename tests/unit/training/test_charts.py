"""The training page's Vega-Lite specs: valid Vega-Lite, JSON-safe, carrying the runs' true
numbers in the shared palette; the boundary is recomputed exactly when the weights change."""

from __future__ import annotations

import json
from dataclasses import replace

import altair as alt
import pytest
import torch

from ml101 import style
from ml101.training.charts import (
    GRID,
    _Grid,
    boundary_spec,
    boundary_spec_cached,
    confusion_spec,
    curves_spec,
    decision_grid,
    lower_panel,
    per_class_accuracy,
    rare_class,
)
from ml101.training.config import RunConfig, compare_configs
from ml101.training.presets import PRESETS
from ml101.training.trainer import Trainer, train_together

SCHEMA = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json"}
SMALL = RunConfig(n_samples=80, hidden=(16,), epochs=6, patience=0)


def _valid(spec: dict) -> None:
    json.dumps(spec, allow_nan=False)  # the browser's JSON has no NaN
    kind = alt.VConcatChart if "vconcat" in spec else alt.LayerChart
    kind.from_dict({**SCHEMA, **spec})  # raises on anything Vega-Lite's schema refuses
    assert spec["config"] == style.chart_config()  # titles left, full legends, one type scale


def test_curves_carry_the_history_and_the_markers() -> None:
    t = Trainer(SMALL)
    _valid(curves_spec(t))  # empty history: empty axes, no crash
    t.run(6)
    spec = curves_spec(t, at_epoch=2)
    _valid(spec)
    loss_layer, rules = spec["vconcat"][0]["layer"]
    rows = loss_layer["data"]["values"]
    assert [r["epoch"] for r in rows] == list(range(1, 7))
    assert [r["val loss"] for r in rows] == [h.val_loss for h in t.history]
    assert rules["data"]["values"] == [{"epoch": t.best_epoch, "what": "best"},
                                       {"epoch": 2, "what": "shown"}]


def test_a_loss_that_is_not_a_number_is_a_gap_not_invalid_json() -> None:
    t = Trainer(SMALL)
    t.run(2)
    t.history[-1].val_loss = float("nan")
    spec = curves_spec(t)
    _valid(spec)
    assert spec["vconcat"][0]["layer"][0]["data"]["values"][-1]["val loss"] is None


@pytest.mark.parametrize("cfg", [SMALL, replace(PRESETS["p2"].cfg, epochs=2)],
                         ids=["two-classes", "three-classes"])
def test_boundary_map_holds_the_models_predictions(cfg: RunConfig) -> None:
    t = Trainer(cfg)
    t.run(2)
    spec = boundary_spec(t)
    _valid(spec)
    heat, pts = spec["layer"]
    assert len(heat["data"]["values"]) == GRID * GRID
    probs = decision_grid(t)
    if cfg.n_classes == 2:
        assert heat["data"]["values"] == pytest.approx(probs[:, 1].tolist(), abs=5e-5)
    else:
        assert [v["c"] for v in heat["data"]["values"]] == probs.argmax(1).tolist()
    assert len(pts["data"]["values"]) == t.n_train + t.n_val


@pytest.mark.parametrize("cfg", [SMALL, replace(PRESETS["p2"].cfg, epochs=2)],
                         ids=["two-classes", "three-classes"])
def test_weights_that_overflowed_leave_blank_cells_not_invalid_json(cfg: RunConfig) -> None:
    t = Trainer(cfg)
    with torch.no_grad():
        next(t.model.parameters()).fill_(float("nan"))
    spec = boundary_spec(t)
    _valid(spec)
    values = spec["layer"][0]["data"]["values"]
    assert all(v.get("data", v.get("c")) is None for v in values)


def test_grid_transforms_rebuild_the_cells_the_model_saw() -> None:
    t = Trainer(SMALL)
    g = _Grid(t, GRID)
    _, calc_x, calc_y, _, _ = g.transforms()
    for i in (1, 2, GRID + 1, GRID * GRID):  # Vega-Lite's row_number starts at 1
        x = eval(calc_x["calculate"].replace("datum.i", str(i)))  # noqa: S307 (our own text)
        y = eval(calc_y["calculate"].replace("datum.i", str(i)).replace("floor", "int"))  # noqa: S307
        assert (x, y) == pytest.approx(tuple(g.pts[i - 1].tolist()), abs=1e-4)


def test_boundary_is_recomputed_only_when_the_weights_change() -> None:
    t = Trainer(SMALL)
    t.run(1)
    first = boundary_spec_cached(t)
    assert boundary_spec_cached(t) is first  # same weights: the cached spec
    t.run(1)
    second = boundary_spec_cached(t)
    assert second is not first
    with torch.no_grad():  # weights changed outside training (e.g. a loaded state_dict)
        next(t.model.parameters()).add_(1.0)
    assert boundary_spec_cached(t) is not second
    assert t.restore_best() is not None and boundary_spec_cached(t) is not second


def test_confusion_spec_and_per_class_accuracy() -> None:
    m = [[5, 1], [0, 4]]
    spec = confusion_spec(m)
    _valid(spec)
    assert {(r["true"], r["predicted"], r["count"]) for r in
            spec["layer"][0]["data"]["values"]} == {(0, 0, 5), (0, 1, 1), (1, 0, 0), (1, 1, 4)}
    assert per_class_accuracy(m) == [5 / 6, 1.0]
    assert per_class_accuracy([[0, 0], [1, 1]]) == [None, 0.5]


def test_side_by_side_curves_share_one_set_of_axes() -> None:
    runs = [(label, Trainer(c)) for label, c in compare_configs(SMALL, "act")]
    train_together([t for _, t in runs], 3)
    spec = curves_spec(runs)
    _valid(spec)
    loss = spec["vconcat"][0]["layer"][0]
    assert {r["run"] for r in loss["data"]["values"]} == {"Tanh", "LeakyReLU"}
    assert loss["encoding"]["color"]["scale"]["range"] == list(style.SERIES[:2])
    assert "strokeDash" in loss["encoding"]  # train dashed, validation solid
    assert len(spec["vconcat"][0]["layer"]) == 1  # no best-epoch rule for two runs


def test_imbalanced_data_shows_the_rare_class_recall_not_accuracy() -> None:
    t = Trainer(replace(PRESETS["p4"].cfg, epochs=2))
    t.run(2)
    assert rare_class(t) == 1
    assert lower_panel([("", t)]) == ("rare_recall", "Recall of class 1 (rare)")
    spec = curves_spec(t)
    _valid(spec)
    rows = spec["vconcat"][1]["layer"][0]["data"]["values"]
    assert [r["rare_recall"] for r in rows] == [h.val_recall[1] for h in t.history]
    balanced = Trainer(SMALL)
    assert rare_class(balanced) is None and lower_panel([("", balanced)])[0] == "val_acc"


def test_two_class_map_uses_the_shared_region_colours() -> None:
    t = Trainer(SMALL)
    heat, pts = boundary_spec(t)["layer"]
    assert heat["encoding"]["color"]["scale"]["range"] == list(style.REGIONS)
    assert pts["encoding"]["color"]["scale"]["range"] == list(style.SERIES[:2])
