"""Operations: broadcasting explained per axis, matmul's rule, reductions, NumPy agreement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml101.tensors.create import TensorError
from ml101.tensors.ops import (
    agreement,
    broadcast,
    elementwise,
    matmul,
    operands,
    operate,
    reduce,
)

A = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
B = torch.tensor([[5.0, 6.0], [7.0, 8.0]])


def test_broadcast_rows_say_who_stretches() -> None:
    bc = broadcast((3, 1), (4,))
    assert bc.ok and bc.out_shape == (3, 4)
    assert "A has no axis" not in bc.rows[0].note and "B has no axis" in bc.rows[0].note
    assert bc.rows[1].note.startswith("A has size 1") and "4 times" in bc.rows[1].note
    assert bc.out_shape == tuple(torch.broadcast_shapes((3, 1), (4,)))


def test_broadcast_clash_names_the_axis() -> None:
    bc = broadcast((2, 3), (4, 3))
    assert not bc.ok and "axis 0" in bc.message and "size 2" in bc.message
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3) + torch.zeros(4, 3)


@pytest.mark.parametrize(("a", "b"), [((2, 3), (3,)), ((1,), (5, 1, 2)), ((), (2, 2)),
                                      ((4, 1, 3), (2, 1)), ((2, 0), (1,))])
def test_broadcast_agrees_with_torch(a: tuple, b: tuple) -> None:
    assert broadcast(a, b).out_shape == tuple(torch.broadcast_shapes(a, b))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_elementwise_on_the_lesson_tensors(op: str) -> None:
    res = elementwise(A, B, op)
    assert res.agree
    expected = {"+": A + B, "-": A - B, "*": A * B, "/": A / B, "**": A**B}[op]
    assert torch.equal(res.result, expected)


def test_int_division_agrees_in_value_not_dtype() -> None:
    res = elementwise(torch.tensor([1, 2]), torch.tensor([2, 4]), "/")
    assert res.agree and res.result.dtype == torch.float32
    assert "float64" in res.agreement


def test_int_to_negative_power_splits_torch_and_numpy() -> None:
    res = elementwise(torch.tensor([2]), torch.tensor([-1]), "**")
    assert res.result.tolist() == [0]  # torch truncates 2 ** -1 = 0.5 to an integer
    assert not res.agree and "NumPy refused" in res.agreement


def test_matmul_rule() -> None:
    res = matmul(A, B, "@")
    assert res.result.tolist() == [[19.0, 22.0], [43.0, 50.0]] and res.agree
    assert "(n, k) @ (k, m)" in res.explanation
    with pytest.raises(TensorError, match="A's last axis has 3 and B's second-to-last axis has 2"):
        matmul(torch.zeros(2, 3), torch.zeros(2, 3), "@")
    with pytest.raises(TensorError, match="two 2-D"):
        matmul(torch.zeros(3), torch.zeros(3), "torch.mm")
    vec = matmul(torch.ones(2, 3), torch.ones(3), "@")
    assert vec.result.shape == (2,) and vec.agree


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dim", ["all", 0, 1])
def test_reductions_agree_with_numpy(op: str, dim: object) -> None:
    d = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    res = reduce(d, op, dim)
    assert res.agree, res.agreement
    if dim != "all":
        assert f"collapses axis {dim}" in res.explanation
        assert res.values.shape == tuple(s for i, s in enumerate(d.shape) if i != dim)


def test_max_with_dim_returns_indices_and_keepdim_keeps_the_axis() -> None:
    res = reduce(A, "max", 1, keepdim=True)
    values, indices = res.result
    assert values.tolist() == [[2.0], [4.0]] and indices.tolist() == [[1], [1]]
    assert np.array_equal(res.numpy_result[1], indices.numpy())


def test_mean_of_integers_is_explained() -> None:
    with pytest.raises(TensorError, match="float"):
        reduce(torch.tensor([1, 2]), "mean")


def test_agreement_notices_differences() -> None:
    ok, how = agreement(torch.tensor([1.0, 2.0]), np.array([1.0, 2.5]))
    assert not ok and "differ" in how
    ok, _ = agreement(torch.tensor([float("nan")]), np.array([np.nan]))
    assert ok


def test_operands_name_the_refused_one_and_operate_dispatches() -> None:
    with pytest.raises(TensorError, match=r"^B: Column 10: ragged"):
        operands("[1, 2]", "[[1, 2], [3]]")
    x = operands("[[1, 2], [3, 4]]", "[10, 20]", "float32")
    assert x.a.dtype == x.b.dtype == torch.float32
    added = operate(x, "+")
    assert added.values.tolist() == [[11.0, 22.0], [13.0, 24.0]] and added.operands is x
    assert operate(x, "sum", 0).values.tolist() == [4.0, 6.0]
    assert operate(operands("[[1, 2], [3, 4]]", "[[1], [1]]"), "@").values.tolist() == [[3], [7]]
