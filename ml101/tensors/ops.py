"""Operations on two tensors: elementwise with broadcasting, matmul, reductions.

Each operation runs in PyTorch and in NumPy on the same numbers, says whether
the two agree, explains the shape rule it followed (or why it refused), and
returns code that reproduces the result.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from ml101.inputs import InputError, fmt_shape
from ml101.tensors.create import AUTO, TensorError, literal_tensor
from ml101.tensors.literal import Literal, parse_literal

ELEMENTWISE: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow,
}
MATMUL = ("@", "torch.mm")
REDUCTIONS = ("sum", "mean", "max", "min")
ALL = "all"


@dataclass(frozen=True)
class AxisRow:
    """One axis of a broadcast, aligned from the right as PyTorch aligns them."""

    axis: int
    a: int | None  # None: A has no axis here
    b: int | None
    out: int | None
    note: str


@dataclass(frozen=True)
class Broadcast:
    ok: bool
    out_shape: tuple[int, ...] | None
    rows: list[AxisRow]
    message: str


def broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> Broadcast:
    """Explain, axis by axis, how shapes a and b broadcast (or why they cannot)."""
    n = max(len(a), len(b))
    pa = (None,) * (n - len(a)) + tuple(a)
    pb = (None,) * (n - len(b)) + tuple(b)
    rows: list[AxisRow] = []
    clash: AxisRow | None = None
    for axis, (x, y) in enumerate(zip(pa, pb, strict=True)):
        if x is None or y is None:
            size = y if x is None else x
            who = "A" if x is None else "B"
            note = f"{who} has no axis here: treated as size 1" + (
                f", then stretched to {size}" if size != 1 else "")
            rows.append(AxisRow(axis, x, y, size, note))
        elif x == y:
            rows.append(AxisRow(axis, x, y, x, "same size: nothing stretches"))
        elif x == 1 or y == 1:
            who, size = ("A", y) if x == 1 else ("B", x)
            rows.append(AxisRow(axis, x, y, size,
                                f"{who} has size 1: its one slice is repeated {size} times"))
        else:
            row = AxisRow(axis, x, y, None, f"{x} vs {y}: neither is 1, so no rule applies")
            rows.append(row)
            clash = clash or row
    if clash is not None:
        return Broadcast(False, None, rows, (
            f"Shapes {fmt_shape(a)} and {fmt_shape(b)} do not broadcast: on axis {clash.axis} "
            f"A has size {clash.a} and B has size {clash.b}. Aligned from the right, each pair "
            "of sizes must be equal, or one of them must be 1 (a missing axis counts as 1)."))
    out = tuple(r.out for r in rows)  # type: ignore[misc]
    stretched = [r for r in rows if "stretched" in r.note or "repeated" in r.note]
    msg = (f"{fmt_shape(a)} and {fmt_shape(b)} broadcast to {fmt_shape(out)}" +  # type: ignore[arg-type]
           ("; nothing is copied: the stretched operand is read with stride 0 along "
            "the stretched axes." if stretched else "; the shapes already match."))
    return Broadcast(True, out, rows, msg)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Operands:
    """A and B as the learner typed them, the dtype both are made with, and the tensors."""

    a_literal: Literal
    b_literal: Literal
    dtype: str
    a: torch.Tensor
    b: torch.Tensor


def operands(a_text: str, b_text: str, dtype: str = AUTO) -> Operands:
    """Parse A and B and make them tensors; the InputError says which one was refused."""
    made: list[tuple[Literal, torch.Tensor]] = []
    for name, text in (("A", a_text), ("B", b_text)):
        try:
            lit = parse_literal(text)
            made.append((lit, literal_tensor(lit, dtype)))
        except InputError as err:
            raise TensorError(f"{name}: {err}") from None
    (a_lit, a), (b_lit, b) = made
    return Operands(a_lit, b_lit, dtype, a, b)


def operate(x: Operands, op: str, dim: int | str = ALL, keepdim: bool = False) -> OpResult:
    """The chosen operation on A and B (a reduction uses A only); TensorError if refused."""
    if op in ELEMENTWISE:
        res = elementwise(x.a, x.b, op)
    elif op in MATMUL:
        res = matmul(x.a, x.b, op)
    else:
        res = reduce(x.a, op, dim, keepdim)
    return replace(res, operands=x)


@dataclass(frozen=True)
class OpResult:
    """An operation's PyTorch result, its NumPy twin, and whether they agree."""

    result: torch.Tensor | tuple[torch.Tensor, torch.Tensor]
    numpy_result: np.ndarray | tuple[np.ndarray, np.ndarray]
    code: str
    numpy_code: str
    explanation: str
    agree: bool
    agreement: str
    extra: dict[str, Any] = field(default_factory=dict)
    operands: Operands | None = None  # what A and B were made from, for the script

    @property
    def values(self) -> torch.Tensor:
        """The tensor to draw: the result, or the values of a (values, indices) pair."""
        return self.result[0] if isinstance(self.result, tuple) else self.result


def agreement(t: torch.Tensor, arr: np.ndarray) -> tuple[bool, str]:
    """Do a torch result and a NumPy result hold the same numbers? Say how they differ."""
    tn = t.detach().numpy()
    if tn.shape != np.shape(arr):
        return False, f"shapes differ: {fmt_shape(tn.shape)} vs {fmt_shape(np.shape(arr))}"
    arr = np.asarray(arr)
    if tn.dtype == np.bool_ or arr.dtype == np.bool_:
        same = bool(np.array_equal(tn, arr))
    else:
        loose = tn.dtype == np.float16 or arr.dtype == np.float16
        same = bool(np.allclose(tn.astype(np.float64), arr.astype(np.float64),
                                rtol=1e-3 if loose else 1e-6, atol=0, equal_nan=True))
    dts = f"torch {str(t.dtype).removeprefix('torch.')}, NumPy {arr.dtype}"
    if not same:
        return False, f"values differ ({dts})"
    if np.dtype(tn.dtype) != arr.dtype:
        return True, (f"same values, different dtypes ({dts}): NumPy's default float is "
                      "float64, PyTorch's is float32")
    return True, f"same values and dtype ({dts})"


def elementwise(a: torch.Tensor, b: torch.Tensor, op: str) -> OpResult:
    """A op B with broadcasting, in torch and NumPy; TensorError when refused."""
    bc = broadcast(tuple(a.shape), tuple(b.shape))
    if not bc.ok:
        raise TensorError(bc.message)
    fn = ELEMENTWISE[op]
    try:
        res = fn(a, b)
    except RuntimeError as exc:
        raise TensorError(f"PyTorch refused A {op} B: {exc}") from None
    with np.errstate(all="ignore"):
        try:
            np_res = np.asarray(fn(a.numpy(), b.numpy()))
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            np_res = np.asarray(np.nan)
            ok, how = False, f"NumPy refused: {exc}"
        else:
            ok, how = agreement(res, np_res)
    return OpResult(res, np_res, f"result = A {op} B", f"result_np = a {op} b",
                    bc.message, ok, how, {"broadcast": bc})


def matmul(a: torch.Tensor, b: torch.Tensor, op: str) -> OpResult:
    """A @ B or torch.mm(A, B), with the shape rule spelled out."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if op == "torch.mm" and (a.ndim != 2 or b.ndim != 2):
        raise TensorError(f"torch.mm takes two 2-D matrices; A is {a.ndim}-D {fmt_shape(sa)} "
                          f"and B is {b.ndim}-D {fmt_shape(sb)}. Use @ (torch.matmul) for "
                          "vectors and batches.")
    if a.ndim == 0 or b.ndim == 0:
        raise TensorError("matrix multiplication needs at least 1-D operands; for a scalar "
                          "use * instead")
    k_a = sa[-1]
    k_b = sb[0] if b.ndim == 1 else sb[-2]
    if k_a != k_b:
        where_b = "only axis" if b.ndim == 1 else "second-to-last axis"
        raise TensorError(
            f"A {fmt_shape(sa)} @ B {fmt_shape(sb)}: the inner sizes must match. A's last axis "
            f"has {k_a} and B's {where_b} has {k_b}. Each output entry is a dot product of "
            f"a row of A with a column of B, so they need the same length. Try B.T, or "
            "reshape one of them.")
    if a.dtype != b.dtype:
        raise TensorError(f"A is {a.dtype} and B is {b.dtype}; matrix multiplication needs "
                          "one dtype for both (convert one with .to(...)).")
    try:
        res = a @ b if op == "@" else torch.mm(a, b)
    except RuntimeError as exc:
        raise TensorError(f"PyTorch refused: {exc}") from None
    if a.ndim == 2 and b.ndim == 2:
        expl = (f"(n, k) @ (k, m) → (n, m): ({sa[0]}, {k_a}) @ ({k_b}, {sb[1]}) → "
                f"{fmt_shape(tuple(res.shape))}. Entry [i, j] is row i of A · column j of B, "
                f"a sum of {k_a} products.")
    else:
        expl = (f"{fmt_shape(sa)} @ {fmt_shape(sb)} → {fmt_shape(tuple(res.shape))}: the last "
                "two axes multiply as matrices, a 1-D operand acts as a row (left) or column "
                "(right) and that axis is dropped afterwards, and leading batch axes broadcast.")
    an, bn = a.numpy(), b.numpy()
    np_res = np.asarray(an @ bn)
    ok, how = agreement(res, np_res)
    code = "result = A @ B" if op == "@" else "result = torch.mm(A, B)"
    np_code = "result_np = a @ b" if op == "@" else "result_np = np.dot(a, b)"
    return OpResult(res, np_res, code, np_code, expl, ok, how)


def reduce(t: torch.Tensor, op: str, dim: int | str = ALL, keepdim: bool = False) -> OpResult:
    """t.op() or t.op(dim=...), saying which axis collapses."""
    if op not in REDUCTIONS:
        raise TensorError(f"unknown reduction {op!r}")
    if op == "mean" and not t.is_floating_point():
        raise TensorError(f"mean of a {str(t.dtype).removeprefix('torch.')} tensor: PyTorch "
                          "refuses, because the mean of integers is usually not an integer. "
                          "Choose a float dtype, or write A.float().mean().")
    if t.numel() == 0 and op in ("max", "min"):
        raise TensorError(f"{op} of an empty tensor has no answer")
    arr = t.numpy()
    np_fn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}[op]
    if dim == ALL:
        res = getattr(t, op)()
        np_res = np.asarray(np_fn(arr))
        code, np_code = f"result = A.{op}()", f"result_np = a.{op}()"
        expl = (f"No dim: every one of the {t.numel()} elements is combined into one number "
                "(a 0-d tensor; .item() turns it into a Python number).")
        ok, how = agreement(res, np_res)
        return OpResult(res, np_res, code, np_code, expl, ok, how)
    d = int(dim)
    if not -t.ndim <= d < max(t.ndim, 1):
        raise TensorError(f"dim={d} does not exist on a {t.ndim}-D tensor; "
                          f"use 0 to {t.ndim - 1}")
    d %= max(t.ndim, 1)
    kd = ", keepdim=True" if keepdim else ""
    res = getattr(t, op)(dim=d, keepdim=keepdim)
    np_res = np.asarray(np_fn(arr, axis=d, keepdims=keepdim))
    code = f"result = A.{op}(dim={d}{kd})"
    np_code = f"result_np = a.{op}(axis={d}{', keepdims=True' if keepdim else ''})"
    shape = tuple(t.shape)
    out = tuple(res[0].shape) if op in ("max", "min") else tuple(res.shape)
    what = {"sum": "added up", "mean": "averaged", "max": "reduced to their largest",
            "min": "reduced to their smallest"}[op]
    axis_name = {0: "rows (down each column)", 1: "columns (along each row)"}.get(d, f"axis {d}") \
        if t.ndim == 2 else f"axis {d}"
    expl = (f"dim={d} collapses axis {d} (size {shape[d]}): the {shape[d]} entries along "
            f"{axis_name} are {what}. Shape {fmt_shape(shape)} → {fmt_shape(out)}"
            + (" (kept as size 1 by keepdim=True, handy for broadcasting back)." if keepdim
               else "."))
    if op in ("max", "min"):
        values, indices = res.values, res.indices
        np_idx = np.asarray((np.argmax if op == "max" else np.argmin)(arr, axis=d,
                                                                      keepdims=keepdim))
        ok, how = agreement(values, np_res)
        expl += (f" With a dim, {op} returns two tensors: .values and .indices (where each "
                 f"{op} sits along axis {d}, like NumPy's arg{op}).")
        return OpResult((values, indices), (np_res, np_idx), code, np_code
                        + f"\nindices_np = a.arg{op}(axis={d}"
                        + (", keepdims=True" if keepdim else "") + ")",
                        expl, ok, how)
    ok, how = agreement(res, np_res)
    return OpResult(res, np_res, code, np_code, expl, ok, how)
