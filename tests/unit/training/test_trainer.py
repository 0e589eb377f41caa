"""The trainer: chunked runs equal one long run, early stopping, restore best, rewind,
NaN diagnosis, the break-it bugs, recall per class, the hidden ReLUs, lockstep training
and checkpoints that resume exactly."""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import replace

import pytest
import torch

from ml101 import runtime
from ml101.training.charts import per_class_accuracy
from ml101.training.config import RunConfig, compare_configs
from ml101.training.presets import BREAK_PRESETS, PRESETS
from ml101.training.trainer import Trainer, train_together

SMALL = RunConfig(n_samples=80, hidden=(32, 32), epochs=12, patience=0)


def _numbers(t: Trainer) -> list[tuple[int, float, float, float]]:
    return [(h.epoch, h.train_loss, h.val_loss, h.val_acc) for h in t.history]


def test_chunks_give_the_same_numbers_as_one_long_run() -> None:
    cfg = replace(SMALL, dropout=0.3)  # dropout: the global RNG must be carried over chunks
    a, b = Trainer(cfg), Trainer(cfg)
    a.run(12)
    while not b.done:
        b.run(1)
        torch.rand(5)  # someone else using the global RNG between chunks changes nothing
    assert _numbers(a) == _numbers(b)
    assert a.iteration == b.iteration == 12 * math.ceil(40 / 16)


def test_default_run_overfits_stops_early_and_restore_best_helps() -> None:
    t = Trainer(RunConfig())
    t.run(300)
    assert t.finished == "early_stop"
    assert t.epoch == t.best_epoch + t.cfg.patience
    assert t.history[-1].train_loss < t.history[t.best_epoch - 1].train_loss  # kept fitting
    assert t.history[-1].val_loss > t.best_val_loss  # while validation got worse
    r = t.restore_best()
    assert r is not None and r.epoch == t.best_epoch
    assert r.val_loss_after == pytest.approx(t.best_val_loss, abs=1e-6)
    assert r.val_loss_after < r.val_loss_before


def test_rewind_snapshot_reproduces_that_epochs_metrics() -> None:
    t = Trainer(SMALL)
    t.run(12)
    for e in (1, 5, 12):
        loss, acc = t.evaluate_at(e)
        assert loss == pytest.approx(t.history[e - 1].val_loss, abs=1e-6)
        assert acc == pytest.approx(t.history[e - 1].val_acc)
    assert t.snapshot_epoch(0) == 0


def test_snapshots_are_thinned_under_the_memory_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import ml101.training.trainer as tr

    t = Trainer(SMALL)
    monkeypatch.setattr(tr, "SNAPSHOT_BYTES", t._snap_bytes * 5)
    t.run(12)
    assert len(t.snapshots) <= 5 and t.snapshot_stride > 1
    assert all(e % t.snapshot_stride == 0 for e in t.snapshots)


def test_confusion_matrix_and_accuracy_agree() -> None:
    t = Trainer(replace(PRESETS["p2"].cfg, epochs=3))
    t.run(3)
    m = t.confusion()
    assert len(m) == 3 and sum(map(sum, m)) == t.n_val
    assert sum(m[i][i] for i in range(3)) / t.n_val == pytest.approx(t.history[-1].val_acc)


def test_huge_learning_rate_pauses_naming_step_and_tensor() -> None:
    t = Trainer(BREAK_PRESETS["nan"].cfg)
    t.run(50)
    assert t.finished == "problem" and t.problem is not None
    assert t.problem.step >= 1 and t.problem.tensor
    assert str(t.problem.step) in t.problem.message
    assert t.epoch < 50


def test_logits_into_bce_is_caught_and_explained() -> None:
    t = Trainer(BREAK_PRESETS["logits_to_bce"].cfg)
    t.run(3)
    assert t.problem is not None and t.problem.step == 1
    assert "BCEWithLogitsLoss" in t.problem.message


def test_forgetting_zero_grad_lets_gradients_pile_up() -> None:
    cfg = BREAK_PRESETS["no_zero_grad"].cfg
    bad, good = Trainer(replace(cfg, epochs=10)), Trainer(replace(cfg, epochs=10, bug="none"))
    bad.run(10)
    good.run(10)
    assert bad.history[-1].grad_norm > 5 * good.history[-1].grad_norm
    assert bad.history[-1].grad_norm > 3 * bad.fresh_grad_norm()


def test_forgetting_eval_measures_a_different_validation_loss() -> None:
    t = Trainer(replace(BREAK_PRESETS["no_eval"].cfg, epochs=3))
    t.run(3)
    h = t.history[-1]
    assert h.val_loss_eval is not None and h.val_loss != h.val_loss_eval


def test_checkpoint_resumes_exactly_through_weights_only_load() -> None:
    cfg = replace(SMALL, dropout=0.2)
    whole = Trainer(cfg)
    whole.run(12)
    half = Trainer(cfg)
    half.run(6)
    buf = io.BytesIO()
    torch.save(half.checkpoint(), buf)
    resumed = Trainer.from_checkpoint(torch.load(io.BytesIO(buf.getvalue()), weights_only=True))
    resumed.run(6)
    assert _numbers(resumed) == _numbers(whole)




def test_recall_per_class_is_the_confusion_matrix_diagonal() -> None:
    t = Trainer(replace(PRESETS["p2"].cfg, epochs=3))
    t.run(3)
    assert list(t.history[-1].val_recall) == pytest.approx(per_class_accuracy(t.confusion()))
    assert sum(t.val_class_counts) == t.n_val


def test_restore_best_at_the_end_loads_the_best_epoch() -> None:
    cfg = replace(RunConfig(), n_samples=80, hidden=(32, 32), patience=5, restore_best=True)
    t = Trainer(cfg)
    t.run(300)
    assert t.finished == "early_stop" and t.restored is not None
    assert t.restored.epoch == t.best_epoch
    assert all(torch.equal(v, t.best_state[k]) for k, v in t.model.state_dict().items())
    assert t.restored.val_loss_after == pytest.approx(t.best_val_loss, abs=1e-6)


def test_hidden_relus_are_counted_on_the_training_inputs() -> None:
    t = Trainer(PRESETS["xor"].cfg)
    u = t.relu_units()
    assert u is not None and u.total == 4 and u.dead + u.straight + u.bending == 4
    with torch.no_grad():
        z = t.model.network[0](t.X_train)
    assert u.dead == int((z <= 0).all(0).sum()) and u.straight == int((z > 0).all(0).sum())
    assert Trainer(replace(PRESETS["xor"].cfg, activation="Tanh")).relu_units() is None


def test_side_by_side_runs_train_in_lockstep() -> None:
    runs = [Trainer(c) for _, c in compare_configs(replace(SMALL, epochs=5), "act")]
    assert train_together(runs, 3) is False
    assert [t.epoch for t in runs] == [3, 3]
    assert train_together(runs, 10) is True and [t.epoch for t in runs] == [5, 5]


def test_no_heavy_slot_means_busy_not_blocked() -> None:
    t = Trainer(SMALL)
    with contextlib.ExitStack() as stack:
        for _ in range(runtime.MAX_HEAVY):
            assert stack.enter_context(runtime.heavy_slot())
        assert train_together([t], 1) is None
    assert t.epoch == 0
    assert train_together([t], 1) is False and t.epoch == 1


def test_a_checkpoint_without_recall_history_still_loads() -> None:
    t = Trainer(SMALL)
    t.run(2)
    ck = t.checkpoint()
    del ck["history"]["val_recall"]
    resumed = Trainer.from_checkpoint(ck)
    assert [h.val_loss for h in resumed.history] == [h.val_loss for h in t.history]
