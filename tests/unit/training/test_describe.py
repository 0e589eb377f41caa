"""The Training charts' text alternatives say what the pictures show."""

from __future__ import annotations

from ml101.training import describe
from ml101.training.charts import boundary_spec
from ml101.training.presets import PRESETS
from ml101.training.trainer import Trainer, train_together


def test_the_overfit_scene_reads_as_overfitting() -> None:
    t = Trainer(PRESETS["overfit"].cfg)
    assert "no epoch trained yet" in describe.curves(t)
    train_together([t], 60, 5.0)
    words = describe.curves(t)
    best = min(t.history, key=lambda h: h.val_loss)
    assert f"by epoch {best.epoch}, then rose" in words and "overfitting" in words
    assert f"{t.history[-1].val_acc:.0%}" in words


def test_the_map_and_the_matrix_in_words() -> None:
    t = Trainer(PRESETS["overfit"].cfg)
    train_together([t], 2, 5.0)
    words = describe.boundary(t, boundary_spec(t))
    assert "class 0" in words and "class 1" in words and f"{t.n_train} training" in words
    assert describe.confusion([[5, 1], [0, 4]], 3) == (
        "Confusion matrix at epoch 3: 9 of 10 validation points (90%) predicted as their "
        "true class; the most common mistake: true class 0 predicted as 1, 1 times.")
