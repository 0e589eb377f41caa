"""The generated scripts: the training script reproduces the run bit for bit, the saving
script prints what `saving.three_ways` reports, and code_for refuses what it cannot write."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ml101.training import saving
from ml101.training.code import code_for
from ml101.training.config import RunConfig
from ml101.training.presets import BREAK_PRESETS, PRESETS
from ml101.training.trainer import Trainer
from tests.conftest import run_script


def _numbers(t: Trainer) -> list[tuple[int, float, float, float]]:
    return [(h.epoch, h.train_loss, h.val_loss, h.val_acc) for h in t.history]


@pytest.mark.parametrize("cfg", [
    PRESETS["overfit"].cfg,
    replace(PRESETS["xor"].cfg, epochs=40),
    replace(PRESETS["p2"].cfg, loss="focal", epochs=4, dropout=0.2, batch_norm=True),
    replace(PRESETS["p4"].cfg, epochs=3),
    replace(PRESETS["pipeline"].cfg, epochs=3, optimizer="rmsprop"),
    replace(BREAK_PRESETS["no_eval"].cfg, epochs=3),
    replace(BREAK_PRESETS["no_zero_grad"].cfg, epochs=4),
], ids=["overfit-early-stop", "xor", "focal-3class-bn-dropout", "focal-imbalanced",
        "pipeline-rmsprop", "no-eval", "no-zero-grad"])
def test_generated_script_reproduces_therun_script(cfg: RunConfig, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the script saves best_model.pt where it runs
    t = Trainer(cfg)
    t.run(cfg.epochs)
    ns, out = run_script(code_for(cfg))
    assert ns["history"] == _numbers(t)  # bit-for-bit equal floats
    r = t.restore_best()
    assert f"restored epoch {r.epoch}: val loss {r.val_loss_before:.6f} -> " \
           f"{r.val_loss_after:.6f}" in out


def test_max_epochs_caps_the_script_at_the_run_on_screen(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = replace(PRESETS["xor"].cfg, epochs=2000)
    t = Trainer(cfg)
    t.run(7)
    ns, _ = run_script(code_for(cfg, max_epochs=t.epoch))
    assert ns["history"] == _numbers(t)


def test_a_loss_that_blows_up_stops_the_script_at_the_pages_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = BREAK_PRESETS["nan"].cfg
    t = Trainer(cfg)
    t.run(50)
    assert t.problem is not None
    ns, out = run_script(code_for(cfg, max_epochs=t.epoch + 1))  # into the broken epoch
    assert f"step {t.problem.step}: the loss is" in out and "training stops here" in out
    assert ns["history"] == _numbers(t) and "restored" not in out


def test_the_saving_script_is_code_for_its_demo() -> None:
    demo = saving.SaveDemo(seed=3, steps_before=5, steps_after=4)
    assert code_for(demo) == saving.code_for(3, 5, 4)
    rep = saving.three_ways(3, 5, 4)
    _, out = run_script(code_for(demo))
    assert f"resumed from checkpoint: {rep.resumed_loss}" in out


def test_code_for_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError, match="no script"):
        code_for("a string")
