"""Creating tensors the lesson's ways, and describing them.

`create` returns the tensor with the settings that made it, so `ml101.tensors.code` can
write the script that rebuilds it and a test can check the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ml101 import runtime
from ml101.inputs import MAX_ELEMENTS, InputError, fmt_shape, parse_shape
from ml101.tensors.literal import Literal, parse_literal

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
    "int64": torch.int64, "int32": torch.int32, "uint8": torch.uint8, "bool": torch.bool,
}
AUTO = "auto"
KINDS = ("tensor", "from_numpy", "zeros", "ones", "randn", "rand", "arange", "linspace",
         "zeros_like")
RANDOM_KINDS = ("randn", "rand")
SHAPED_KINDS = ("zeros", "ones", "randn", "rand")
LITERAL_KINDS = ("tensor", "from_numpy", "zeros_like")


class TensorError(InputError):
    """PyTorch would refuse what the learner asked for: what went wrong and what would work.

    One of the InputError family. The message is one sentence that already says what
    would work, so it carries no separate "Allowed:" list."""

    def __init__(self, problem: str) -> None:
        self.problem, self.column = problem, None
        ValueError.__init__(self, problem)


@dataclass(frozen=True)
class CreateSpec:
    kind: str = "tensor"
    literal: str = "[[1, 2], [3, 4]]"
    shape: str = "2, 3"
    dtype: str = AUTO
    seed: int = 0
    start: float = 0.0
    end: float = 10.0
    step: float = 2.0
    steps: int = 5


@dataclass
class Created:
    """The tensor, the settings that made it, and what is worth knowing about it."""

    tensor: torch.Tensor
    spec: CreateSpec
    notes: list[str] = field(default_factory=list)


def literal_tensor(lit: Literal, dtype: str) -> torch.Tensor:
    """torch.tensor(literal, dtype) with PyTorch's refusals turned into TensorError."""
    try:
        return torch.tensor(lit.data, dtype=None if dtype == AUTO else DTYPES[dtype])
    except (RuntimeError, OverflowError, ValueError) as exc:
        raise TensorError(f"torch.tensor refused the literal as {dtype}: {exc}. "
                          "Choose a dtype that can hold every value (e.g. float32).") from None


def create(spec: CreateSpec) -> Created:
    """Build the tensor a learner asked for; raise a parser error or TensorError."""
    kind, dt = spec.kind, spec.dtype
    if kind not in KINDS:
        raise TensorError(f"unknown creation function {kind!r}; choose one of {', '.join(KINDS)}")
    if kind in LITERAL_KINDS:
        lit = parse_literal(spec.literal)
        if kind == "tensor":
            return Created(literal_tensor(lit, dt), spec)
        if kind == "zeros_like":
            base = literal_tensor(lit, AUTO)
            t = torch.zeros_like(base, dtype=None if dt == AUTO else DTYPES[dt])
            return Created(t, spec, [f"zeros_like copies the shape {fmt_shape(tuple(base.shape))}"
                                     f" and dtype ({str(base.dtype).removeprefix('torch.')}) of "
                                     "x unless you pass dtype=."])
        try:
            arr = np.array(lit.data, dtype=None if dt == AUTO else np.dtype(dt))
        except (ValueError, OverflowError, TypeError) as exc:
            raise TensorError(f"np.array refused the literal as {dt}: {exc}") from None
        notes = ["from_numpy keeps NumPy's dtype: NumPy's default float is float64, so this "
                 "tensor is float64 where torch.tensor would give float32."] \
            if arr.dtype == np.float64 and dt == AUTO else []
        return Created(torch.from_numpy(arr), spec, notes)
    torch_dt = None if dt == AUTO else DTYPES[dt]
    if kind in SHAPED_KINDS:
        shape = parse_shape(spec.shape)
        if kind in RANDOM_KINDS:
            if torch_dt is not None and not torch_dt.is_floating_point:
                raise TensorError(f"torch.{kind} draws real numbers, so it needs a floating "
                                  f"dtype, not {dt}; for random integers use torch.randint")
            with runtime.seeded(spec.seed):
                return Created(getattr(torch, kind)(shape, dtype=torch_dt), spec)
        return Created(getattr(torch, kind)(shape, dtype=torch_dt), spec)
    if kind == "arange":
        if spec.step == 0:
            raise TensorError("arange needs a non-zero step")
        n = math.ceil((spec.end - spec.start) / spec.step)
        if n > MAX_ELEMENTS:
            raise TensorError(f"that range has {n:,} numbers; the limit is {MAX_ELEMENTS:,}")
        if n <= 0:
            raise TensorError("the step points away from end: arange(start, end, step) needs "
                              "end > start for a positive step, end < start for a negative one")
        try:
            t = torch.arange(*arange_args(spec), dtype=torch_dt)
        except RuntimeError as exc:
            raise TensorError(f"torch.arange refused: {exc}") from None
        return Created(t, spec, ["arange stops before end, like Python's range."])
    # linspace
    if not 1 <= spec.steps <= MAX_ELEMENTS:
        raise TensorError(f"linspace needs 1 to {MAX_ELEMENTS:,} steps")
    try:
        t = torch.linspace(spec.start, spec.end, int(spec.steps), dtype=torch_dt)
    except RuntimeError as exc:
        raise TensorError(f"torch.linspace refused: {exc}") from None
    return Created(t, spec, ["linspace includes both ends: steps points, steps - 1 gaps."])


def arange_args(spec: CreateSpec) -> tuple[int, int, int] | tuple[float, float, float]:
    """start, end and step as arange gets them: integers when all three are whole numbers
    (so the result is int64, as torch.arange(0, 10, 2) is), else floats."""
    values = (spec.start, spec.end, spec.step)
    if all(float(v).is_integer() for v in values):
        return tuple(int(v) for v in values)  # type: ignore[return-value]
    return tuple(float(v) for v in values)  # type: ignore[return-value]


@dataclass(frozen=True)
class Property:
    name: str
    value: str
    code: str
    why: str


def describe(t: torch.Tensor, name: str = "t") -> list[Property]:
    """The facts about a tensor the lesson names, each with the code that reads it."""
    return [
        Property("shape", fmt_shape(tuple(t.shape)), f"{name}.shape", "size along each axis"),
        Property("dtype", str(t.dtype), f"{name}.dtype", "type of every element"),
        Property("device", str(t.device), f"{name}.device", "where the numbers live"),
        Property("numel", str(t.numel()), f"{name}.numel()", "number of elements"),
        Property("stride", str(t.stride()), f"{name}.stride()",
                 "elements to skip in memory to step one along each axis"),
        Property("is_contiguous", str(t.is_contiguous()), f"{name}.is_contiguous()",
                 "rows laid out one after another in memory, no gaps or reordering"),
        Property("element_size", f"{t.element_size()} bytes", f"{name}.element_size()",
                 "bytes per element"),
        Property("nbytes", f"{t.nbytes} bytes", f"{name}.nbytes", "numel × element_size"),
    ]
