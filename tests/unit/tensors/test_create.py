"""Creation: every kind builds what its script builds, and describe() tells the truth."""

from __future__ import annotations

import pytest
import torch

from ml101.inputs import InputError
from ml101.tensors.code import code_for
from ml101.tensors.create import KINDS, CreateSpec, TensorError, create, describe
from tests.conftest import run_script as run


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", ["auto", "float64"])
def test_generated_code_rebuilds_the_tensor(kind: str, dtype: str) -> None:
    made = create(CreateSpec(kind=kind, dtype=dtype, seed=7))
    ns, printed = run(code_for(made))
    assert torch.equal(ns["t"], made.tensor)
    assert ns["t"].dtype == made.tensor.dtype
    assert str(made.tensor) in printed


def test_lesson_defaults() -> None:
    assert create(CreateSpec("arange")).tensor.tolist() == [0, 2, 4, 6, 8]
    lin = create(CreateSpec("linspace", start=0, end=1, steps=5)).tensor
    assert lin.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert create(CreateSpec("from_numpy", literal="[1.5]")).tensor.dtype == torch.float64
    assert create(CreateSpec("tensor", literal="[1.5]")).tensor.dtype == torch.float32
    z = create(CreateSpec("zeros_like", literal="[[1, 2], [3, 4]]")).tensor
    assert z.dtype == torch.int64 and z.shape == (2, 2) and not z.any()


def test_seed_gives_the_same_numbers_and_leaves_global_rng_alone() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = create(CreateSpec("randn", shape="3, 4", seed=5)).tensor
    b = create(CreateSpec("randn", shape="3, 4", seed=5)).tensor
    assert torch.equal(a, b)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(5)
    assert torch.equal(torch.randn(3, 4), a)


@pytest.mark.parametrize(("spec", "words"), [
    (CreateSpec("randn", dtype="int64"), "floating dtype"),
    (CreateSpec("tensor", literal="[300]", dtype="uint8"), "uint8"),
    (CreateSpec("tensor", literal="[nan]", dtype="int64"), "int64"),
    (CreateSpec("arange", start=0, end=10, step=-1), "step points away"),
    (CreateSpec("arange", start=0, end=1e9, step=1), "limit"),
    (CreateSpec("arange", step=0), "non-zero"),
    (CreateSpec("linspace", steps=0), "steps"),
])
def test_refusals(spec: CreateSpec, words: str) -> None:
    with pytest.raises(TensorError, match=words) as info:
        create(spec)
    assert isinstance(info.value, InputError)  # one error family for the views to catch


def test_describe_is_true_for_a_transposed_view() -> None:
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).T
    facts = {p.name: p.value for p in describe(t)}
    assert facts["shape"] == "(3, 2)" and facts["stride"] == "(1, 3)"
    assert facts["is_contiguous"] == "False" and facts["nbytes"] == "24 bytes"
    assert facts["element_size"] == "4 bytes" and facts["numel"] == "6"
    _, printed = run(code_for(create(CreateSpec("tensor", literal="[[0.0, 1.0, 2.0], "
                                                  "[3.0, 4.0, 5.0]]"))))
    assert "t.stride() (3, 1)" in printed and "t.is_contiguous() True" in printed
    assert "t.nbytes 24" in printed


def test_shapes_print_as_python_tuples() -> None:
    facts = {p.name: p.value for p in describe(torch.zeros(4))}
    assert facts["shape"] == "(4,)"
    assert {p.name: p.value for p in describe(torch.tensor(3.0))}["shape"] == "()"
