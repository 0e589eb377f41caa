"""NumPy beside PyTorch: the lesson's quick-reference table run live, and shared memory.

`torch.from_numpy` and `.numpy()` hand over the same memory, `torch.tensor`
copies. The demo writes into one object and reports, by pointer and by value,
which of the others changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from ml101 import runtime
from ml101.inputs import fmt_shape
from ml101.tensors.create import TensorError
from ml101.tensors.index import parse_index
from ml101.tensors.literal import Literal, parse_literal
from ml101.tensors.ops import agreement


@dataclass(frozen=True)
class RefRow:
    """One row of the quick-reference table, with both sides actually computed."""

    operation: str
    numpy_code: str
    torch_code: str
    numpy_result: str
    torch_result: str
    verdict: str


@dataclass(frozen=True)
class QuickReference:
    """The lesson's NumPy-vs-PyTorch table, computed on the learner's literal."""

    literal: Literal
    seed: int
    rows: list[RefRow]


def _show(x: object, limit: int = 70) -> str:
    if isinstance(x, torch.Tensor):
        text = f"{fmt_shape(tuple(x.shape))} {str(x.dtype).removeprefix('torch.')}: {x.tolist()}"
    elif isinstance(x, np.ndarray):
        text = f"{fmt_shape(x.shape)} {x.dtype}: {x.tolist()}"
    else:
        text = str(x)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict(t: torch.Tensor, a: np.ndarray) -> str:
    ok, how = agreement(t, a)
    return ("✓ " if ok else "✗ ") + how


def quick_reference(literal: str, seed: int) -> QuickReference:
    """The lesson's table (zeros, randn, matmul, sum, reshape, transpose, device), live."""
    lit = parse_literal(literal)
    arr = np.array(lit.data)
    t = torch.tensor(lit.data)
    rows: list[RefRow] = []
    z_np, z_t = np.zeros((3, 4)), torch.zeros(3, 4)
    rows.append(RefRow("Create zeros", "np.zeros((3, 4))", "torch.zeros(3, 4)", _show(z_np),
                       _show(z_t), _verdict(z_t, z_np)))
    rng = np.random.default_rng(seed)
    r_np = rng.standard_normal((3, 4))
    with runtime.seeded(seed):
        r_t = torch.randn(3, 4)
    rows.append(RefRow(
        "Random normal", f"np.random.default_rng({seed}).standard_normal((3, 4))",
        f"torch.manual_seed({seed}); torch.randn(3, 4)", _show(r_np), _show(r_t),
        "≠ by design: same shape and distribution, but two different random generators, "
        "so the same seed gives different numbers"))
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        m_np, m_t, what = arr @ arr, t @ t, "a @ a"
    elif arr.ndim == 2:
        m_np, m_t, what = arr @ arr.T, t @ t.T, "a @ a.T"
    else:
        m_np = m_t = None
        what = "a @ a"
    tw = what.replace("a", "t")
    rows.append(RefRow("Matrix multiply", f"{what} or np.dot(...)",
                       f"{tw} or torch.mm(...)",
                       _show(m_np) if m_np is not None else "needs a 2-D a",
                       _show(m_t) if m_t is not None else "needs a 2-D t",
                       _verdict(m_t, m_np) if m_t is not None else "—"))
    s_np, s_t = np.asarray(arr.sum()), t.sum()
    rows.append(RefRow("Sum", "a.sum()", "t.sum()", _show(s_np), _show(s_t),
                       _verdict(s_t, s_np)))
    rows.append(RefRow("Reshape", "a.reshape(-1)", "t.reshape(-1) or t.view(-1)",
                       _show(arr.reshape(-1)), _show(t.view(-1)),
                       _verdict(t.view(-1), arr.reshape(-1))))
    if arr.ndim == 2:
        rows.append(RefRow("Transpose", "a.T", "t.T", _show(arr.T), _show(t.T),
                           _verdict(t.T, arr.T)))
    else:
        rows.append(RefRow("Transpose", "a.T", "t.T", "type a 2-D literal", "type a 2-D literal",
                           "—"))
    cuda = torch.cuda.is_available()
    rows.append(RefRow("To device", "N/A (NumPy is CPU only)", "t.to('cuda')",
                       "—", str(t.to("cuda" if cuda else "cpu").device),
                       "this server has a GPU" if cuda else
                       "this server has no GPU, so t.to('cpu') is shown"))
    return QuickReference(lit, seed, rows)


WRITE_TARGETS = ("arr", "copied")


@dataclass(frozen=True)
class ShareDemo:
    """After writing into one object: every object's values and whom it shares with."""

    arr: np.ndarray
    shared: torch.Tensor  # torch.from_numpy(arr)
    copied: torch.Tensor  # torch.tensor(arr)
    back: np.ndarray  # copied.numpy()
    before: np.ndarray
    changed: dict[str, bool]
    same_memory: dict[str, bool]
    literal: Literal  # what arr was made from
    target: str  # "arr" or "copied": the object written into
    index: str  # where, as the canonical index text (e.g. "0, 1")
    written: np.ndarray  # bool, arr's shape: the cells the write went to
    value: float


def share_demo(literal: str, target: str, where: str, value: float) -> ShareDemo:
    """Build arr, from_numpy, tensor copy and .numpy(); write value at `where` in target."""
    if target not in WRITE_TARGETS:
        raise TensorError(f"write into one of {', '.join(WRITE_TARGETS)}")
    lit = parse_literal(literal)
    arr = np.array(lit.data)
    if arr.ndim == 0:
        raise TensorError("type at least a 1-D literal, so there is a cell to change")
    if arr.dtype == np.bool_:
        raise TensorError("type numbers, not True/False, so a number can be written")
    named = re.match(r"\s*(arr|copied)\s*\[", where)
    if named:  # either name works: the write goes to the chosen target
        where = where[named.end() - 1:]
    idx = parse_index(where, arr.shape, name=target)
    shared = torch.from_numpy(arr)
    copied = torch.tensor(arr)
    back = copied.numpy()
    before = arr.copy()
    if target == "arr":
        arr[idx.key] = value
    else:
        copied[idx.key] = value
    def differs(x: np.ndarray) -> bool:
        return not np.array_equal(x, before, equal_nan=True)

    changed = {"arr": differs(arr), "shared": differs(shared.numpy()),
               "copied": differs(copied.numpy()), "back": differs(back)}
    same = {"shared": shared.data_ptr() == arr.ctypes.data,
            "copied": copied.data_ptr() == arr.ctypes.data,
            "back": back.ctypes.data == copied.data_ptr()}
    return ShareDemo(arr, shared, copied, back, before, changed, same, lit, target, idx.text,
                     idx.mask, value)
