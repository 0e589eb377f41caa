"""The operations the benchmark times, and what each one costs: FLOP and bytes per call.

Pure counting functions, unit-tested against a counted loop and torch's own FLOP
counter; every GFLOP/s, GB/s and FLOP-per-byte figure on the page comes from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float64": torch.float64,
    "bfloat16": torch.bfloat16, "float16": torch.float16,
}
LINEAR_FEATURES = 1024  # nn.Linear(1024, 1024): the batch size is what the sweep varies
MAX_SIZE = 16384


def itemsize(dtype: str) -> int:
    """Bytes per number of a dtype named in DTYPES."""
    return DTYPES[dtype].itemsize


def matmul_flops(n: int) -> int:
    """n x n @ n x n: n^2 outputs, each n multiplies and n adds."""
    return 2 * n**3


def matmul_bytes(n: int, item: int) -> int:
    """Minimum traffic: read A and B once, write C once."""
    return 3 * n * n * item


def add_flops(n: int) -> int:
    """One add per element of an n x n tensor."""
    return n * n


def add_bytes(n: int, item: int) -> int:
    """Read two n x n tensors, write one: 3 n^2 elements per add."""
    return 3 * n * n * item


def linear_flops(batch: int, features: int = LINEAR_FEATURES) -> int:
    """y = x W^T + b for a (batch, f) input and f x f weight: a matmul plus the bias add."""
    return 2 * batch * features * features + batch * features


def linear_bytes(batch: int, item: int, features: int = LINEAR_FEATURES) -> int:
    """Read x, W and b, write y."""
    return (batch * features + features * features + features + batch * features) * item


def copy_bytes(n: int, item: int) -> int:
    """A host-to-device copy of an n x n tensor moves each byte once across the bus."""
    return n * n * item


def _no_flops(n: int) -> int:
    return 0


@dataclass(frozen=True)
class Op:
    """One benchmarked operation: how to count its work and the bytes it touches."""

    key: str
    label: str
    size_name: str  # what the sweep's x axis means for this op
    flops: Callable[[int], int]
    bytes: Callable[[int, int], int]
    gpu_only: bool = False  # a host-to-device copy: the bus, not a cache, is the limit

    @property
    def compute_bound(self) -> bool:
        """Judged by GFLOP/s (large sizes reuse each byte many times) rather than GB/s."""
        return self.key in ("matmul", "linear")


OPS: dict[str, Op] = {
    "matmul": Op("matmul", "n x n matmul", "n (matrices are n x n)", matmul_flops, matmul_bytes),
    "add": Op("add", "elementwise add", "n (tensors are n x n)", add_flops, add_bytes),
    "linear": Op("linear", f"nn.Linear({LINEAR_FEATURES}, {LINEAR_FEATURES})", "batch size",
                 linear_flops, linear_bytes),
    "h2d_pageable": Op("h2d_pageable", "host-to-device copy (pageable)",
                       "n (tensor is n x n)", _no_flops, copy_bytes, gpu_only=True),
    "h2d_pinned": Op("h2d_pinned", "host-to-device copy (pinned)",
                     "n (tensor is n x n)", _no_flops, copy_bytes, gpu_only=True),
}


def intensity(op: str, size: int, dtype: str) -> float:
    """Arithmetic intensity, FLOP per byte moved: which roof of the roofline applies.

    It depends on the dtype (a float64 add moves twice the bytes of a float32 one for
    the same FLOP) and, for matmul, on the size (2n/3 FLOP per element moved)."""
    spec = OPS[op]
    return spec.flops(size) / spec.bytes(size, itemsize(dtype))


def size_grid(lo: int, hi: int) -> list[int]:
    """Powers of two from lo to hi: a log-scale sweep."""
    lo, hi = max(1, lo), min(MAX_SIZE, hi)
    first = 1 << math.ceil(math.log2(lo))
    return [s for s in (first << i for i in range(32)) if s <= hi]
