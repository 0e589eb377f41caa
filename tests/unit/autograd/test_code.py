"""The scripts behind "Show the code" print the numbers the page shows."""

from __future__ import annotations

import pytest

from ml101.autograd import lessons
from ml101.autograd.code import code_for
from ml101.autograd.expression import parse_variables
from tests.conftest import run_script as run_code
from tests.unit.autograd.helpers import build


@pytest.mark.parametrize("preset", lessons.PRESETS, ids=lambda p: p.key)
def test_graph_script_reproduces_every_grad(preset: lessons.Preset) -> None:
    tr = build(preset.program, preset.variables)
    ns, printed = run_code(code_for(tr))
    assert ns["x"].grad.tolist() == pytest.approx(tr.leaf_grads()["x"].tolist())
    assert f"x.grad = {ns['x'].grad!s}" in printed


def test_graph_script_keeps_constants_constant() -> None:
    tr = build("x * w", "x = [1.0, 2.0]; w = 3.0", w=False)
    ns, printed = run_code(code_for(tr))
    assert ns["w"].grad is None and "w.grad = None" in printed
    assert ns["x"].grad.tolist() == [3.0, 3.0]


def test_accumulation_script_replays_the_presses() -> None:
    acc = lessons.GradAccumulator(parse_variables("x = 3.0"), {})
    acc.backward("y1", "x**2")
    acc.backward("y2", "x + 1")
    acc.zero()
    acc.backward("y2", "x + 1")
    _, printed = run_code(code_for(acc))
    assert printed.splitlines() == [f"x.grad = tensor({g}.)" for g in (6, 7, 0, 1)]


def test_only_page_objects_have_a_script() -> None:
    with pytest.raises(TypeError):
        code_for(3)
