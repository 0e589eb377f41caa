"""The roofline: where add, nn.Linear and matmul sit between this machine's two ceilings.

Ops that do little work per byte are capped by memory bandwidth (the slanted roof),
ops that reuse each byte many times by compute (the flat roof). The bandwidth is
measured STREAM-style on a tensor larger than any cache; each point is marked when its
own working set fits in a cache, since it then measures the cache, not memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.benchmark import Timer

from ml101.bench import devices
from ml101.bench.measuring import Point, Series, exclusive, measure

ROOFLINE_POINTS: tuple[tuple[str, int], ...] = (
    ("add", 256), ("add", 2048), ("linear", 1), ("linear", 16), ("matmul", 64),
    ("linear", 256), ("matmul", 256), ("matmul", 1024),
)
_STREAM_ELEMENTS = 1 << 24  # 64 MiB of float32, copied: 128 MiB moved, past a 32 MiB L3 or a
# 50 MiB GPU L2, so the copy streams from memory


def measured_bandwidth(device: str = "cpu", threads: int = 1, seconds: float = 0.3) -> float:
    """Memory bandwidth in GB/s from a 64 MiB tensor copy (read + write), STREAM-style."""
    dev = torch.device("cuda:0" if device == "cuda" else device)
    src = torch.ones(_STREAM_ELEMENTS, device=dev)
    dst = torch.empty_like(src)
    m = Timer("dst.copy_(src)", globals={"src": src, "dst": dst},
              num_threads=threads).blocked_autorange(min_run_time=seconds)
    return 2 * src.numel() * src.element_size() / m.median / 1e9


@dataclass(frozen=True)
class RooflineResult:
    points: list[Point]
    bandwidth_gbps: float  # ceiling used for the slanted roof
    bandwidth_basis: str


def roofline(device: str = "cpu", dtype: str = "float32", threads: int = 1,
             budget_s: float = 3.0, seed: int = 0) -> RooflineResult:
    """Points spanning low to high arithmetic intensity, plus the bandwidth ceiling."""
    threads = max(1, min(threads, devices.usable_cores()))
    points: list[Point] = []
    per = budget_s / (len(ROOFLINE_POINTS) + 1)
    with exclusive():
        bw = measured_bandwidth(device, threads, seconds=min(0.3, per))
        for op, size in ROOFLINE_POINTS:
            points.append(measure(Series(op, device, dtype, threads), size, per, seed))
    return RooflineResult(points, bw, f"measured: copy of a 64 MiB tensor, {threads} "
                                      f"thread{'s' * (threads > 1)}")
