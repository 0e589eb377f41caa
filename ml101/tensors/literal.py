"""Safe parser for tensor literals a learner types, such as `[[1, 2], [3, 4]]`.

The text is never evaluated: it is parsed with `ast` and only a whitelist of
node kinds is accepted (numbers, lists, tuples, a leading sign, True/False,
nan and inf). Sizes are checked while walking, before anything is allocated,
so hostile input costs at most the length cap.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass

from ml101.inputs import InputError, fmt_shape

MAX_CHARS = 100_000
MAX_ELEMENTS = 10_000
MAX_DIMS = 4
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_BRACKET_DEPTH = 12  # checked on the raw text, before ast.parse can recurse

ALLOWED = (
    "numbers (1, -2.5, 1e-3), [lists] or (tuples) of them nested up to "
    f"{MAX_DIMS} deep, True/False, nan and inf; at most {MAX_ELEMENTS:,} numbers"
)

Number = bool | int | float
Nested = Number | list["Nested"]


class LiteralError(InputError):
    """Why a literal was refused."""

    allowed = ALLOWED


@dataclass(frozen=True)
class Literal:
    """A parsed literal: nested Python lists plus what torch.tensor will infer."""

    data: Nested
    shape: tuple[int, ...]
    kind: str  # "bool", "int" or "float": the dtype family torch.tensor infers

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


def _check_depth(text: str) -> None:
    depth = 0
    for col, ch in enumerate(text, start=1):
        if ch in "([{":
            depth += 1
            if depth > _MAX_BRACKET_DEPTH:
                raise LiteralError(f"brackets nested more than {MAX_DIMS} deep", col)
        elif ch in ")]}":
            depth -= 1


class _Walker:
    def __init__(self) -> None:
        self.count = 0
        self.kinds: set[str] = set()

    def scalar(self, node: ast.expr) -> Number:
        col = node.col_offset + 1
        sign = 1
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise LiteralError(f"the operator `{_op_text(node.op)}` is not a number", col)
            sign = -1 if isinstance(node.op, ast.USub) else 1
            node = node.operand
            if isinstance(node, ast.UnaryOp):
                raise LiteralError("only one sign in front of a number", col)
            if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                raise LiteralError("a sign in front of True/False", col)
        value = self._bare(node)
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise LiteralError(f"more than {MAX_ELEMENTS:,} numbers", col)
        if isinstance(value, bool):
            self.kinds.add("bool")
            return value
        value = sign * value
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise LiteralError(
                    f"{value if abs(value) < 10**30 else 'this integer'} does not fit in int64 "
                    "(about ±9.2e18); write it as a float, e.g. 1e20", col)
            self.kinds.add("int")
        else:
            self.kinds.add("float")
        return value

    def _bare(self, node: ast.expr) -> Number:
        col = node.col_offset + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool | int | float):
                return v
            if isinstance(v, complex):
                raise LiteralError("complex numbers are not supported here", col)
            raise LiteralError(f"{type(v).__name__} values such as {_short(repr(v))} "
                               "are not numbers", col)
        if isinstance(node, ast.Name):
            if node.id in ("nan", "inf"):
                return float(node.id)
            raise LiteralError(f"`{_short(node.id)}` is a name, not a number", col)
        if isinstance(node, ast.Call):
            raise LiteralError("function calls are not allowed", col)
        if isinstance(node, ast.BinOp):
            raise LiteralError("arithmetic is not evaluated; type the result instead", col)
        if isinstance(node, ast.List | ast.Tuple):
            raise LiteralError("a list where a number was expected (mixed depths)", col)
        raise LiteralError(f"{type(node).__name__} expressions are not allowed", col)

    def walk(self, node: ast.expr, depth: int) -> tuple[Nested, tuple[int, ...]]:
        if not isinstance(node, ast.List | ast.Tuple):
            return self.scalar(node), ()
        col = node.col_offset + 1
        if depth >= MAX_DIMS:
            raise LiteralError(f"more than {MAX_DIMS} dimensions", col)
        items: list[Nested] = []
        inner: tuple[int, ...] | None = None
        first_is_list = bool(node.elts) and isinstance(node.elts[0], ast.List | ast.Tuple)
        for elt in node.elts:
            is_list = isinstance(elt, ast.List | ast.Tuple)
            if is_list != first_is_list:
                raise LiteralError(
                    "ragged: numbers and lists mixed in one list; every entry at one depth "
                    "must be the same kind", elt.col_offset + 1)
            value, shape = self.walk(elt, depth + 1)
            if inner is None:
                inner = shape
            elif shape != inner:
                raise LiteralError(
                    f"ragged: this entry has shape {fmt_shape(shape)} but the first one has "
                    f"{fmt_shape(inner)}; a tensor needs every row the same length",
                    elt.col_offset + 1)
            items.append(value)
        return items, (len(items), *(inner or ()))


def parse_literal(text: str) -> Literal:
    """Parse a typed literal into nested lists; raise LiteralError on anything else."""
    text = text.strip()
    if not text:
        raise LiteralError("the literal is empty")
    if len(text) > MAX_CHARS:
        raise LiteralError(f"the text is {len(text):,} characters; the limit is {MAX_CHARS:,}")
    _check_depth(text)
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" for 1e
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise LiteralError(f"not valid syntax ({exc.msg})", exc.offset) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise LiteralError(f"cannot be read ({_short(str(exc))})") from None
    walker = _Walker()
    data, shape = walker.walk(tree.body, 0)
    kinds = walker.kinds
    kind = "float" if "float" in kinds else "int" if "int" in kinds else "bool"
    if not kinds:  # an empty list: torch.tensor([]) is float32
        kind = "float"
    return Literal(data=data, shape=shape, kind=kind)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _op_text(op: ast.unaryop) -> str:
    return {ast.Not: "not", ast.Invert: "~"}.get(type(op), type(op).__name__)
