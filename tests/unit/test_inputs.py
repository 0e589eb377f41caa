"""Shape text: accepted forms, caps, and the -1 rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.inputs import ShapeError, fmt_shape, parse_shape


@pytest.mark.parametrize(("text", "shape"), [
    ("2, 3", (2, 3)), ("(2, 6)", (2, 6)), ("[4]", (4,)), ("3x4", (3, 4)), ("", ()),
    ("1 2 3 4", (1, 2, 3, 4)), ("0, 5", (0, 5)),
])
def test_forms(text: str, shape: tuple[int, ...]) -> None:
    assert parse_shape(text) == shape


@pytest.mark.parametrize(("text", "words"), [
    ("1, 2, 3, 4, 5", "at most 4"), ("100, 101", "10,000"), ("2, a", "`a` cannot"),
    ("-1, 2", "only allowed as the inferred size"), ("1" * 200, "limit"), ("9999999", "not a size"),
])
def test_refusals(text: str, words: str) -> None:
    with pytest.raises(ShapeError, match=words):
        parse_shape(text)


def test_infer() -> None:
    assert parse_shape("-1", allow_infer=True) == (-1,)
    assert parse_shape("2, -1", allow_infer=True) == (2, -1)
    with pytest.raises(ShapeError, match="only one"):
        parse_shape("-1, -1", allow_infer=True)


def test_fmt_shape() -> None:
    assert fmt_shape((4,)) == "(4,)" and fmt_shape(()) == "()" and fmt_shape((2, 3)) == "(2, 3)"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_random_text(text: str) -> None:
    try:
        shape = parse_shape(text, allow_infer=True)
    except ShapeError:
        return
    assert len(shape) <= 4 and all(s >= -1 for s in shape)
