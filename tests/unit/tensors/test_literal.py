"""The literal parser: what it accepts, what it refuses and why, and that hostile
text only ever yields a value or a LiteralError, quickly."""

from __future__ import annotations

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.tensors.literal import MAX_CHARS, MAX_ELEMENTS, LiteralError, parse_literal


@pytest.mark.parametrize(("text", "shape", "kind"), [
    ("[[1, 2], [3, 4]]", (2, 2), "int"),
    ("[1, 2.5, -3]", (3,), "float"),
    ("((1, 2), (3, 4))", (2, 2), "int"),
    ("[True, False]", (2,), "bool"),
    ("[True, 2]", (2,), "int"),
    ("7", (), "int"),
    ("-1e-3", (), "float"),
    ("[]", (0,), "float"),
    ("[[], []]", (2, 0), "float"),
    ("[[[[1]]]]", (1, 1, 1, 1), "int"),
    ("[nan, inf, -inf]", (3,), "float"),
    ("[-9223372036854775808, 9223372036854775807]", (2,), "int"),
])
def test_accepts_what_torch_tensor_accepts(text: str, shape: tuple[int, ...], kind: str) -> None:
    lit = parse_literal(text)
    assert lit.shape == shape and lit.kind == kind
    t = torch.tensor(lit.data)
    assert tuple(t.shape) == shape
    expected = {"int": torch.int64, "float": torch.float32, "bool": torch.bool}[kind]
    assert t.dtype == expected


def test_nan_and_inf_become_floats() -> None:
    data = parse_literal("[nan, -inf]").data
    assert math.isnan(data[0]) and data[1] == -math.inf


@pytest.mark.parametrize(("text", "words", "column"), [
    ("[[1, 2], [3]]", "ragged", 10),
    ("[1, [2]]", "ragged", 5),
    ("__import__('os')", "function calls", 1),
    ("().__class__", "Attribute", 1),
    ("9**9**9", "arithmetic", 1),
    ("[1, x]", "`x` is a name", 5),
    ("[1, 'a']", "str values", 5),
    ("[1j]", "complex", 2),
    ("[[[[[1]]]]]", "more than 4 dimensions", 5),
    ("[1, 2", "not valid syntax", None),
    ("[9223372036854775808]", "int64", 2),
    ("[-9223372036854775809]", "int64", 2),
    ("[--1]", "one sign", 2),
    ("[not 1]", "not", 2),
    ("[-True]", "sign in front of True", 2),
    ("", "empty", None),
    ("{1: 2}", "Dict", 1),
])
def test_refusals_name_the_problem_and_column(text: str, words: str, column: int | None) -> None:
    with pytest.raises(LiteralError) as info:
        parse_literal(text)
    assert words in str(info.value)
    assert "Allowed:" in str(info.value)
    if column is not None:
        assert info.value.column == column


def test_element_cap_is_enforced_while_walking() -> None:
    ok = "[" + ", ".join(["1"] * MAX_ELEMENTS) + "]"
    assert parse_literal(ok).numel == MAX_ELEMENTS
    with pytest.raises(LiteralError, match="more than 10,000"):
        parse_literal("[" + ", ".join(["1"] * (MAX_ELEMENTS + 1)) + "]")


def test_length_cap_comes_before_parsing() -> None:
    with pytest.raises(LiteralError, match="limit"):
        parse_literal("[" + "1," * MAX_CHARS + "]")


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    start = time.perf_counter()
    with pytest.raises(LiteralError, match="nested"):
        parse_literal("[" * 50_000 + "]" * 50_000)
    assert time.perf_counter() - start < 1


HOSTILE = [
    "__import__('os').system('echo hi')", "().__class__.__bases__[0].__subclasses__()",
    "9**9**9", "[9**9**9]", "lambda: 1", "[1 for _ in range(10**9)]", "open('/etc/passwd')",
    "1" * 5000, "[" + "1" * 5000 + "]", "[" * 300, "(" * 300 + ")" * 300, "\x00", "[1]\n[2]",
    "torch.zeros(10**12)", "[1e400, -1e400]", "[1, 2] * 10**9", "{" * 100, "'a' * 10**9",
    "[[1, 2], [3, 4]]; import os", "#", "[1, 2]  # comment",
]


def _parse_or_refuse(text: str) -> None:
    start = time.perf_counter()
    try:
        lit = parse_literal(text)
    except LiteralError:
        pass
    else:
        assert lit.numel <= MAX_ELEMENTS and len(lit.shape) <= 4
        torch.tensor(lit.data)  # what the parser accepts, torch can build
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_a_value_or_a_clear_error(text: str) -> None:
    _parse_or_refuse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_escapes(text: str) -> None:
    _parse_or_refuse(text)


_ALPHABET = "[](),-+.e0123456789 jnaiTrueFlsf_*x'"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=120))
def test_near_miss_literals_never_escape(text: str) -> None:
    _parse_or_refuse(text)


_numbers = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, width=32),
                     st.booleans())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_numbers, min_size=3, max_size=3), min_size=1, max_size=5))
def test_round_trip_of_real_matrices(rows: list[list[object]]) -> None:
    lit = parse_literal(repr(rows))
    assert lit.shape == (len(rows), 3)
    assert torch.equal(torch.tensor(lit.data), torch.tensor(rows))
