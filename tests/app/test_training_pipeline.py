"""The training page driven like a learner would: step, play to an early stop, restore the
best weights, scenes and what they tell, a break-it scene, bad input, old deep links,
resuming an uploaded checkpoint, and two sessions at once."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ml101 import runtime
from ml101.datasets import DATASETS
from ml101.deck import load_deck
from ml101.losses import LOSSES
from ml101.training import checkpoints as ckpt
from ml101.training.config import BUGS, COMPARE, TRAINING_OPTIMIZERS
from ml101.training.presets import BREAK_PRESETS, PRESETS, UNLUCKY_XOR_SEED
from ml101.training.trainer import Trainer
from ml101.ui.views import training as view
from tests.app.contract import (
    CODE_TITLE,
    run_script,
    screen,
    unmatched,
)
from tests.conftest import OpenPage, assert_clean, open_page, shown_text, widget_keys
from tests.conftest import run_script as run_here

runtime.configure()  # the reference runs below train as the app does: one torch thread


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _runs(at: AppTest) -> list[tuple[str, Trainer]]:
    return at.session_state[view.SLOT]["value"]


def _playing(at: AppTest) -> bool:
    return at.session_state["tr_player"].playing


def _until_paused(at: AppTest, limit: int = 40) -> Trainer:
    for _ in range(limit):
        if not _playing(at):
            break
        at.run()  # one tick of the player
    assert not _playing(at)
    return _runs(at)[0][1]


def _play_to_the_end(at: AppTest, limit: int = 40) -> Trainer:
    at.button(key="tr_play").click().run()
    return _until_paused(at, limit)


def test_step_play_early_stop_restore_and_the_code(open_app: OpenPage, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app("training", tr_speed="100")
    assert_clean(at)
    assert _metrics(at)["val loss"] == "–"
    cfg = PRESETS["overfit"].cfg  # the page opens on this scene
    assert cfg.restore_best and at.toggle(key="tr_restore").value
    ref = Trainer(cfg)
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
    r = ref.restored  # the best weights are loaded back when the run ends
    assert (f"Restored the weights of epoch {r.epoch}: validation loss "
            f"{r.val_loss_before:.4f} → {r.val_loss_after:.4f}") in text
    progress = at.get("progress")[0]  # said above the picture too
    assert progress.value == round(100 * t.epoch / 300)
    assert progress.text.endswith(f"stopped early; the best epoch, {r.epoch}, is restored")
    assert at.button(key="tr_step").disabled  # the end: Step is off, Play starts over
    assert_clean(at)

    monkeypatch.chdir(tmp_path)  # the script saves best_model.pt where it runs
    ns, _ = run_here(_scripts(at)[0])
    assert ns["history"] == [(h.epoch, h.train_loss, h.val_loss, h.val_acc) for h in t.history]

    at.button(key="tr_reset").click().run()  # fresh weights, same settings
    assert _runs(at)[0][1] is not t and _runs(at)[0][1].epoch == 0
    assert _metrics(at)["val loss"] == "–"


def test_restore_best_by_hand_after_a_pause(open_app: OpenPage) -> None:
    at = open_app("training", tr_restore="false", tr_speed="5")
    at.button(key="tr_play").click().run()
    for _ in range(3):
        at.run()
    at.button(key="tr_play").click().run()  # pause
    t = _runs(at)[0][1]
    assert not _playing(at) and not t.done and t.restored is None
    at.button(key="tr_best").click().run()
    r = t.restored
    assert r is not None and r.epoch == t.best_epoch
    assert (f"Restored the weights of epoch {r.epoch}: validation loss "
            f"{r.val_loss_before:.4f} → {r.val_loss_after:.4f}") in shown_text(at)
    assert "tr_best" not in widget_keys(at)


def test_a_new_setting_while_playing_pauses_on_a_fresh_run(open_app: OpenPage) -> None:
    at = open_app("training", tr_speed="5")
    at.button(key="tr_play").click().run()
    at.run()
    assert _playing(at) and _runs(at)[0][1].epoch > 0
    at.select_slider(key="tr_lr").set_value(0.03).run()
    assert not _playing(at)
    assert _runs(at)[0][1].cfg.lr == 0.03 and _runs(at)[0][1].epoch == 0
    assert at.button(key="tr_play").label == "Play"


def test_a_busy_server_says_so_and_trains_nothing(open_app: OpenPage) -> None:
    at = open_app("training")
    with contextlib.ExitStack() as taken:  # every heavy-work slot held by other learners
        for _ in range(runtime.MAX_HEAVY):
            taken.enter_context(runtime.heavy_slot())
        at.button(key="tr_step").click().run()
    assert "Waiting for a free slot" in shown_text(at)
    assert _runs(at)[0][1].epoch == 0
    at.button(key="tr_step").click().run()
    assert _runs(at)[0][1].epoch == 1 and "Waiting for a free slot" not in shown_text(at)


def test_presets_break_it_and_bad_input(open_app: OpenPage) -> None:
    at = open_app("training")
    at.button(key="tr_pre_xor").click().run()
    assert_clean(at)
    assert at.selectbox(key="tr_opt").value == "sgd" and at.select_slider(key="tr_lr").value == 0.5
    assert "Linear(in_features=2, out_features=4" in shown_text(at)
    assert "Sigmoid()" in shown_text(at)
    assert PRESETS["xor"].note in shown_text(at)  # the scene says what it is

    at.button(key="tr_bug_nan").click().run()
    t = _play_to_the_end(at, limit=5)
    assert t.problem is not None
    warning = " ".join(w.value for w in at.warning)
    assert f"Training paused at step {t.problem.step}" in warning and t.problem.tensor in warning

    at.text_input(key="tr_hidden").input("64; __import__('os')").run()
    assert not at.exception
    assert "This run cannot start" in at.error[0].value
    assert "Allowed: up to 6 whole numbers" in at.error[0].value  # what to type instead
    at.text_input(key="tr_hidden").input("8").run()
    assert_clean(at)


def test_xor_shows_the_outcome_of_the_seed_and_why_it_fails(open_app: OpenPage) -> None:
    at = open_app("training")
    at.button(key="tr_pre_xor").click().run()
    _play_to_the_end(at)
    assert "Seed 0 solves XOR: accuracy 100%" in shown_text(at)
    assert f"Not every start does: seed {UNLUCKY_XOR_SEED} ends at 50%" in shown_text(at)

    at.button(key="tr_pre_xor_unlucky").click().run()
    assert at.number_input(key="tr_seed").value == UNLUCKY_XOR_SEED
    assert "Hidden ReLUs on the 4 training points" in shown_text(at)  # live, under the picture
    t = _play_to_the_end(at)
    u = t.relu_units()
    warning = " ".join(w.value for w in at.warning)
    assert f"Seed {UNLUCKY_XOR_SEED} does not solve XOR: accuracy 50%" in warning
    assert f"{u.dead} are dead" in warning and "no straight line separates XOR" in warning
    assert "seed 0 solves it with the very same code" in warning
    assert_clean(at)


def test_the_pipeline_scene_stops_early_and_restores_the_best_weights(
        open_app: OpenPage) -> None:
    at = open_app("training")
    at.button(key="tr_pre_pipeline").click().run()
    assert at.toggle(key="tr_restore").value
    assert "exactly linearly separable" in shown_text(at)
    at.select_slider(key="tr_speed").set_value(100).run()
    t = _play_to_the_end(at)
    text = shown_text(at)
    assert t.finished == "early_stop" and f"Early stopping at epoch {t.epoch}" in text
    r = t.restored
    assert r is not None and f"Restored the weights of epoch {r.epoch}" in text
    assert "tr_best" not in widget_keys(at)  # nothing left to restore


def test_focal_loss_scene_compares_recall_on_imbalanced_data(open_app: OpenPage) -> None:
    at = open_app("training")
    at.button(key="tr_pre_p4").click().run()
    assert at.selectbox(key="tr_data").value == "imbalanced"
    assert [label for label, _ in _runs(at)] == ["cross-entropy", "focal loss"]
    for _ in range(3):
        at.button(key="tr_step").click().run()
    ce, focal = (t for _, t in _runs(at))
    assert ce.epoch == focal.epoch == 3
    text = shown_text(at)
    assert "recall 1 (32)" in text  # the live table: the rare class's validation count
    assert f"{focal.history[-1].val_recall[1]:.0%}" in text
    assert "Recall of the rare class 1" in text and "pos_weight" in text
    assert_clean(at)


def test_captions_where_the_lesson_needs_a_word(open_app: OpenPage) -> None:
    at = open_app("training", tr_data=DATASETS["spiral"].label)
    assert "never imports numpy" in shown_text(at)
    at.button(key="tr_pre_p2").click().run()
    text = shown_text(at)
    assert "int64 indices" in text and "raw scores (logits" in text
    at.selectbox(key="tr_opt").set_value("rmsprop").run()
    assert "RMSprop with `foreach=True`" in shown_text(at)
    at.selectbox(key="tr_opt").set_value("adam").run()
    assert "Adam with `fused=True`; its step calls that fused kernel directly" in shown_text(at)


def _scripts(at: AppTest) -> list[str]:
    """Every "Show the code" script on the page (one per run side by side)."""
    return [str(e.get("code")[0].value) for e in at.expander
            if e.label.startswith(CODE_TITLE) and e.get("code")]


def _printed_numbers_are_on_screen(at: AppTest) -> None:
    scripts = _scripts(at)
    assert scripts
    shown = screen(at)
    for script in scripts:
        missing = unmatched(run_script(script), shown)
        assert not missing, missing[:12]


def test_the_code_prints_the_numbers_on_screen(open_app: OpenPage) -> None:
    at = open_app("training")
    for _ in range(3):
        at.button(key="tr_step").click().run()
    _printed_numbers_are_on_screen(at)
    at.button(key="tr_bug_nan").click().run()  # the loss blows up: the script says where
    _play_to_the_end(at, limit=10)
    _printed_numbers_are_on_screen(at)


def test_every_scene_fits_the_controls() -> None:
    for p in (*PRESETS.values(), *BREAK_PRESETS.values()):
        assert view.unfit(view.preset_values(p)) is None, p.label


def test_deep_link_opens_the_multiclass_scene(open_app: OpenPage) -> None:
    # selectboxes with a format_func are bound to the URL by their shown label
    at = open_app("training", tr_data=DATASETS["spiral_k"].label, tr_k="4",
                  tr_loss=LOSSES["cross_entropy"].label, tr_hidden="16, 16", tr_act="GELU")
    assert_clean(at)
    text = shown_text(at)
    assert "Linear(in_features=16, out_features=4" in text and "GELU" in text
    t = _runs(at)[0][1]
    assert t.cfg.n_classes == 4 and t.cfg.hidden == (16, 16)


def test_old_links_open_the_same_view(open_app: OpenPage) -> None:
    """URL keys and values from before the page moved into its view still work."""
    at = open_app("training", tr_opt=TRAINING_OPTIMIZERS["momentum"], tr_lr="0.03",
                  tr_speed="25", tr_cmp=COMPARE["act"], tr_ep="7", tr_bs="32", tr_pat="0",
                  tr_bug="forget model.eval() during validation", tr_drop="0.2")
    assert_clean(at)
    (a, ta), (b, tb) = _runs(at)
    assert (a, b) == ("Tanh", "LeakyReLU") and at.select_slider(key="tr_speed").value == 25
    assert ta.cfg.activation == "Tanh" and tb.cfg.activation == "LeakyReLU"
    assert ta.cfg.optimizer == "momentum" and ta.cfg.lr == 0.03 and ta.cfg.epochs == 7
    assert ta.cfg.batch_size == 32 and ta.cfg.bug == "no_eval" and ta.cfg.dropout == 0.2


def test_an_uploaded_checkpoint_resumes_the_run(open_app: OpenPage) -> None:
    cfg = replace(PRESETS["overfit"].cfg, epochs=12, patience=0, seed=3)
    ref, half = Trainer(cfg), Trainer(cfg)
    ref.run(6)
    half.run(5)
    at = open_app("training")
    at.file_uploader(key="tr_up").set_value(("run.pt", ckpt.to_bytes(half.checkpoint()),
                                             "application/octet-stream")).run()
    assert "Full checkpoint: epoch 5" in shown_text(at)
    at.button(key="tr_resume").click().run()
    assert_clean(at)
    assert at.number_input(key="tr_seed").value == 3 and at.number_input(key="tr_ep").value == 12
    assert _runs(at)[0][1].epoch == 5
    at.button(key="tr_step").click().run()
    assert [h.val_loss for h in _runs(at)[0][1].history] == [h.val_loss for h in ref.history]

    at.file_uploader(key="tr_up").set_value(("bad.pt", b"not a checkpoint", "x")).run()
    assert "Your current run is kept as it was" in at.error[0].value and not at.exception


@pytest.mark.parametrize("n", [n for n, sc in enumerate(load_deck("lesson-5").scenes, 1)
                               if sc.page == "training"])
def test_the_lesson_decks_scenes_open_and_play(n: int) -> None:
    scene = load_deck("lesson-5").scenes[n - 1]
    at = open_page("training", deck="lesson-5", scene=str(n))
    assert_clean(at)
    assert _playing(at) == scene.play
    if "tr_bug" in scene.controls:
        assert BUGS[_runs(at)[0][1].cfg.bug] == scene.controls["tr_bug"]
    if "restores the best weights" in scene.narration:  # what the presenter will say
        t = _until_paused(at, limit=150)
        assert t.finished == "early_stop" and t.restored is not None


def test_two_sessions_training_at_once_never_see_each_other() -> None:
    """Two learners in one server process, their ticks interleaved (AppTest itself is not
    thread-safe, so the interleaving is done tick by tick): both use dropout, so both draw
    on torch's process-wide RNG, yet each run equals the same run trained alone."""
    cfgs = {s: replace(PRESETS["overfit"].cfg, seed=s, dropout=0.2, epochs=6, patience=0)
            for s in (1, 2)}  # the page's default scene, changed by the links below
    apps = {s: open_page("training", tr_seed=str(s), tr_drop="0.2", tr_ep="6", tr_pat="0",
                         tr_speed="2") for s in cfgs}
    for at in apps.values():
        at.button(key="tr_play").click().run()
    for _ in range(10):
        for at in apps.values():
            if _playing(at):
                at.run()
    for seed, cfg in cfgs.items():
        assert_clean(apps[seed])
        got = _runs(apps[seed])[0][1]
        ref = Trainer(cfg)
        ref.run(6)
        assert got.cfg == cfg and got.done
        assert [h.val_loss for h in got.history] == [h.val_loss for h in ref.history]
    assert _runs(apps[1]) is not _runs(apps[2])
