"""The settings a learner types or picks: refused clearly, never half-accepted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml101.inputs import InputError
from ml101.step.settings import (
    MAX_HIDDEN_LAYERS,
    MAX_PARAMS,
    MAX_WIDTH,
    SettingsError,
    StepSettings,
    parse_hidden,
)


def test_the_default_is_the_lessons_xor_loop() -> None:
    s = StepSettings()
    assert (s.dataset, s.hidden, s.activation, s.loss, s.optimizer, s.lr) == (
        "xor", (4,), "ReLU", "sigmoid_bce", "sgd", 0.5)
    assert s.spec().sigmoid_head and s.n_out == 1 and s.size == 4


@pytest.mark.parametrize(("text", "sizes"), [("4", (4,)), ("8, 8", (8, 8)), (" 3 2 ", (3, 2)),
                                             ("", ())])
def test_hidden_sizes_parse(text: str, sizes: tuple[int, ...]) -> None:
    assert parse_hidden(text) == sizes


@pytest.mark.parametrize(("text", "says"), [
    ("4; import os", "not a list of sizes"), ("2, 2, 2, 2", "at most 3"),
    ("17", "too wide"), ("0", "not a list"), ("x" * 200, "not a list")])
def test_bad_hidden_sizes_say_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says) as err:
        parse_hidden(text)
    assert "Allowed:" in str(err.value) and isinstance(err.value, InputError)


@given(st.text(max_size=80))
def test_any_typed_text_parses_within_the_caps_or_is_refused(text: str) -> None:
    try:
        sizes = parse_hidden(text)
    except InputError:
        return
    assert len(sizes) <= MAX_HIDDEN_LAYERS and all(1 <= s <= MAX_WIDTH for s in sizes)


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"batch_size": 8}, "more samples than XOR"),
    ({"batch_size": 17, "dataset": "moons"}, "1 to 16"),
    ({"dataset": "blobs", "loss": "bce_logits"}, "handles two classes"),
    ({"hidden": (16, 16)}, f"at most {MAX_PARAMS}"),
    ({"dataset": "sum10"}, "unknown dataset"),
    ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ({"lr": 0.0}, "lr > 0"),
    ({"n_samples": 3, "dataset": "moons"}, "8 to 256"),
])
def test_settings_that_cannot_run_are_refused(kwargs: dict, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        StepSettings(**kwargs)


def test_optimizer_arguments_are_only_the_ones_it_takes() -> None:
    assert StepSettings(optimizer="sgd").hyper() == {}
    assert StepSettings(optimizer="nesterov", momentum=0.8).hyper() == {
        "momentum": 0.8, "nesterov": True}
    assert StepSettings(optimizer="adam", betas=(0.5, 0.99)).hyper() == {"betas": (0.5, 0.99)}
