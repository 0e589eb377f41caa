"""Numbers into words, for the one-sentence text alternative every chart carries.

A screen reader reads a chart's description instead of its marks, so the description must
say what a sighted learner reads off the picture: where a curve starts, where it turns,
where it ends. Each concept's `describe.py` builds its sentences from these pieces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def num(v: float | None, digits: int = 3) -> str:
    """A number as a chart label shows it: a few significant digits, no float noise."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "no number"
    if isinstance(v, float) and math.isinf(v):
        return "infinity" if v > 0 else "minus infinity"
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e6:
        return f"{v:.{digits}g}"
    return f"{v:.{digits}g}"


def pct(v: float | None) -> str:
    return "no number" if v is None else f"{v:.0%}"


def listed(parts: Sequence[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {last} {parts[-1]}"


def trend(values: Sequence[float | None], steps: Sequence[int] | None = None,
          step: str = "epoch", fmt=num) -> str:
    """How a curve moves: 'fell from 0.69 to 0.18 by epoch 7, then rose to 0.23'.

    `steps` are the x values (1, 2, ... by default); gaps (None, NaN) are skipped."""
    xs = list(steps) if steps is not None else list(range(1, len(values) + 1))
    pts = [(x, v) for x, v in zip(xs, values, strict=True)
           if v is not None and math.isfinite(v)]
    if not pts:
        return "has no finite value yet"
    (x0, first), (x1, last) = pts[0], pts[-1]
    if len(pts) == 1:
        return f"is {fmt(first)} at {step} {x0}"
    lo_x, lo = min(pts, key=lambda p: p[1])
    hi_x, hi = max(pts, key=lambda p: p[1])
    span = max(abs(hi - lo), 1e-12)
    if abs(last - first) < 0.02 * max(abs(first), abs(last), 1e-12) and span < 0.05 * abs(
            first or 1):
        return f"stays near {fmt(first)} from {step} {x0} to {x1}"
    falls = last < first
    turn_x, turn = (lo_x, lo) if falls or lo < first else (hi_x, hi)
    # a curve that turns back by more than a twentieth of its range says so
    if turn_x not in (x0, x1) and abs(last - turn) > 0.05 * span:
        first_way = "fell" if turn < first else "rose"
        back = "rose" if turn < first else "fell"
        return (f"{first_way} from {fmt(first)} to {fmt(turn)} by {step} {turn_x}, then "
                f"{back} to {fmt(last)} by {step} {x1}")
    way = "fell" if falls else "rose"
    return f"{way} from {fmt(first)} at {step} {x0} to {fmt(last)} at {step} {x1}"
