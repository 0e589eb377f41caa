"""Numbers into words: the pieces every chart description is made of."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from ml101.prose import listed, num, trend


def test_a_curve_that_turns_says_where() -> None:
    words = trend([0.69, 0.4, 0.18, 0.2, 0.23], [1, 2, 7, 8, 9])
    assert words == "fell from 0.69 to 0.18 by epoch 7, then rose to 0.23 by epoch 9"


def test_a_steady_fall_and_a_flat_line() -> None:
    assert trend([4.0, 2.0, 1.0], step="step") == "fell from 4 at step 1 to 1 at step 3"
    assert trend([1.0, 1.0, 1.0]).startswith("stays near 1")
    assert trend([None, float("nan")]) == "has no finite value yet"


def test_numbers_read_like_labels() -> None:
    assert num(0.693147) == "0.693" and num(0) == "0" and num(1.5e-7) == "1.5e-07"
    assert num(float("inf")) == "infinity" and num(None) == "no number"
    assert listed(["a", "b", "c"]) == "a, b and c" and listed(["a"]) == "a"


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
                max_size=40))
def test_any_curve_gets_a_sentence(values: list[float | None]) -> None:
    words = trend(values)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    assert words
    if finite:
        assert num(finite[-1]) in words
