"""SimpleNet as a class and as Sequential: same count, same outputs once weights are shared."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ml101 import models
from ml101.inputs import InputError
from ml101.layers import simplenet


def test_lesson_simplenet_has_17_parameters() -> None:
    cmp = simplenet.compare((2, 4, 1), "ReLU", "Sigmoid", seed=0)
    assert cmp.n_params == 17 == models.count_params((2, 4, 1))
    assert [n for n, _ in cmp.net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                         "fc2.bias"]
    assert cmp.diff_before > 0
    assert cmp.diff_after == 0.0
    assert cmp.equal_after and not cmp.equal_before


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5).map(tuple),
       hidden=st.sampled_from(simplenet.HIDDEN_ACTS), output=st.sampled_from(simplenet.OUTPUT_ACTS))
def test_both_forms_agree_exactly(sizes: tuple, hidden: str, output: str) -> None:
    cmp = simplenet.compare(sizes, hidden, output, seed=1)
    assert cmp.diff_after == 0.0
    assert cmp.n_params == models.count_params(sizes)
    assert sum(p.numel() for p in cmp.seq.parameters()) == cmp.n_params


@settings(max_examples=300, deadline=200)
@given(st.text(max_size=200))
def test_parse_spec_value_or_clear_error(text: str) -> None:
    try:
        sizes = simplenet.parse_spec(text)
    except simplenet.SpecError as exc:
        assert isinstance(exc, InputError) and str(exc).endswith(f"{exc.allowed}.")
    else:
        assert 2 <= len(sizes) <= simplenet.MAX_LAYERS
        assert all(1 <= n <= simplenet.MAX_WIDTH for n in sizes)
