"""The scenes and what their notes claim, each checked by running it: the lesson's XOR
solved at seed 0 and stuck at its unlucky seed, early stopping firing in the lesson's
pipeline, focal loss against cross-entropy on imbalanced data, CrossEntropyLoss's inputs."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from ml101.training.charts import rare_class
from ml101.training.config import check_config, compare_configs
from ml101.training.presets import BREAK_PRESETS, PRESETS, UNLUCKY_XOR_SEED, scene_of
from ml101.training.trainer import SPEED_OPTIONS, Trainer, train_together

ALL = {**PRESETS, **BREAK_PRESETS}


@pytest.mark.parametrize("name", list(ALL))
def test_every_scene_can_run_and_is_found_by_its_settings(name: str) -> None:
    p = ALL[name]
    check_config(p.cfg)
    assert p.speed in SPEED_OPTIONS
    assert scene_of(p.cfg, p.compare) is p
    for _, cfg in compare_configs(p.cfg, p.compare):
        Trainer(cfg)


def test_xor_is_solved_at_seed_0_and_stuck_at_the_unlucky_seed() -> None:
    good, bad = Trainer(PRESETS["xor"].cfg), Trainer(PRESETS["xor_unlucky"].cfg)
    assert bad.cfg.seed == UNLUCKY_XOR_SEED
    good.run(2000)
    bad.run(2000)
    assert good.history[-1].val_acc == 1.0 and good.relu_units().bending > 0
    h, u = bad.history[-1], bad.relu_units()
    assert h.val_acc == 0.5
    assert u.bending == 0 and u.dead >= 1  # no unit bends: a linear model on these points
    assert h.train_loss == pytest.approx(math.log(2), abs=1e-3)  # 0.5 everywhere


def test_the_pipeline_stops_early_and_restoring_helps() -> None:
    t = Trainer(PRESETS["pipeline"].cfg)
    t.run(100)
    assert t.finished == "early_stop" and t.epoch < 100
    assert t.restored is not None and t.restored.epoch == t.best_epoch
    assert t.restored.val_loss_after < t.restored.val_loss_before


def test_the_pipeline_data_is_exactly_linearly_separable() -> None:
    t = Trainer(PRESETS["pipeline"].cfg)
    X = torch.cat([t.X_train, t.X_val])
    y = torch.cat([t.y_train, t.y_val]).reshape(-1)
    assert torch.equal((X @ torch.ones(10) > 0).float(), y)  # the plane sum(x) = 0


def test_focal_loss_on_imbalanced_data_moves_early_recall_not_the_end() -> None:
    p = PRESETS["p4"]
    runs = [Trainer(c) for _, c in compare_configs(p.cfg, p.compare)]
    ce = runs[0]
    rare = rare_class(ce)
    assert rare == 1 and ce.val_class_counts[1] < 0.15 * ce.n_val
    train_together(runs, p.cfg.epochs)
    at3 = [t.history[2].val_recall[rare] for t in runs]
    end = [t.history[-1].val_recall[rare] for t in runs]
    assert at3[1] > at3[0]  # the rare class has more say early on
    assert abs(end[1] - end[0]) < 0.1  # then both settle on nearly the same boundary
    # weighting the classes is what moves the rare class's recall
    weighted = Trainer(replace(p.cfg, loss="bce_logits"))
    weighted.criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(9.0))
    weighted.run(p.cfg.epochs)
    assert weighted.history[-1].val_recall[rare] > max(end) + 0.2


def test_cross_entropy_takes_logits_and_int64_class_indices() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    y = torch.tensor([0, 2])
    ce = nn.CrossEntropyLoss()
    assert ce(logits, y).item() == pytest.approx(
        -torch.log_softmax(logits, 1)[[0, 1], y].mean().item())
    for bad in (y.float(), y.int()):
        with pytest.raises(RuntimeError, match="Long"):
            ce(logits, bad)
