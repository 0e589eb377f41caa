"""Training on a learner's own table: the script reads the same file and prints the same
numbers (standardised or not), a checkpoint carries the table, and the boundary over a
drawing keeps the plane's axes."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import torch

from ml101 import own_data
from ml101.training.charts import boundary_spec, decision_grid, points_records
from ml101.training.code import code_for
from ml101.training.config import RunConfig, check_config, with_own
from ml101.training.trainer import Trainer
from tests.app.contract import run_script

FRUIT = own_data.default_dataset(own_data.read_table(own_data.example_csv(), "fruit.csv"))
DRAWN = own_data.drawn_data([(i - 15, (7 * i) % 41 - 20, int(i > 14)) for i in range(30)])


def _cfg(own: own_data.OwnData, **changes: object) -> RunConfig:
    base = RunConfig(epochs=4, patience=0, hidden=(8,), batch_size=8, val_fraction=0.3,
                     loss="cross_entropy" if own.n_classes > 2 else "bce_logits")
    return replace(with_own(base, own), **changes)


@pytest.mark.parametrize(("own", "standardize"), [(FRUIT, False), (FRUIT, True),
                                                  (DRAWN, True)],
                         ids=["csv", "csv-standardised", "drawing-standardised"])
def test_the_script_beside_the_file_prints_the_runs_numbers(own: own_data.OwnData,
                                                            standardize: bool) -> None:
    cfg = _cfg(own, standardize=standardize)
    t = Trainer(cfg)
    t.run(4)
    out = run_script(code_for(cfg), files={own.file_name: own.data})
    for h in t.history:
        assert (f"epoch {h.epoch:4d}  train loss {h.train_loss:.6f}  val loss "
                f"{h.val_loss:.6f}  val acc {h.val_acc:.4f}") in out
    assert ("mean, std = X_train.mean(dim=0)" in code_for(cfg)) == standardize


def test_standardising_uses_the_training_rows_and_helps_mixed_units() -> None:
    raw, scaled = Trainer(_cfg(FRUIT)), Trainer(_cfg(FRUIT, standardize=True))
    mean, _std = scaled.scaling
    assert torch.allclose(scaled.X_train.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.equal(scaled.raw_train, raw.X_train)  # the pictures keep the raw points
    assert torch.equal(scaled.inputs(scaled.raw_val), scaled.X_val)
    assert torch.equal(mean, raw.X_train.mean(0))
    raw.run(4)
    scaled.run(4)
    assert scaled.history[-1].val_acc > raw.history[-1].val_acc  # grams vs centimetres


def test_a_checkpoint_carries_the_table_and_resumes_exactly() -> None:
    cfg = _cfg(FRUIT, epochs=6, standardize=True)
    ref, half = Trainer(cfg), Trainer(cfg)
    ref.run(6)
    half.run(3)
    buf = io.BytesIO()
    torch.save(half.checkpoint(), buf)
    resumed = Trainer.from_checkpoint(torch.load(io.BytesIO(buf.getvalue()),
                                                 weights_only=True))
    assert resumed.cfg == cfg and resumed.cfg.own.file_name == "fruit.csv"
    resumed.run(3)
    assert [h.val_loss for h in resumed.history] == [h.val_loss for h in ref.history]


def test_a_table_and_its_source_must_agree() -> None:
    with pytest.raises(ValueError, match="do not agree"):
        check_config(RunConfig(dataset="csv"))
    with pytest.raises(ValueError, match="do not agree"):
        check_config(replace(_cfg(FRUIT), own=None))


def test_the_boundary_over_a_drawing_keeps_the_planes_axes() -> None:
    t = Trainer(_cfg(DRAWN, standardize=True))
    spec = boundary_spec(t, size=200)
    heat, pts = spec["layer"]
    assert heat["encoding"]["x"]["scale"] == own_data.plane_scale()
    assert heat["mark"]["clip"] and pts["encoding"]["y"]["scale"] == own_data.plane_scale()
    assert heat["encoding"]["x"]["title"] == "x"
    # the map asks the model about raw places, standardised as the model takes them
    assert decision_grid(t).shape == (40 * 40, 2)
    xs = [r["x"] for r in points_records(t)]
    assert min(xs) >= -1 and max(xs) <= 1  # raw points, not standardised ones


def test_the_boundary_names_its_axes_after_the_columns() -> None:
    two = own_data.to_dataset(own_data.read_table(
        b"mass,width,kind\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,1,a\n2,3,b\n", "two.csv"), 2)
    spec = boundary_spec(Trainer(_cfg(two, batch_size=2)), size=200)
    assert spec["layer"][0]["encoding"]["x"]["title"] == "mass"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "width"
