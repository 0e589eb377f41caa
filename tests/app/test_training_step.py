"""The one-step page in AppTest: the lesson's step on load, the player walks it, the
training buttons move on, bad settings are refused, and the code prints what is shown."""

from __future__ import annotations

from ml101.step.run import Run
from ml101.step.settings import StepSettings
from tests.app.contract import code_panel
from tests.conftest import OpenPage, assert_clean, shown_text


def frame(at) -> int:
    return at.slider(key="ts_frame").value


def test_opens_on_the_lessons_step_in_full(open_app: OpenPage) -> None:
    at = open_app("one-step")
    assert_clean(at)
    text = shown_text(at)
    rec = Run(StepSettings()).go_to(0)
    assert "**Training step 1** · epoch 1, batch 1 of 1" in text
    assert f"**20/20** · optimizer.step(): the new weights; this batch's loss " \
           f"{rec.loss:.4f} → {rec.loss_after:.4f}" in text
    assert at.slider(key="ts_frame").max == 20
    assert at.get("vega_lite_chart"), "the picture is drawn"
    assert "nn.Sequential(" in code_panel(at)


def test_the_player_walks_the_sub_steps(open_app: OpenPage) -> None:
    at = open_app("one-step")
    at.button(key="ts_reset").click().run()
    assert frame(at) == 1
    assert "a fresh model's .grad is None" in shown_text(at)
    at.button(key="ts_step").click().run()
    at.button(key="ts_step").click().run()
    assert frame(at) == 3
    assert "model[0] Linear: z1 = x @ W1.T + b1, (4, 4)" in shown_text(at)
    assert "z1[0] = x[0] @ W1.T + b1" in shown_text(at)
    at.button(key="ts_back").click().run()
    assert frame(at) == 2
    assert_clean(at)


def test_backward_nodes_are_shown_in_the_engines_order(open_app: OpenPage) -> None:
    at = open_app("one-step", ts_frame="9")
    assert_clean(at)
    text = shown_text(at)
    assert "node 2 of 11: SigmoidBackward0, gradient arriving at p" in text
    assert "∂L/∂z2[0] = ∂L/∂p[0] ⊙ sigmoid′(z2[0])" in text


def test_next_batch_and_run_100_steps_train_on(open_app: OpenPage) -> None:
    at = open_app("one-step", ts_bs="2")
    assert "batch 1 of 2" in shown_text(at)
    at.button(key="ts_next").click().run()
    assert at.number_input(key="ts_done").value == 1
    assert "**Training step 2** · epoch 1, batch 2 of 2" in shown_text(at)
    at.button(key="ts_run100").click().run()
    assert_clean(at)
    rec = Run(StepSettings(batch_size=2)).go_to(101)
    text = shown_text(at)
    assert "**Training step 102** · epoch 51, batch 2 of 2" in text
    assert f"**{rec.loss:.4f}** before the step, **{rec.loss_after:.4f}** after" in text
    assert "for _ in range(101):" in code_panel(at)


def test_a_deep_link_opens_the_same_step_and_sub_step(open_app: OpenPage) -> None:
    at = open_app("one-step", ts_data="Two moons", ts_n="20", ts_bs="5", ts_opt="Adam",
                  ts_done="6", ts_frame="3", ts_seed="4", ts_sample="2")
    assert_clean(at)
    assert not at.button(key="ts_step").disabled, "sub-step 3 of 20 is not the end"
    assert not at.button(key="ts_back").disabled
    text = shown_text(at)
    assert "**Training step 7** · epoch 2, batch 3 of 4" in text
    assert "z1[2] = x[2] @ W1.T + b1" in text
    s = StepSettings(dataset="moons", n_samples=20, batch_size=5, optimizer="adam", lr=0.05,
                     seed=4)
    rec = Run(s).go_to(6)
    assert f"rows {', '.join(map(str, rec.batch.rows.tolist()))}" in text


def test_bad_settings_get_a_clear_error_not_a_crash(open_app: OpenPage) -> None:
    at = open_app("one-step")
    at.text_input(key="ts_hidden").input("4, banana").run()
    assert not at.exception
    assert at.error[0].value.startswith("Hidden layers: `4, banana` is not a list of sizes")
    at.text_input(key="ts_hidden").input("4").run()
    at.slider(key="ts_bs").set_value(8).run()
    assert "a batch of 8 asks for more samples than XOR" in at.error[0].value
    at.slider(key="ts_bs").set_value(4).run()
    at.text_input(key="ts_hidden").input("16, 16").run()
    assert "at most 300" in at.error[0].value
    assert not at.exception


def test_a_huge_learning_rate_still_draws_the_step(open_app: OpenPage) -> None:
    """Momentum at lr 3 saturates the Sigmoid head: BCELoss clamps its log at -100, and
    the page shows the clamped loss as it is."""
    at = open_app("one-step", ts_data="Two moons", ts_n="64", ts_hidden="16", ts_bs="16",
                  ts_opt="SGD + momentum", ts_lr_momentum="3", ts_done="30")
    assert_clean(at)
    assert "**25.0000** before the step" in shown_text(at)


def test_presenter_mode_folds_the_explanation(open_app: OpenPage) -> None:
    at = open_app("one-step", present="1")
    assert_clean(at)
    assert not next(e for e in at.expander if e.label == "What is going on?").proto.expanded
