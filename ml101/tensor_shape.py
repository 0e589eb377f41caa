"""Parser for shapes a learner types, such as `3, 4`, `(2, 6)` or `-1`.

Only digits, commas, spaces, brackets and `x` are accepted; sizes are capped
before anything is allocated.
"""

from __future__ import annotations

import math
import re

from ml101.input_error import InputError

MAX_DIMS = 4
MAX_ELEMENTS = 10_000
MAX_CHARS = 100

_ALLOWED = re.compile(r"^[\s\d,x×\-\(\)\[\]]*$")
ALLOWED = (f"up to {MAX_DIMS} whole numbers separated by commas, such as 3, 4 or (2, 6), "
           f"at most {MAX_ELEMENTS:,} elements in all")


class ShapeError(InputError):
    """Why a shape was refused."""

    allowed = ALLOWED


def parse_shape(text: str, *, allow_infer: bool = False) -> tuple[int, ...]:
    """Sizes from text; with allow_infer, one -1 may stand for 'whatever fits'."""
    if len(text) > MAX_CHARS:
        raise ShapeError(f"the text is {len(text)} characters; the limit is {MAX_CHARS}")
    if not _ALLOWED.match(text):
        bad = next(ch for ch in text if not _ALLOWED.match(ch))
        raise ShapeError(f"`{bad}` cannot appear in a shape")
    tokens = [t for t in re.split(r"[\s,x×\(\)\[\]]+", text) if t]
    if len(tokens) > MAX_DIMS:
        raise ShapeError(f"{len(tokens)} sizes; at most {MAX_DIMS} dimensions")
    sizes: list[int] = []
    for tok in tokens:
        if not re.fullmatch(r"-?\d{1,6}", tok):
            raise ShapeError(f"`{tok[:20]}` is not a size")
        sizes.append(int(tok))
    if allow_infer:
        if sizes.count(-1) > 1:
            raise ShapeError("only one size may be -1 (the one PyTorch works out)")
        bad = [s for s in sizes if s < -1]
    else:
        bad = [s for s in sizes if s < 0]
    if bad:
        raise ShapeError(f"{bad[0]} is not a valid size"
                         + ("; -1 is only allowed as the inferred size in reshape/view"
                            if allow_infer or bad[0] == -1 else ""))
    known = math.prod(s for s in sizes if s != -1)
    if known > MAX_ELEMENTS:
        raise ShapeError(f"{known:,} elements; the limit is {MAX_ELEMENTS:,}")
    return tuple(sizes)


def fmt_shape(shape: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: (4,), (2, 3), ()."""
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
