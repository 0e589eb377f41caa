"""Timing one operation at one size, the right way, on a server many learners share.

Every number comes from `torch.utils.benchmark.Timer.blocked_autorange`: it first
sizes its blocks by running the statement 1, 10, 100... times until a block is long
enough for the clock's overhead to vanish (those runs double as a warm-up), then
times blocks of that many calls, synchronising any GPU before it reads the clock.
The thread count is always set explicitly (Timer's default is 1), TF32 is switched
per series, and one measurement at a time runs in the whole process (`exclusive`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.benchmark import Timer

from ml101 import runtime
from ml101.bench import devices
from ml101.bench.ops import DTYPES, LINEAR_FEATURES, OPS, itemsize

_measure_lock = threading.Lock()


class Busy(RuntimeError):
    """Another measurement holds the machine; one at a time keeps the server usable."""


@contextlib.contextmanager
def exclusive(wait_s: float = 0.0) -> Iterator[None]:
    """Hold the one measurement slot of this process, or raise Busy.

    Streamlit runs every learner as a thread of one process: two sweeps at once
    would each measure the other and together freeze everyone's pages.
    """
    got = _measure_lock.acquire(timeout=wait_s) if wait_s > 0 else _measure_lock.acquire(False)
    if not got:
        raise Busy("another measurement is running on this server")
    try:
        yield
    finally:
        _measure_lock.release()


def is_busy() -> bool:
    return _measure_lock.locked()


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with n intra-op threads, then restore the server's setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def tf32(enabled: bool) -> Iterator[None]:
    """Let float32 matmuls on CUDA use TF32 tensor cores (10-bit mantissa) or not."""
    matmul = torch.backends.cuda.matmul
    before = matmul.fp32_precision
    matmul.fp32_precision = "tf32" if enabled else "ieee"
    try:
        yield
    finally:
        matmul.fp32_precision = before


def numpy_threads() -> int:
    """Threads NumPy's BLAS uses: it keeps its own pool, which torch's setting never touches."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        raw = os.environ.get(var, "")
        if raw.isdigit() and int(raw) > 0:
            return int(raw)
    return devices.usable_cores()


@dataclass(frozen=True)
class Series:
    """What stays fixed along one curve of a sweep."""

    op: str
    device: str = "cpu"  # cpu, cuda or mps
    dtype: str = "float32"
    threads: int = 1
    library: str = "torch"  # torch or numpy
    tf32: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
        """library · device · dtype [· threads] [· TF32]: the words of its label."""
        where = "CPU" if self.device == "cpu" else self.device.upper()
        parts = [self.library, where, self.dtype]
        if self.device == "cpu":
            parts.append(f"{self.threads} thread{'s' * (self.threads > 1)}")
        if self.tf32:
            parts.append("TF32")
        return tuple(parts)

    @property
    def label(self) -> str:
        """The full name, as tables, tooltips and the generated code print it."""
        return " · ".join(self.parts)


def short_labels(series: list[Series]) -> dict[Series, str]:
    """Legend names: only the words that tell these curves apart ('CPU', 'CUDA · TF32'),
    so a legend stays readable; the words they share go into the chart's subtitle."""
    unique = list(dict.fromkeys(series))
    if len(unique) < 2:
        return {s: s.label for s in unique}
    shared = set.intersection(*(set(s.parts) for s in unique))
    # A series whose words are all shared differs only by lacking one (float32 beside
    # float32 · TF32): its dtype names it.
    return {s: " · ".join(p for p in s.parts if p not in shared) or s.dtype for s in unique}


@dataclass(frozen=True)
class Point:
    """One measured size of one series."""

    series: Series
    size: int
    median_s: float
    p25_s: float
    p75_s: float
    runs: int  # timed blocks
    number_per_run: int  # calls per block
    flops: int
    bytes: int  # also the working set: what must stay in a cache for calls to skip memory

    @property
    def gflops(self) -> float:
        return self.flops / self.median_s / 1e9

    @property
    def gbps(self) -> float:
        return self.bytes / self.median_s / 1e9

    @property
    def iqr_s(self) -> float:
        return self.p75_s - self.p25_s


@dataclass(frozen=True)
class Skip:
    series: Series
    size: int
    reason: str


def _inputs(series: Series, size: int, seed: int) -> tuple[str, dict[str, object]]:
    """The statement to time and its globals; outputs preallocated so allocation is not timed."""
    gen = runtime.generator(seed)
    dtype = DTYPES[series.dtype]
    dev = torch.device("cuda:0" if series.device == "cuda" else series.device)
    op = series.op
    if series.library == "numpy":
        if series.dtype == "bfloat16":
            raise ValueError("NumPy has no bfloat16")
        a = torch.randn(size, size, generator=gen).numpy().astype(series.dtype)
        b = torch.randn(size, size, generator=gen).numpy().astype(series.dtype)
        stmt = {"matmul": "np.matmul(a, b, out=c)", "add": "np.add(a, b, out=c)"}.get(op)
        if stmt is None:
            raise ValueError(f"no NumPy version of {op}")
        return stmt, {"np": np, "a": a, "b": b, "c": np.empty_like(a)}
    if op in ("matmul", "add"):
        a = torch.randn(size, size, generator=gen).to(dev, dtype)
        b = torch.randn(size, size, generator=gen).to(dev, dtype)
        fn = "torch.matmul" if op == "matmul" else "torch.add"
        return f"{fn}(a, b, out=c)", {"torch": torch, "a": a, "b": b, "c": torch.empty_like(a)}
    if op == "linear":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            layer = torch.nn.Linear(LINEAR_FEATURES, LINEAR_FEATURES).to(dev, dtype)
        layer.requires_grad_(False)
        x = torch.randn(size, LINEAR_FEATURES, generator=gen).to(dev, dtype)
        return "layer(x)", {"layer": layer, "x": x}
    if op in ("h2d_pageable", "h2d_pinned"):
        if series.device == "cpu":
            raise ValueError("a host-to-device copy needs a GPU")
        host = torch.randn(size, size, generator=gen).to(dtype)
        if op == "h2d_pinned":
            host = host.pin_memory()
        return "dst.copy_(host)", {"dst": torch.empty_like(host, device=dev), "host": host}
    raise ValueError(f"unknown op {op!r}")


def measure(series: Series, size: int, min_run_time: float = 0.2, seed: int = 0) -> Point:
    """Time one op at one size with Timer.blocked_autorange; the median is per call."""
    stmt, env = _inputs(series, size, seed)
    timer = Timer(stmt, globals=env, num_threads=series.threads,
                  label=OPS[series.op].label, sub_label=str(size), description=series.label)
    with contextlib.ExitStack() as stack:
        if series.device == "cuda":
            stack.enter_context(tf32(series.tf32))
        m = timer.blocked_autorange(min_run_time=min_run_time)
    times = m.times
    p25, p75 = (float(np.percentile(times, 25)), float(np.percentile(times, 75)))
    op = OPS[series.op]
    return Point(series, size, float(m.median), p25, p75, len(times), int(m.number_per_run),
                 op.flops(size), op.bytes(size, itemsize(series.dtype)))
