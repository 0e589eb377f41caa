"""Every tab's script prints the numbers the tab shows."""

from __future__ import annotations

import pytest
import torch

from ml101.tensors import ops
from ml101.tensors import reshape as tr
from ml101.tensors.code import code_for
from ml101.tensors.create import CreateSpec, create
from tests.conftest import run_script as run


def test_create_script_spells_nan_and_keeps_integer_ranges() -> None:
    made = create(CreateSpec("tensor", literal="[nan, inf, -inf, 1.5]"))
    ns, _ = run(code_for(made))
    assert torch.equal(ns["t"].isnan(), made.tensor.isnan())
    ranged = create(CreateSpec("arange", start=0, end=10, step=2))
    ns, _ = run(code_for(ranged))
    assert ns["t"].dtype == torch.int64 and torch.equal(ns["t"], ranged.tensor)
    halves = create(CreateSpec("arange", start=1, end=4, step=0.5))
    assert torch.equal(run(code_for(halves))[0]["t"], halves.tensor)


@pytest.mark.parametrize(("a", "b", "op", "dim"), [
    ("[[1, 2], [3, 4]]", "[[5, 6], [7, 8]]", "@", "all"),
    ("[[1], [2], [3]]", "[10, 20]", "*", "all"),
    ("[[1.5, 2], [3, 4]]", "[0]", "max", 1),
])
def test_operation_script_prints_the_result(a: str, b: str, op: str, dim: object) -> None:
    res = ops.operate(ops.operands(a, b, "float64"), op, dim)
    ns, printed = run(code_for(res))
    result = ns["result"].values if isinstance(ns["result"], tuple) else ns["result"]
    assert torch.equal(result, res.values) and str(res.values) in printed


def test_reshape_and_slice_scripts() -> None:
    src = tr.source("4, 5", transposed=True)
    ns, printed = run(code_for(tr.shape_op(src, "view", "5, 2, 2")))
    assert torch.equal(ns["r"], src.tensor.view(5, 2, 2))
    assert "r shares memory with d: True" in printed and "(1, 10, 5)" in printed
    _, refused = run(code_for(tr.shape_op(src, "view", "20")))
    assert "r =" not in refused
    ns, printed = run(code_for(tr.take(src, "d[::2, 1:]")))
    assert torch.equal(ns["s"], src.tensor[::2, 1:]) and "s shares memory with d: True" in printed


def test_an_operation_needs_its_operands() -> None:
    with pytest.raises(TypeError):
        code_for(ops.elementwise(torch.ones(2), torch.ones(2), "+"))
    with pytest.raises(TypeError):
        code_for("a string")
