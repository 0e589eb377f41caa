"""The scripts behind the Tensor playground's "Show the code": plain PyTorch (and NumPy)
that prints the numbers each tab shows.

`code_for` takes what a tab computed (a created tensor, an operation's result, a reshape,
a slice, the shared-memory demo, the quick-reference table) and writes the script that
reproduces it from the same inputs.
"""

from __future__ import annotations

import functools
import math

from ml101.tensors.create import AUTO, RANDOM_KINDS, Created, arange_args, describe
from ml101.tensors.interop import QuickReference, ShareDemo
from ml101.tensors.literal import Nested, parse_literal
from ml101.tensors.ops import OpResult
from ml101.tensors.reshape import IndexResult, ShapeOpResult, Source

_HEADER = ["import numpy as np", "import torch", ""]


@functools.singledispatch
def code_for(shown: object) -> str:
    """The runnable script that reproduces what the page shows for `shown`."""
    raise TypeError(f"no script for a {type(shown).__name__}")


@code_for.register
def _(made: Created) -> str:
    spec, dt = made.spec, made.spec.dtype
    kind = spec.kind
    lines = list(_HEADER)
    if kind == "tensor":
        lines.append(f"t = torch.tensor({_source(spec.literal)}{_dtype(dt)})")
    elif kind == "zeros_like":
        lines += [f"x = torch.tensor({_source(spec.literal)})",
                  f"t = torch.zeros_like(x{_dtype(dt)})"]
    elif kind == "from_numpy":
        lines += [f"arr = np.array({_source(spec.literal)}{_dtype(dt, 'np')})",
                  "t = torch.from_numpy(arr)  # shares memory with arr"]
    elif kind == "arange":
        args = ", ".join(map(_num, arange_args(spec)))
        lines.append(f"t = torch.arange({args}{_dtype(dt)})")
    elif kind == "linspace":
        lines.append(f"t = torch.linspace({_num(spec.start)}, {_num(spec.end)}, "
                     f"{int(spec.steps)}{_dtype(dt)})")
    else:  # zeros, ones, randn, rand: a shape
        shape = tuple(made.tensor.shape)
        if kind in RANDOM_KINDS:
            lines.append(f"torch.manual_seed({spec.seed})")
        args = ", ".join(map(str, shape)) if shape else "()"
        lines.append(f"t = torch.{kind}({args}{_dtype(dt)})")
    lines.append("print(t)")
    lines += [f"print({p.code!r}, {p.code})" for p in describe(made.tensor)]
    return "\n".join(lines) + "\n"


@code_for.register
def _(res: OpResult) -> str:
    if res.operands is None:
        raise TypeError("an OpResult from ops.operate carries its operands; this one has none")
    x = res.operands
    return "\n".join([
        *_HEADER,
        f"A = torch.tensor({_nested(x.a_literal.data)}{_dtype(x.dtype)})",
        f"B = torch.tensor({_nested(x.b_literal.data)}{_dtype(x.dtype)})",
        res.code, "print(result)", "",
        "# the NumPy twin, on the same numbers",
        "a, b = A.numpy(), B.numpy()", res.numpy_code, "print(result_np)",
    ]) + "\n"


@code_for.register
def _(res: ShapeOpResult) -> str:
    lines = [*_HEADER, _d(res.source)]
    if res.result is None:
        lines.append(f"# {res.code} raises: view size is not compatible with input tensor's "
                     "size and stride")
    else:
        lines += [f"r = {res.code}", "print(r)", "print('r.stride():', r.stride())",
                  "print('r shares memory with d:', "
                  "r.untyped_storage().data_ptr() == d.untyped_storage().data_ptr())"]
    return "\n".join(lines) + "\n"


@code_for.register
def _(res: IndexResult) -> str:
    return "\n".join([*_HEADER, _d(res.source), f"s = {res.code}", "print(s)",
                      "print('s shares memory with d:', "
                      "s.untyped_storage().data_ptr() == d.untyped_storage().data_ptr())"]) + "\n"


@code_for.register
def _(demo: ShareDemo) -> str:
    return "\n".join([
        *_HEADER,
        f"arr = np.array({_nested(demo.literal.data)})",
        "shared = torch.from_numpy(arr)  # same memory as arr",
        "copied = torch.tensor(arr)      # a copy",
        "back = copied.numpy()           # same memory as copied",
        f"{demo.target}[{demo.index}] = {_num(demo.value)}",
        "print('arr:', arr)", "print('shared:', shared)", "print('copied:', copied)",
        "print('back:', back)",
        "print('shared uses arr memory:', shared.data_ptr() == arr.ctypes.data)",
        "print('copied uses arr memory:', copied.data_ptr() == arr.ctypes.data)",
    ]) + "\n"


@code_for.register
def _(table: QuickReference) -> str:
    data = _nested(table.literal.data)
    return "\n".join([
        *_HEADER,
        f"a = np.array({data})", f"t = torch.tensor({data})",
        "print(np.zeros((3, 4)), torch.zeros(3, 4))",
        f"print(np.random.default_rng({table.seed}).standard_normal((3, 4)))",
        f"torch.manual_seed({table.seed})", "print(torch.randn(3, 4))",
        "if a.ndim == 2:",
        "    print(a @ a.T if a.shape[0] != a.shape[1] else a @ a)",
        "    print(t @ t.T if t.shape[0] != t.shape[1] else t @ t)",
        "print(a.sum(), t.sum())",
        "print(a.reshape(-1), t.view(-1))",
        "if a.ndim == 2:",
        "    print(a.T, t.T)",
        "print(torch.cuda.is_available())",
    ]) + "\n"


def _d(src: Source) -> str:
    shape = ", ".join(map(str, src.shape))
    line = f"d = torch.arange({math.prod(src.shape)}).reshape({shape})"
    return line + (".T  # a transposed view: same memory, strides swapped"
                   if src.transposed else "")


def _source(literal_text: str) -> str:
    return _nested(parse_literal(literal_text).data)


def _nested(data: Nested) -> str:
    """Nested lists as Python source (nan and inf spelled so Python reads them)."""
    if isinstance(data, list):
        return "[" + ", ".join(_nested(d) for d in data) + "]"
    if isinstance(data, float) and not math.isfinite(data):
        if math.isnan(data):
            return 'float("nan")'
        return 'float("inf")' if data > 0 else '-float("inf")'
    return repr(data)


def _num(x: float) -> str:
    """A control value as code: 2.0 is written 2, so arange stays an integer range."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _dtype(dtype: str, module: str = "torch") -> str:
    return "" if dtype == AUTO else f", dtype={module}.{dtype}"
