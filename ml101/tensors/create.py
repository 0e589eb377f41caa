"""Creating tensors the lesson's ways, describing them, and the code that does it.

Every function returns the tensor together with runnable code that rebuilds it,
so the page can show both and a test can check they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ml101 import runtime
from ml101.inputs import MAX_ELEMENTS, fmt_shape, parse_shape
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


class TensorError(ValueError):
    """PyTorch refused an operation: what went wrong and what would work."""


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
    tensor: torch.Tensor
    code: str
    name: str = "t"
    notes: list[str] = field(default_factory=list)


def py_value(x: float | int | bool) -> str:
    """A number as Python source that reads back to the same value."""
    if isinstance(x, float):
        if math.isnan(x):
            return 'float("nan")'
        if math.isinf(x):
            return 'float("inf")' if x > 0 else '-float("inf")'
        return repr(x)
    return repr(x)


def py_nested(data: object) -> str:
    """Nested lists as Python source (nan and inf spelled so Python reads them)."""
    if isinstance(data, list):
        return "[" + ", ".join(py_nested(d) for d in data) + "]"
    return py_value(data)  # type: ignore[arg-type]


def num(x: float) -> str:
    """A control value as code: 2.0 is written 2, so arange stays an integer range."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def dtype_arg(dtype: str, module: str = "torch") -> str:
    return "" if dtype == AUTO else f", dtype={module}.{dtype}"


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
        src = py_nested(lit.data)
        if kind == "tensor":
            t = literal_tensor(lit, dt)
            return Created(t, f"t = torch.tensor({src}{dtype_arg(dt)})\nprint(t)")
        if kind == "zeros_like":
            base = literal_tensor(lit, AUTO)
            t = torch.zeros_like(base, dtype=None if dt == AUTO else DTYPES[dt])
            return Created(t, f"x = torch.tensor({src})\nt = torch.zeros_like(x{dtype_arg(dt)})"
                              "\nprint(t)",
                           notes=[f"zeros_like copies the shape {fmt_shape(tuple(base.shape))}"
                                  f" and dtype ({str(base.dtype).removeprefix('torch.')}) of x "
                                  "unless you pass dtype=."])
        try:
            arr = np.array(lit.data, dtype=None if dt == AUTO else np.dtype(dt))
        except (ValueError, OverflowError, TypeError) as exc:
            raise TensorError(f"np.array refused the literal as {dt}: {exc}") from None
        t = torch.from_numpy(arr)
        notes = ["from_numpy keeps NumPy's dtype: NumPy's default float is float64, so this "
                 "tensor is float64 where torch.tensor would give float32."] \
            if arr.dtype == np.float64 and dt == AUTO else []
        return Created(t, f"arr = np.array({src}{dtype_arg(dt, 'np')})\n"
                          "t = torch.from_numpy(arr)  # shares memory with arr\nprint(t)",
                       notes=notes)
    torch_dt = None if dt == AUTO else DTYPES[dt]
    if kind in SHAPED_KINDS:
        shape = parse_shape(spec.shape)
        args = ", ".join(map(str, shape)) if shape else "()"
        call = f"torch.{kind}({args}{dtype_arg(dt)})"
        if kind in RANDOM_KINDS:
            if torch_dt is not None and not torch_dt.is_floating_point:
                raise TensorError(f"torch.{kind} draws real numbers, so it needs a floating "
                                  f"dtype, not {dt}; for random integers use torch.randint")
            with runtime.seeded(spec.seed):
                t = getattr(torch, kind)(shape, dtype=torch_dt)
            return Created(t, f"torch.manual_seed({spec.seed})\nt = {call}\nprint(t)")
        t = getattr(torch, kind)(shape, dtype=torch_dt)
        return Created(t, f"t = {call}\nprint(t)")
    if kind == "arange":
        if spec.step == 0:
            raise TensorError("arange needs a non-zero step")
        n = math.ceil((spec.end - spec.start) / spec.step)
        if n > MAX_ELEMENTS:
            raise TensorError(f"that range has {n:,} numbers; the limit is {MAX_ELEMENTS:,}")
        if n <= 0:
            raise TensorError("the step points away from end: arange(start, end, step) needs "
                              "end > start for a positive step, end < start for a negative one")
        a, b, s = (num(v) for v in (spec.start, spec.end, spec.step))
        ints = all(float(v).is_integer() for v in (spec.start, spec.end, spec.step))
        vals = [int(v) if ints else float(v) for v in (spec.start, spec.end, spec.step)]
        try:
            t = torch.arange(*vals, dtype=torch_dt)
        except RuntimeError as exc:
            raise TensorError(f"torch.arange refused: {exc}") from None
        return Created(t, f"t = torch.arange({a}, {b}, {s}{dtype_arg(dt)})\nprint(t)",
                       notes=["arange stops before end, like Python's range."])
    # linspace
    if not 1 <= spec.steps <= MAX_ELEMENTS:
        raise TensorError(f"linspace needs 1 to {MAX_ELEMENTS:,} steps")
    try:
        t = torch.linspace(spec.start, spec.end, int(spec.steps), dtype=torch_dt)
    except RuntimeError as exc:
        raise TensorError(f"torch.linspace refused: {exc}") from None
    return Created(t, f"t = torch.linspace({num(spec.start)}, {num(spec.end)}, {int(spec.steps)}"
                      f"{dtype_arg(dt)})\nprint(t)",
                   notes=["linspace includes both ends: steps points, steps - 1 gaps."])


@dataclass(frozen=True)
class Property:
    name: str
    value: str
    code: str
    why: str


def describe(t: torch.Tensor, name: str = "t") -> list[Property]:
    """The facts about a tensor the lesson names, each with the code that reads it."""
    return [
        Property("shape", str(tuple(t.shape)), f"{name}.shape", "size along each axis"),
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


def describe_code(name: str = "t") -> str:
    """Lines that print what `describe` shows."""
    return "\n".join(f"print({p.code!r}, {p.code})"
                     for p in describe(torch.zeros(1), name))
