"""Safe parser for typed indexing such as `d[1:3, 2:4]`, `[:, 0]`, `0` or `...`.

Parsed with `ast` against a whitelist (integers, slices with positive steps,
`...`, `None`, and short lists of integers), checked against the tensor's shape,
and returned with a mask of the cells it selects so the grid can highlight them.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml101.inputs import InputError, fmt_shape

MAX_CHARS = 500
MAX_ITEMS = 8
MAX_LIST = 1_000

ALLOWED = (
    "integers (negative ones count from the end), slices start:stop:step with a positive "
    "step, `...`, `None`, and lists of integers such as [0, 2]; for example d[1:3, 2:4]"
)

_NAMED = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[(.*)\]\s*$", re.DOTALL)
_BARE = re.compile(r"^\s*\[(.*)\]\s*$", re.DOTALL)


class IndexParseError(InputError):
    """Why an index was refused."""

    allowed = ALLOWED


@dataclass(frozen=True)
class Index:
    """A parsed index: the key to use on a tensor, its text, and what it selects."""

    key: tuple[Any, ...]
    text: str  # canonical form, e.g. "1:3, 2:4", to write as d[1:3, 2:4]
    mask: np.ndarray  # bool, the tensor's shape: True where a cell is selected
    result_shape: tuple[int, ...]
    is_view: bool  # basic indexing gives a view; integer lists copy


def parse_index(text: str, shape: tuple[int, ...], name: str = "d") -> Index:
    """Parse index text for a tensor of `shape` called `name`."""
    if len(text) > MAX_CHARS:
        raise IndexParseError(f"the text is {len(text):,} characters; the limit is {MAX_CHARS}")
    inner, offset = _inner(text, name)
    if not inner.strip():
        raise IndexParseError("the index is empty", offset + 1)
    for bad in "({":
        if bad in inner:
            raise IndexParseError("parentheses, calls and braces are not allowed in an index",
                                  offset + inner.index(bad) + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(f"_[{inner}]", mode="eval")
    except SyntaxError as exc:
        col = None if exc.offset is None else max(1, exc.offset - 2 + offset)
        raise IndexParseError(f"not valid index syntax ({exc.msg})", col) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise IndexParseError(f"cannot be read ({exc})") from None
    sub = tree.body
    assert isinstance(sub, ast.Subscript)  # noqa: S101 - "_[...]" always parses to one
    nodes = list(sub.slice.elts) if isinstance(sub.slice, ast.Tuple) else [sub.slice]
    if len(nodes) > MAX_ITEMS:
        raise IndexParseError(f"{len(nodes)} index items; at most {MAX_ITEMS}")
    items = [_item(n, offset) for n in nodes]
    key = _check(items, nodes, shape, offset)
    flat = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    try:
        picked = flat[key]
    except IndexError as exc:  # e.g. lists that do not broadcast together
        raise IndexParseError(f"NumPy and PyTorch refuse this ({exc})") from None
    mask = np.zeros(flat.size, dtype=bool)
    mask[np.asarray(picked).ravel()] = True
    return Index(
        key=key,
        text=", ".join(_canon(i) for i in items),
        mask=mask.reshape(shape),
        result_shape=tuple(np.shape(picked)),
        is_view=not any(isinstance(i, list) for i in items),
    )


def _inner(text: str, name: str) -> tuple[str, int]:
    """The text between the subscript brackets, and where it starts in `text`."""
    m = _NAMED.match(text)
    if m:
        if m.group(1) != name:
            raise IndexParseError(f"the tensor here is called `{name}`, not `{m.group(1)[:30]}`",
                                  m.start(1) + 1)
        return m.group(2), m.start(2)
    m = _BARE.match(text)
    if m and _balanced_outer(m.group(1)):
        return m.group(1), m.start(1)
    return text, 0


def _balanced_outer(inner: str) -> bool:
    """True when `[...]` wraps the whole text (not `[0, 1], [2]`-style lists)."""
    depth = 0
    for ch in inner:
        depth += ch == "["
        depth -= ch == "]"
        if depth < 0:
            return False
    return depth == 0


def _int(node: ast.expr, offset: int) -> int:
    col = node.col_offset - 1 + offset
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if node.value > 10**9:
            raise IndexParseError("that integer is far larger than any axis here", col)
        return sign * node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        raise IndexParseError("indices must be integers, not floats", col)
    if isinstance(node, ast.Name):
        raise IndexParseError(f"`{node.id[:30]}` is a name; only integers are allowed", col)
    raise IndexParseError(f"{type(node).__name__} expressions are not allowed here", col)


def _item(node: ast.expr, offset: int) -> Any:
    col = node.col_offset - 1 + offset
    if isinstance(node, ast.Slice):
        start = None if node.lower is None else _int(node.lower, offset)
        stop = None if node.upper is None else _int(node.upper, offset)
        step = None if node.step is None else _int(node.step, offset)
        if step is not None and step < 0:
            raise IndexParseError(
                "negative steps such as ::-1 are refused by PyTorch ('step must be greater "
                "than zero'), although NumPy accepts them; use torch.flip(d, dims=[0]) to "
                "reverse an axis", col)
        if step == 0:
            raise IndexParseError("a slice step of 0 never moves; use a positive step", col)
        return slice(start, stop, step)
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.List):
        if not node.elts:
            raise IndexParseError("an empty list selects nothing; give at least one integer", col)
        if len(node.elts) > MAX_LIST:
            raise IndexParseError(f"lists of at most {MAX_LIST} integers", col)
        return [_int(e, offset) for e in node.elts]
    return _int(node, offset)


def _check(items: list[Any], nodes: list[ast.expr], shape: tuple[int, ...],
           offset: int) -> tuple[Any, ...]:
    """Match items to axes and check bounds, with messages that name the axis."""
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexParseError("at most one `...` in an index")
    consuming = [i for i in items if i is not None and i is not Ellipsis]
    ndim = len(shape)
    if len(consuming) > ndim:
        raise IndexParseError(
            f"{len(consuming)} indices for a {ndim}-D tensor of shape {fmt_shape(shape)}; "
            f"give at most {ndim}")
    axis = 0
    for item, node in zip(items, nodes, strict=True):
        col = node.col_offset - 1 + offset
        if item is Ellipsis:
            axis += ndim - len(consuming)
            continue
        if item is None:
            continue
        size = shape[axis]
        for v in item if isinstance(item, list) else [item] if isinstance(item, int) else []:
            if not -size <= v < size:
                raise IndexParseError(
                    f"index {v} is out of range for axis {axis}, which has size {size} "
                    f"(valid: {-size} to {size - 1})", col)
        axis += 1
    return tuple(items)


def _canon(item: Any) -> str:
    if item is Ellipsis:
        return "..."
    if item is None:
        return "None"
    if isinstance(item, list):
        return "[" + ", ".join(map(str, item)) + "]"
    if isinstance(item, slice):
        parts = ["" if item.start is None else str(item.start),
                 "" if item.stop is None else str(item.stop)]
        if item.step is not None:
            parts.append(str(item.step))
        return ":".join(parts)
    return str(item)
