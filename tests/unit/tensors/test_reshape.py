"""Reshape, view and slicing: sharing and copying are measured, not assumed."""

from __future__ import annotations

import pytest
import torch

from ml101.tensors.create import TensorError
from ml101.tensors.reshape import shape_op, shares_storage, source, take


def test_view_refuses_a_transposed_tensor_and_reshape_copies() -> None:
    src = source("4, 5", transposed=True)
    d = src.tensor
    assert not d.is_contiguous() and src.transposed
    refused = shape_op(src, "view", "-1")
    assert refused.result is None and "strides (1, 5)" in refused.refused
    with pytest.raises(RuntimeError):
        d.view(-1)
    copied = shape_op(src, "reshape", "-1")
    assert copied.result is not None and not copied.shares_memory
    assert "copy" in copied.explanation
    assert torch.equal(copied.result, d.reshape(-1))


@pytest.mark.parametrize(("op", "arg", "shape"), [
    ("reshape", "2, 10", (2, 10)), ("view", "-1", (20,)), ("view", "5, -1", (5, 4)),
    ("flatten", "", (20,)), ("transpose", "", (5, 4)), (".T", "", (5, 4)),
    ("contiguous", "", (4, 5)),
])
def test_ops_on_a_contiguous_d_are_views(op: str, arg: str, shape: tuple) -> None:
    res = shape_op(source("4, 5", transposed=False), op, arg)
    assert tuple(res.result.shape) == shape and res.shares_memory
    assert tuple(res.numpy_result.shape) == shape


def test_shape_mismatch_and_bad_transposes() -> None:
    src = source("4, 5", transposed=False)
    with pytest.raises(TensorError, match="multiply to 20"):
        shape_op(src, "reshape", "3, 4")
    with pytest.raises(TensorError, match="multiply to 20"):
        shape_op(src, "view", "3, -1")
    with pytest.raises(TensorError, match="does not exist"):
        shape_op(src, "transpose", dim0=0, dim1=2)
    with pytest.raises(TensorError, match="2-D"):
        shape_op(source("2, 2, 5", transposed=False), ".T")


def test_take_lesson_slice() -> None:
    src = source("4, 5", transposed=False)
    d = src.tensor
    r = take(src, "d[1:3, 2:4]")
    assert r.result.tolist() == [[7, 8], [12, 13]] and r.agree
    assert shares_storage(d, r.result) and "view" in r.explanation
    fancy = take(src, "d[[0, 2]]")
    assert not shares_storage(d, fancy.result) and "copy" in fancy.explanation


def test_view_follows_strides_not_contiguity() -> None:
    """d.T is not contiguous, yet view splits its last axis and shares its memory; it is
    the order of d.T's elements in memory that makes d.T.view(20) fail."""
    src = source("4, 5", transposed=True)
    split = shape_op(src, "view", "5, 2, 2")
    assert split.result is not None and split.shares_memory
    assert torch.equal(split.result, src.tensor.view(5, 2, 2))
    assert "non-contiguous d too" in split.explanation
    flat = shape_op(src, "view", "20")
    assert flat.result is None and "no strides can read" in flat.refused
    with pytest.raises(RuntimeError):
        src.tensor.view(20)
