"""What each op costs: FLOP and byte counts against counted loops and torch's own counter,
and arithmetic intensity per dtype."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ml101.bench import ops


def _count_matmul_flops(n: int) -> int:
    """Count the multiplies and adds of the schoolbook algorithm, one by one."""
    flops = 0
    for _i, _j in itertools.product(range(n), range(n)):
        for _k in range(n):
            flops += 2  # one multiply, one add into the accumulator
    return flops


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_matmul_flops_match_a_counted_loop(n: int) -> None:
    assert ops.matmul_flops(n) == _count_matmul_flops(n)


def test_byte_counts_equal_the_tensors_touched() -> None:
    for dtype in ops.DTYPES.values():
        a = torch.zeros(7, 7, dtype=dtype)
        touched = 3 * a.nbytes  # A, B read; C written
        assert ops.matmul_bytes(7, a.element_size()) == touched
        assert ops.add_bytes(7, a.element_size()) == touched
        assert ops.copy_bytes(7, a.element_size()) == a.nbytes


def test_add_does_one_flop_per_element() -> None:
    assert ops.add_flops(1000) == 1_000_000


def test_counts_agree_with_torchs_own_flop_counter() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    f = ops.LINEAR_FEATURES
    a = torch.randn(48, 48)
    with FlopCounterMode(display=False) as counter:
        torch.matmul(a, a)
    assert counter.get_total_flops() == ops.matmul_flops(48)
    layer, x = torch.nn.Linear(f, f), torch.randn(8, f)
    with FlopCounterMode(display=False) as counter:
        layer(x)
    # torch counts the matmul part of addmm; the bias adds one FLOP per output
    assert counter.get_total_flops() + 8 * f == ops.linear_flops(8)


def test_linear_bytes_are_input_weights_bias_and_output() -> None:
    f = ops.LINEAR_FEATURES
    layer = torch.nn.Linear(f, f)
    params = sum(p.numel() for p in layer.parameters())
    assert ops.linear_bytes(8, 4) == (params + 2 * 8 * f) * 4


@given(st.integers(1, 10_000))
def test_matmul_intensity_grows_with_n(n: int) -> None:
    assert ops.matmul_flops(n) * 6 == ops.matmul_bytes(n, 4) * n  # n/6 FLOP per byte


@pytest.mark.parametrize(("dtype", "bytes_per_flop"), [
    ("float32", 12), ("float64", 24), ("float16", 6), ("bfloat16", 6)])
def test_add_intensity_depends_on_the_dtype(dtype: str, bytes_per_flop: int) -> None:
    """'1 FLOP per 12 bytes' holds for float32 only: three numbers of itemsize bytes each."""
    assert ops.intensity("add", 512, dtype) == pytest.approx(1 / bytes_per_flop)


def test_matmul_intensity_is_2n_over_3_itemsizes() -> None:
    assert ops.intensity("matmul", 1024, "float32") == pytest.approx(1024 / 6)
    assert ops.intensity("matmul", 1024, "float64") == pytest.approx(1024 / 12)
    assert ops.intensity("matmul", 1024, "bfloat16") == pytest.approx(1024 / 3)


def test_size_grid_is_powers_of_two() -> None:
    assert ops.size_grid(16, 1024) == [16, 32, 64, 128, 256, 512, 1024]
    assert ops.size_grid(20, 100) == [32, 64]
    assert ops.size_grid(1, 10**9)[-1] == ops.MAX_SIZE
