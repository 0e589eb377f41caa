"""What every parser of typed input shares: one error family, one shape parser, one way
to print a shape.

Shapes accept only digits, commas, spaces, brackets and `x`; sizes are capped
before anything is allocated.
"""

from __future__ import annotations

import math
import re

MAX_DIMS = 4
MAX_ELEMENTS = 10_000
MAX_CHARS = 100
MAX_DIGITS = 6  # a single size of a million or more is a typo, whatever the limits

_ALLOWED = re.compile(r"^[\s\d,x×\-\(\)\[\]]*$")


class InputError(ValueError):
    """What was wrong with the text, where (1-based column, if known), and what is allowed.

    Subclasses set `allowed`, so every message ends by telling the learner what to type;
    a parser whose limits vary per call passes its own.
    """

    allowed = ""

    def __init__(self, problem: str, column: int | None = None,
                 allowed: str | None = None) -> None:
        self.problem = problem
        self.column = column
        if allowed is not None:
            self.allowed = allowed
        where = f"Column {column}: " if column is not None else ""
        super().__init__(f"{where}{problem}. Allowed: {self.allowed}.")


def shape_rule(max_dims: int = MAX_DIMS, max_elements: int = MAX_ELEMENTS,
               min_size: int = 0) -> str:
    """What a shape may be under these limits, in words."""
    least = "" if min_size == 0 else f", each at least {min_size}"
    return (f"up to {max_dims} whole numbers separated by commas, such as 3, 4 or (2, 6)"
            f"{least}, at most {max_elements:,} elements in all")


class ShapeError(InputError):
    """Why a shape was refused."""

    allowed = shape_rule()


def parse_shape(text: str, *, allow_infer: bool = False, max_dims: int = MAX_DIMS,
                max_elements: int = MAX_ELEMENTS, min_size: int = 0) -> tuple[int, ...]:
    """Sizes from text such as `3, 4`, `(2, 6)` or `8x3x28x28`; with allow_infer, one -1
    may stand for 'whatever fits'. The limits differ per page (a tensor that is really
    allocated, or a layer probed on the meta device), the rules do not."""
    rule = shape_rule(max_dims, max_elements, min_size)

    def refuse(problem: str) -> ShapeError:
        return ShapeError(problem, allowed=rule)

    if len(text) > MAX_CHARS:
        raise refuse(f"the text is {len(text)} characters; the limit is {MAX_CHARS}")
    if not _ALLOWED.match(text):
        bad = next(ch for ch in text if not _ALLOWED.match(ch))
        raise refuse(f"`{bad}` cannot appear in a shape")
    tokens = [t for t in re.split(r"[\s,x×\(\)\[\]]+", text) if t]
    if len(tokens) > max_dims:
        raise refuse(f"{len(tokens)} sizes; at most {max_dims} dimensions")
    sizes: list[int] = []
    for tok in tokens:
        if not re.fullmatch(rf"-?\d{{1,{MAX_DIGITS}}}", tok):
            raise refuse(f"`{tok[:20]}` is not a size")
        sizes.append(int(tok))
    if allow_infer:
        if sizes.count(-1) > 1:
            raise refuse("only one size may be -1 (the one PyTorch works out)")
        bad = [s for s in sizes if s < -1 or 0 <= s < min_size]
    else:
        bad = [s for s in sizes if s < min_size]
    if bad:
        raise refuse(f"{bad[0]} is not a valid size"
                     + ("; -1 is only allowed as the inferred size in reshape/view"
                        if bad[0] == -1 else ""))
    known = math.prod(s for s in sizes if s != -1)
    if known > max_elements:
        raise refuse(f"{known:,} elements; the limit is {max_elements:,}")
    return tuple(sizes)


def fmt_shape(shape: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: (4,), (2, 3), ()."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
