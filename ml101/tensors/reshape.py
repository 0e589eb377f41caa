"""Reshaping and indexing: which operations share memory and which copy.

`view` only re-reads the same memory with new strides, so it refuses a tensor
whose layout cannot be re-read that way; `reshape` then silently copies. Both
facts are checked here with the storage pointer, not assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ml101.inputs import fmt_shape, parse_shape
from ml101.tensors.create import TensorError
from ml101.tensors.index import Index, parse_index

SHAPE_OPS = ("reshape", "view", "flatten", "transpose", ".T", "contiguous")
TAKES_SHAPE = ("reshape", "view")


@dataclass(frozen=True)
class ShapeOpResult:
    result: torch.Tensor | None  # None when PyTorch refused (view of a non-contiguous tensor)
    code: str  # the expression, e.g. "d.view(-1)"
    numpy_code: str
    numpy_result: np.ndarray | None
    shares_memory: bool
    explanation: str
    refused: str = ""


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when b reads the same memory as a (a view), False when it was copied."""
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def source(shape_text: str, transposed: bool) -> tuple[torch.Tensor, str]:
    """The lesson's d = arange(n).reshape(shape), optionally as d.T (non-contiguous)."""
    shape = parse_shape(shape_text)
    if len(shape) != 2 and transposed:
        raise TensorError("d.T is for 2-D tensors; give a 2-D shape such as 4, 5 to start "
                          "from the transpose")
    n = math.prod(shape)
    d = torch.arange(n).reshape(shape)
    code = f"d = torch.arange({n}).reshape({', '.join(map(str, shape))})"
    if transposed:
        d = d.T
        code += ".T  # a transposed view: same memory, strides swapped"
    return d, code


def shape_op(d: torch.Tensor, op: str, shape_text: str = "-1", dim0: int = 0,
             dim1: int = 1) -> ShapeOpResult:
    """Apply one reshaping op to d and report whether the result shares d's memory."""
    if op not in SHAPE_OPS:
        raise TensorError(f"unknown operation {op!r}; choose one of {', '.join(SHAPE_OPS)}")
    arr = d.numpy()
    if op in TAKES_SHAPE:
        new = parse_shape(shape_text, allow_infer=True)
        known = math.prod(s for s in new if s != -1)
        n = d.numel()
        if (-1 in new and (known == 0 or n % known)) or (-1 not in new and known != n):
            raise TensorError(
                f"shape {fmt_shape(new)} cannot hold the {n} elements of a "
                f"{fmt_shape(tuple(d.shape))} tensor: the sizes must multiply to {n}"
                + (" (with -1 standing for whatever makes that true)" if -1 in new else ""))
        args = ", ".join(map(str, new))
        code, np_code = f"d.{op}({args})", f"arr.reshape({args})"
        np_res = arr.reshape(new)
        if op == "view":
            try:
                res = d.view(new)
            except RuntimeError:
                return ShapeOpResult(
                    None, code, np_code, np_res, False,
                    "", refused=(
                        f"view refuses: d has strides {d.stride()}, so its elements are not "
                        "laid out in memory in the order a new shape would read them. view "
                        "never copies, it only re-reads the same memory, so it cannot help. "
                        f"d.reshape({args}) works: it copies the elements into a fresh "
                        "contiguous block (so does d.contiguous().view(...))."))
        else:
            res = d.reshape(new)
    elif op == "flatten":
        res, code, np_code, np_res = d.flatten(), "d.flatten()", "arr.flatten()", arr.flatten()
    elif op == "contiguous":
        res, code = d.contiguous(), "d.contiguous()"
        np_code, np_res = "np.ascontiguousarray(arr)", np.ascontiguousarray(arr)
    elif op == "transpose":
        if d.ndim < 2:
            raise TensorError("transpose swaps two axes, so it needs at least a 2-D tensor")
        for x in (dim0, dim1):
            if not 0 <= x < d.ndim:
                raise TensorError(f"dim {x} does not exist on a {d.ndim}-D tensor; use 0 to "
                                  f"{d.ndim - 1}")
        res, code = d.transpose(dim0, dim1), f"d.transpose({dim0}, {dim1})"
        np_code, np_res = f"arr.swapaxes({dim0}, {dim1})", arr.swapaxes(dim0, dim1)
    else:  # .T
        if d.ndim != 2:
            raise TensorError(f".T is for 2-D tensors (d is {d.ndim}-D): on other shapes "
                              "PyTorch deprecates it. Use d.mT for batches of matrices or "
                              "d.permute(...) to reorder axes.")
        res, code, np_code, np_res = d.T, "d.T", "arr.T", arr.T
    shared = shares_storage(d, res)
    return ShapeOpResult(res, code, np_code, np_res, shared, _explain(op, d, res, shared))


def _explain(op: str, d: torch.Tensor, res: torch.Tensor, shared: bool) -> str:
    before, after = fmt_shape(tuple(d.shape)), fmt_shape(tuple(res.shape))
    memory = ("It shares d's memory (same storage pointer): writing into it changes d."
              if shared else
              "It is a copy (new storage pointer): d was not contiguous, so the elements had "
              "to be gathered into a new block first.")
    what = {
        "reshape": "reshape gives the same elements in row-major order with a new shape; "
                   "a view when the memory layout allows, otherwise a copy.",
        "view": "view re-reads the same memory with new strides; it never copies.",
        "flatten": "flatten lays all elements out in one axis, row by row.",
        "transpose": "transpose swaps two axes by swapping their strides; no data moves.",
        ".T": ".T swaps rows and columns by swapping strides; no data moves.",
        "contiguous": "contiguous returns d itself when it is already contiguous, otherwise "
                      "a row-major copy.",
    }[op]
    return (f"{what} Shape {before} → {after}, strides {d.stride()} → {res.stride()}, "
            f"contiguous: {res.is_contiguous()}. {memory}")


@dataclass(frozen=True)
class IndexResult:
    index: Index
    result: torch.Tensor
    code: str
    agree: bool
    explanation: str


def take(d: torch.Tensor, text: str) -> IndexResult:
    """d[...] from typed text, with the selected cells and the NumPy twin's agreement."""
    idx = parse_index(text, tuple(d.shape))
    res = d[idx.key]
    np_res = np.asarray(d.numpy()[idx.key])
    agree = bool(np.array_equal(res.numpy(), np_res))
    kind = ("a view: basic slicing shares d's memory" if idx.is_view else
            "a copy: indexing with a list of integers (advanced indexing) gathers the "
            "chosen elements into new memory")
    expl = (f"d[{idx.text}] picks {int(idx.mask.sum())} of {d.numel()} elements and has shape "
            f"{fmt_shape(idx.result_shape)}. It is {kind}. Slices stop before their end, like "
            "Python's range.")
    return IndexResult(idx, res, f"d[{idx.text}]", agree, expl)
