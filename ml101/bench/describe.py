"""The benchmark page's charts in one sentence each: the text alternative a screen reader
reads, made from the measurements they draw (see `charts.py`). The tables under the
charts hold every number."""

from __future__ import annotations

from ml101.bench.lesson_timing import NaiveResult
from ml101.bench.measuring import Point
from ml101.bench.roofline import RooflineResult
from ml101.prose import listed, num


def sweep(points: list[Point], what: str, op: str, meta: str) -> str:
    """'Time per call against size for matmul, ...: at size 1024, 1 thread 12.3 ms, ...'."""
    if not points:
        return f"{what} against size for {op}: nothing measured yet."
    largest = max(p.size for p in points)
    smallest = min(p.size for p in points)
    at = [p for p in points if p.size == largest]
    ends = listed([f"{p.series.label} {num(p.median_s * 1e3)} ms "
                   f"({num(p.gflops)} GFLOP/s)" for p in at])
    return (f"{what} against size for {op}, sizes {smallest} to {largest}, {meta}. At size "
            f"{largest}: {ends}.")


def naive(n: NaiveResult) -> str:
    """'The lesson's single time.time() samples of a 1000x1000 matmul ranged from ...'."""
    lo, hi = min(n.naive_s) * 1e3, max(n.naive_s) * 1e3
    return (f"The lesson's {len(n.naive_s)} single time.time() samples of a {n.n}×{n.n} "
            f"matmul, one dot each, ranged from {num(lo)} to {num(hi)} ms; Timer's median of "
            f"the same matmul is {num(n.timer.median_s * 1e3)} ms.")


def cold_warm(n: NaiveResult) -> str:
    """'The first matmul of a new process took 41 ms, a warm one 1.2 ms.'"""
    warm = f"a warm one (Timer's median) {num(n.timer.median_s * 1e3)} ms"
    if n.fresh_process_first_s is None:
        return f"Cold against warm: the fresh process was not measured; {warm}."
    return (f"Cold against warm: the first matmul in a new Python process took "
            f"{num(n.fresh_process_first_s * 1e3)} ms, {warm}.")


def roofline(r: RooflineResult, peak_gflops: float | None, meta: str) -> str:
    """'Roofline: GFLOP/s against FLOP per byte for 9 points, from ... to ...'."""
    best = max(r.points, key=lambda p: p.gflops)
    roof = f", under a compute roof of {num(peak_gflops)} GFLOP/s" if peak_gflops else ""
    return (f"Roofline, {meta}: throughput against arithmetic intensity for "
            f"{len(r.points)} measured points, below a memory roof of "
            f"{num(r.bandwidth_gbps)} GB/s{roof}; the fastest, {best.series.label} at size "
            f"{best.size}, reaches {num(best.gflops)} GFLOP/s.")
