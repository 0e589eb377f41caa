"""Reshaping and indexing: which operations share memory and which copy.

`view` only re-reads the same memory with new strides, so it refuses a new shape that
strides cannot express (contiguity is not the rule: `d.T.view(5, 2, 2)` works, because it
only splits an axis); `reshape` then silently copies. Both facts are checked here with
the storage pointer, not assumed.
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
class Source:
    """The lesson's d = torch.arange(n).reshape(shape), or its transpose d.T."""

    tensor: torch.Tensor
    shape: tuple[int, ...]
    transposed: bool


@dataclass(frozen=True)
class ShapeOpResult:
    source: Source
    result: torch.Tensor | None  # None when PyTorch refused (a view strides cannot express)
    code: str  # the expression, e.g. "d.view(-1)"
    numpy_code: str
    numpy_result: np.ndarray | None
    shares_memory: bool
    explanation: str
    refused: str = ""


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when b reads the same memory as a (a view), False when it was copied."""
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def source(shape_text: str, transposed: bool) -> Source:
    """The lesson's d = arange(n).reshape(shape), optionally as d.T (non-contiguous)."""
    shape = parse_shape(shape_text)
    if len(shape) != 2 and transposed:
        raise TensorError("d.T is for 2-D tensors; give a 2-D shape such as 4, 5 to start "
                          "from the transpose")
    d = torch.arange(math.prod(shape)).reshape(shape)
    return Source(d.T if transposed else d, shape, transposed)


def shape_op(src: Source, op: str, shape_text: str = "-1", dim0: int = 0,
             dim1: int = 1) -> ShapeOpResult:
    """Apply one reshaping op to d and report whether the result shares d's memory."""
    d = src.tensor
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
                    src, None, code, np_code, np_res, False,
                    "", refused=(
                        f"view refuses: d has strides {d.stride()}, and no strides can read "
                        f"its elements, in order, as shape {fmt_shape(new)} from that memory: "
                        "the order jumps back and forth. view never copies, it only re-reads "
                        "the same memory with new strides, so it works only where that is "
                        "possible: splitting an axis, or merging neighbouring axes whose "
                        "elements follow each other evenly in memory. "
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
    return ShapeOpResult(src, res, code, np_code, np_res, shared,
                         _explain(op, d, res, shared))


def _explain(op: str, d: torch.Tensor, res: torch.Tensor, shared: bool) -> str:
    before, after = fmt_shape(tuple(d.shape)), fmt_shape(tuple(res.shape))
    memory = ("It shares d's memory (same storage pointer): writing into it changes d."
              if shared else
              "It is a copy (new storage pointer): no strides can read d's memory in the new "
              "order, so the elements were gathered into a new block first.")
    what = {
        "reshape": "reshape gives the same elements in row-major order with a new shape; "
                   "a view when the memory layout allows, otherwise a copy.",
        "view": "view re-reads the same memory with new strides; it never copies, and it "
                "works on a non-contiguous d too whenever strides can express the new shape.",
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
    source: Source
    index: Index
    result: torch.Tensor
    code: str
    agree: bool
    explanation: str


def take(src: Source, text: str) -> IndexResult:
    """d[...] from typed text, with the selected cells and the NumPy twin's agreement."""
    d = src.tensor
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
    return IndexResult(src, idx, res, f"d[{idx.text}]", agree, expl)
