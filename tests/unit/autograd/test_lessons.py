"""The lesson's experiments: presets, gradient accumulation, and the errors learners meet."""

from __future__ import annotations

import pytest

from ml101.autograd import lessons
from ml101.autograd.expression import ExprError, parse_variables
from ml101.inputs import InputError
from tests.conftest import run_script as run_code
from tests.unit.autograd.helpers import build


@pytest.mark.parametrize("preset", lessons.PRESETS, ids=lambda p: p.key)
def test_presets_match_the_hand_derived_gradient(preset: lessons.Preset) -> None:
    tr = build(preset.program, preset.variables)
    _, by_hand = preset.by_hand(tr.variables["x"])
    assert tr.leaf_grads()["x"].tolist() == pytest.approx(by_hand.tolist())
    assert lessons.matching_preset(preset.program.replace(" ", ""), ("x",)) is preset


def test_lesson_numbers() -> None:
    grads = {p.key: build(p.program, p.variables).leaf_grads()["x"].tolist()
             for p in lessons.PRESETS}
    assert grads["basics"] == 6.0
    assert grads["graph"] == pytest.approx([8 / 3, 16 / 3, 8.0])
    assert grads["manual"] == 13.0
    assert build("f = x**2 + 3*x", "x = 5.0").output.item() == 40.0


def test_accumulation_grows_then_zeroes() -> None:
    acc = lessons.GradAccumulator(parse_variables("x = 3.0"), {})
    assert acc.backward("y1", "x**2").grads["x"].item() == 6.0
    entry = acc.backward("y2", "x + 1")
    assert (entry.added["x"].item(), entry.grads["x"].item()) == (1.0, 7.0)
    assert acc.zero().grads["x"].item() == 0.0
    assert acc.backward("y2", "x + 1").grads["x"].item() == 1.0
    assert [e.action for e in acc.log] == ["y1.backward()", "y2.backward()", "x.grad.zero_()",
                                           "y2.backward()"]
    with pytest.raises(ExprError):
        acc.backward("y1", "x.__class__")
    with pytest.raises(ExprError, match="requires_grad"):
        lessons.GradAccumulator(parse_variables("x = 3.0"), {"x": False}).backward("y1", "x")


def test_expression_errors_are_input_errors() -> None:
    """One error family: a view catches InputError for every parser of typed text."""
    with pytest.raises(InputError):
        lessons.GradAccumulator(parse_variables("x = 3.0"), {}).backward("y1", "x +")


def test_error_demos_show_pytorchs_real_messages() -> None:
    demos = lessons.error_demos()
    assert [d.message.split()[0] for d in demos] == ["grad", "Trying", "element"]
    for demo in demos:
        with pytest.raises(RuntimeError) as info:
            run_code("import torch\n" + demo.code)
        assert str(info.value).splitlines()[0] == demo.message
    assert [d.fix_result for d in demos] == ["x.grad = [2, 2, 2]", "x.grad = 12", "x.grad = 4"]
    ns, _ = run_code("import torch\n" + demos[2].fix_code)
    assert ns["x"].grad.item() == 4.0
