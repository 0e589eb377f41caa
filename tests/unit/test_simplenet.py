"""SimpleNet as a class and as Sequential: same count, same outputs once weights are shared."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101 import models
from ml101.layers import simplenet


def test_lesson_simplenet_has_17_parameters() -> None:
    cmp = simplenet.compare((2, 4, 1), "ReLU", "Sigmoid", seed=0)
    assert cmp.n_params == 17 == models.count_params((2, 4, 1))
    assert [n for n, _ in cmp.net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                         "fc2.bias"]
    assert cmp.diff_before > 0
    assert cmp.diff_after == 0.0


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5).map(tuple),
       hidden=st.sampled_from(simplenet.HIDDEN_ACTS), output=st.sampled_from(simplenet.OUTPUT_ACTS))
def test_both_forms_agree_exactly(sizes: tuple, hidden: str, output: str) -> None:
    cmp = simplenet.compare(sizes, hidden, output, seed=1)
    assert cmp.diff_after == 0.0
    assert cmp.n_params == models.count_params(sizes)
    assert sum(p.numel() for p in cmp.seq.parameters()) == cmp.n_params


@pytest.mark.parametrize("spec", ["2-4-1", "2-16-16-1", "3-1"])
def test_generated_code_prints_the_page_numbers(spec: str) -> None:
    sizes = simplenet.parse_spec(spec)
    cmp = simplenet.compare(sizes, "Tanh", "Sigmoid", seed=5)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(simplenet.code_for(sizes, "Tanh", "Sigmoid", seed=5), {})
    out = buf.getvalue()
    assert str(cmp.net) in out
    assert f"parameters: {cmp.n_params}" in out
    assert f"before copying: {cmp.diff_before}" in out
    assert "identical: True" in out
    assert str(cmp.out_net.squeeze(-1).tolist()) in out


@settings(max_examples=300, deadline=200)
@given(st.text(max_size=200))
def test_parse_spec_value_or_clear_error(text: str) -> None:
    try:
        sizes = simplenet.parse_spec(text)
    except simplenet.SpecError as exc:
        assert str(exc)
    else:
        assert 2 <= len(sizes) <= simplenet.MAX_LAYERS
        assert all(1 <= n <= simplenet.MAX_WIDTH for n in sizes)
