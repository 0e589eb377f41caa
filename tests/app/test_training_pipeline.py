"""The training page driven like a learner would: step, play to an early stop, restore the
best weights, presets, a break-it scene, bad input, a deep link, and two sessions at once."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ml101.datasets import DATASETS
from ml101.losses import LOSSES
from ml101.training.trainer import PRESETS, RunConfig, Trainer
from tests.conftest import OpenPage, assert_clean, open_page, shown_text


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _play_to_the_end(at: AppTest, limit: int = 40) -> Trainer:
    at.button(key="tr_play").click().run()
    for _ in range(limit):
        if not at.session_state["tr_state"]["running"]:
            break
        at.run()
    return at.session_state["tr_state"]["runs"][0][1]


def test_step_play_early_stop_restore_and_the_code(open_app: OpenPage, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app("training", tr_speed="100")
    assert_clean(at)
    assert _metrics(at)["val loss"] == "–"
    ref = Trainer(RunConfig())
    ref.run(1)
    at.button(key="tr_step").click().run()
    assert _metrics(at)["val loss"] == f"{ref.history[0].val_loss:.4f}"
    assert _metrics(at)["early stop in"] == f"{20 - ref.wait} epochs"

    t = _play_to_the_end(at)
    ref.run(300)
    assert t.finished == "early_stop" and t.epoch == ref.epoch and t.best_epoch == ref.best_epoch
    text = shown_text(at)
    assert f"Early stopping at epoch {ref.epoch}" in text
    assert f"{ref.best_val_loss:.4f} (epoch {ref.best_epoch})" in text
    assert_clean(at)

    at.button(key="tr_best").click().run()
    r = ref.restore_best()
    assert (f"Restored the weights of epoch {r.epoch}: validation loss "
            f"{r.val_loss_before:.4f} → {r.val_loss_after:.4f}") in shown_text(at)

    script = next(c.value for c in at.code if "torch.manual_seed(seed)" in c.value)
    ns: dict = {}
    monkeypatch.chdir(tmp_path)  # the script saves best_model.pt where it runs
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(script, "<page code>", "exec"), ns)
    assert ns["history"] == [(h.epoch, h.train_loss, h.val_loss, h.val_acc) for h in t.history]


def test_presets_break_it_and_bad_input(open_app: OpenPage) -> None:
    at = open_app("training")
    at.button(key="tr_pre_xor").click().run()
    assert_clean(at)
    assert at.selectbox(key="tr_opt").value == "sgd" and at.select_slider(key="tr_lr").value == 0.5
    assert "Linear(in_features=2, out_features=4" in shown_text(at)
    assert "Sigmoid()" in shown_text(at)

    at.button(key="tr_bug_nan").click().run()
    t = _play_to_the_end(at, limit=5)
    assert t.problem is not None
    warning = " ".join(w.value for w in at.warning)
    assert f"Training paused at step {t.problem.step}" in warning and t.problem.tensor in warning

    at.text_input(key="tr_hidden").input("64; __import__('os')").run()
    assert not at.exception
    assert "This run cannot start" in at.error[0].value
    at.text_input(key="tr_hidden").input("8").run()
    assert_clean(at)


def test_deep_link_opens_the_multiclass_scene(open_app: OpenPage) -> None:
    # selectboxes with a format_func are bound to the URL by their shown label
    at = open_app("training", tr_data=DATASETS["spiral_k"].label, tr_k="4",
                  tr_loss=LOSSES["cross_entropy"].label, tr_hidden="16, 16", tr_act="GELU")
    assert_clean(at)
    text = shown_text(at)
    assert "Linear(in_features=16, out_features=4" in text and "GELU" in text
    t = at.session_state["tr_state"]["runs"][0][1]
    assert t.cfg.n_classes == 4 and t.cfg.hidden == (16, 16)


def test_two_sessions_training_at_once_never_see_each_other() -> None:
    """Two learners in one server process, their ticks interleaved (AppTest itself is not
    thread-safe, so the interleaving is done tick by tick): both use dropout, so both draw
    on torch's process-wide RNG, yet each run equals the same run trained alone."""
    cfgs = {s: replace(PRESETS["overfit"].cfg, seed=s, dropout=0.2, epochs=6, patience=0)
            for s in (1, 2)}
    apps = {s: open_page("training", tr_seed=str(s), tr_drop="0.2", tr_ep="6", tr_pat="0",
                         tr_speed="2") for s in cfgs}
    for at in apps.values():
        at.button(key="tr_play").click().run()
    for _ in range(10):
        for at in apps.values():
            if at.session_state["tr_state"]["running"]:
                at.run()
    for seed, cfg in cfgs.items():
        assert_clean(apps[seed])
        got = apps[seed].session_state["tr_state"]["runs"][0][1]
        ref = Trainer(cfg)
        ref.run(6)
        assert got.cfg == cfg and got.done
        assert [h.val_loss for h in got.history] == [h.val_loss for h in ref.history]
    assert apps[1].session_state["tr_state"] is not apps[2].session_state["tr_state"]
