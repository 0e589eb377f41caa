"""The index parser: it selects what torch selects, refuses clearly, and survives
hostile text."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.tensors.index import IndexParseError, parse_index

D = torch.arange(20).reshape(4, 5)


@pytest.mark.parametrize(("text", "shape", "selected", "view"), [
    ("d[1:3, 2:4]", (2, 2), [7, 8, 12, 13], True),
    ("[:, 0]", (4,), [0, 5, 10, 15], True),
    ("0", (5,), [0, 1, 2, 3, 4], True),
    ("d[0]", (5,), [0, 1, 2, 3, 4], True),
    ("...", (4, 5), list(range(20)), True),
    ("d[..., -1]", (4,), [4, 9, 14, 19], True),
    ("d[::2, 1:]", (2, 4), [1, 2, 3, 4, 11, 12, 13, 14], True),
    ("d[None, 1]", (1, 5), [5, 6, 7, 8, 9], True),
    ("d[[0, 2]]", (2, 5), [0, 1, 2, 3, 4, 10, 11, 12, 13, 14], False),
    ("d[-1, -1]", (), [19], True),
    ("  d [ 3 , 1 : ]  ", (4,), [16, 17, 18, 19], True),
])
def test_selection_matches_torch(text: str, shape: tuple[int, ...], selected: list[int],
                                 view: bool) -> None:
    idx = parse_index(text, (4, 5))
    got = D[idx.key]
    assert tuple(got.shape) == shape == idx.result_shape
    assert sorted(np.flatnonzero(idx.mask).tolist()) == selected
    assert sorted(set(got.flatten().tolist())) == selected
    assert idx.is_view is view
    assert torch.equal(D[eval(f"np.s_[{idx.text}]", {"np": np})], got)  # noqa: S307 - test only


@pytest.mark.parametrize(("text", "words"), [
    ("d[::-1]", "PyTorch"),
    ("d[::0]", "step of 0"),
    ("d[4]", "out of range for axis 0, which has size 4"),
    ("d[0, 5]", "out of range for axis 1, which has size 5"),
    ("d[0, 0, 0]", "3 indices for a 2-D tensor"),
    ("x[0]", "called `d`"),
    ("d[__import__('os')]", "parentheses"),
    ("d[a.b]", "Attribute"),
    ("d[1.5]", "integers, not floats"),
    ("d[..., ...]", "at most one"),
    ("d[[]]", "empty list"),
    ("d[1:3", "syntax"),
    ("d[]", "empty"),
    ("d[i]", "`i` is a name"),
])
def test_refusals_say_why(text: str, words: str) -> None:
    with pytest.raises(IndexParseError) as info:
        parse_index(text, (4, 5))
    assert words in str(info.value) and "Allowed:" in str(info.value)


def test_negative_step_explains_the_difference_from_numpy() -> None:
    with pytest.raises(IndexParseError) as info:
        parse_index("d[::-1]", (4, 5))
    msg = str(info.value)
    assert "step must be greater than zero" in msg and "NumPy" in msg and "flip" in msg
    assert info.value.column == 3
    with pytest.raises(ValueError, match="step must be greater than zero"):
        D[::-1]  # the claim about PyTorch is true


HOSTILE = ["__import__('os')", "().__class__", "9**9**9", "d[9**9**9]", "d[" + "[" * 400 + "0",
           "d[" + "0," * 400 + "]", "d[" + "1" * 400 + "]", "lambda: 0", "d[:, :, :, :, :, :]",
           "d[0:99999999999999999999]", "d['a']", "d[b'0']", "\x00", "d[0]; import os",
           "d[{0}]", "d[*[0]]", "d[0 if 1 else 2]", "d[(yield)]", "d[[0, 1], [0, 1, 2]]"]


def _index_or_refuse(text: str, shape: tuple[int, ...] = (4, 5)) -> None:
    start = time.perf_counter()
    try:
        idx = parse_index(text, shape)
    except IndexParseError:
        pass
    else:
        t = torch.arange(int(np.prod(shape))).reshape(shape)
        assert tuple(t[idx.key].shape) == idx.result_shape
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_index_text(text: str) -> None:
    _index_or_refuse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_random_text(text: str) -> None:
    _index_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="d[]:,.-0123456789 N", max_size=40),
       st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple))
def test_near_miss_indices_agree_with_torch(text: str, shape: tuple[int, ...]) -> None:
    _index_or_refuse(text, shape)
