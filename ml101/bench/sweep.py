"""Timing tensor operations the right way, on CPU and GPU, for the benchmark page and a CLI.

The lesson times one 1000x1000 matmul once with `time.time()`: no warm-up, one
sample, so it sees start-up costs and scheduler noise rather than the hardware.
Here every number comes from `torch.utils.benchmark.Timer.blocked_autorange`
(warm-up, synchronisation of any GPU, many timed blocks), reported as a median
with its interquartile range, with the thread count set explicitly, and turned
into GFLOP/s and GB/s by the pure counting functions below.

A shared server must stay healthy: one measurement runs at a time in the whole
process (`exclusive`), each sweep has a time budget, and sizes that would not
fit in a fraction of free memory are skipped, with the reason reported.

Command line, for anyone with a GPU to record a run the page can show:
    python -m ml101.bench --device cuda --ops matmul,add --dtypes float32,float16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.benchmark import Timer

from ml101 import runtime
from ml101.bench import devices, peaks
from ml101.bench.devices import DeviceInfo
from ml101.lesson_map import ROOT

RECORDED_DIR = ROOT / "data" / "bench"
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float64": torch.float64,
    "bfloat16": torch.bfloat16, "float16": torch.float16,
}
LINEAR_FEATURES = 1024  # nn.Linear(1024, 1024): the batch size is what the sweep varies
MEMORY_FRACTION = 0.25  # a sweep may use at most this share of free memory ...
MEMORY_CAP_BYTES = 1 << 30  # ... and never more than 1 GiB on a GPU, or the server's
# per-request budget (runtime.MEMORY_BUDGET_BYTES) on the CPU that everybody shares
MAX_SIZE = 16384
MAX_BUDGET_S = 60.0
POINT_SECONDS = 0.15  # timing per point for cheap sizes: thousands of calls, a stable median


# --- what each operation costs: pure functions, unit-tested ------------------------------

def matmul_flops(n: int) -> int:
    """n x n @ n x n: n^2 outputs, each n multiplies and n adds."""
    return 2 * n**3


def matmul_bytes(n: int, itemsize: int) -> int:
    """Minimum traffic: read A and B once, write C once."""
    return 3 * n * n * itemsize


def add_flops(n: int) -> int:
    """One add per element of an n x n tensor."""
    return n * n


def add_bytes(n: int, itemsize: int) -> int:
    """Read two n x n tensors, write one: 3 n^2 elements per add."""
    return 3 * n * n * itemsize


def linear_flops(batch: int, features: int = LINEAR_FEATURES) -> int:
    """y = x W^T + b for a (batch, f) input and f x f weight: a matmul plus the bias add."""
    return 2 * batch * features * features + batch * features


def linear_bytes(batch: int, itemsize: int, features: int = LINEAR_FEATURES) -> int:
    """Read x, W and b, write y."""
    return (batch * features + features * features + features + batch * features) * itemsize


def copy_bytes(n: int, itemsize: int) -> int:
    """A host-to-device copy of an n x n tensor moves each byte once across the bus."""
    return n * n * itemsize


@dataclass(frozen=True)
class Op:
    """One benchmarked operation: how to count its work and how much memory it needs."""

    key: str
    label: str
    size_name: str  # what the sweep's x axis means for this op
    flops: Callable[[int], int]
    bytes: Callable[[int, int], int]
    gpu_only: bool = False

    def memory(self, size: int, itemsize: int) -> int:
        """Bytes allocated on the host to run it (inputs and output)."""
        if self.key.startswith("h2d"):
            return copy_bytes(size, itemsize)
        return self.bytes(size, itemsize)

    @property
    def compute_bound(self) -> bool:
        return self.key in ("matmul", "linear")


OPS: dict[str, Op] = {
    "matmul": Op("matmul", "n x n matmul", "n (matrices are n x n)", matmul_flops, matmul_bytes),
    "add": Op("add", "elementwise add", "n (tensors are n x n)", add_flops, add_bytes),
    "linear": Op("linear", f"nn.Linear({LINEAR_FEATURES}, {LINEAR_FEATURES})", "batch size",
                 linear_flops, linear_bytes),
    "h2d_pageable": Op("h2d_pageable", "host-to-device copy (pageable)",
                       "n (tensor is n x n)", lambda n: 0, copy_bytes, gpu_only=True),
    "h2d_pinned": Op("h2d_pinned", "host-to-device copy (pinned)",
                     "n (tensor is n x n)", lambda n: 0, copy_bytes, gpu_only=True),
}


def size_grid(lo: int, hi: int) -> list[int]:
    """Powers of two from lo to hi: a log-scale sweep."""
    lo, hi = max(1, lo), min(MAX_SIZE, hi)
    first = 1 << math.ceil(math.log2(lo))
    return [s for s in (first << i for i in range(32)) if s <= hi]


# --- the process-wide lock ----------------------------------------------------------------

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


# --- one series of measurements -----------------------------------------------------------

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
    def label(self) -> str:
        where = "CPU" if self.device == "cpu" else self.device.upper()
        parts = [self.library, where, self.dtype]
        if self.device == "cpu":
            parts.append(f"{self.threads} thread{'s' * (self.threads > 1)}")
        if self.tf32:
            parts.append("TF32")
        return " · ".join(parts)


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
    bytes: int

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
    """Time one op at one size with Timer.blocked_autorange (it warms up and syncs GPUs)."""
    stmt, env = _inputs(series, size, seed)
    timer = Timer(stmt, globals=env, num_threads=series.threads,
                  label=OPS[series.op].label, sub_label=str(size), description=series.label)
    with contextlib.ExitStack() as stack:
        if series.device == "cuda":
            stack.enter_context(tf32(series.tf32))
        m = timer.blocked_autorange(min_run_time=min_run_time)
    times = m.times
    p25, p75 = (float(np.percentile(times, 25)), float(np.percentile(times, 75)))
    itemsize = DTYPES[series.dtype].itemsize
    op = OPS[series.op]
    return Point(series, size, float(m.median), p25, p75, len(times), int(m.number_per_run),
                 op.flops(size), op.bytes(size, itemsize))


# --- sweeps -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepPlan:
    series: tuple[Series, ...]
    sizes: tuple[int, ...]
    budget_s: float = 3.0
    seed: int = 0
    shared: bool = True  # False on one's own machine (the CLI): only free memory caps sizes

    @property
    def total(self) -> int:
        return len(self.series) * len(self.sizes)


@dataclass
class SweepResult:
    plan: SweepPlan
    points: list[Point] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    elapsed_s: float = 0.0
    stopped: bool = False

    @property
    def done(self) -> int:
        return len(self.points) + len(self.skipped)


def memory_cap(device: DeviceInfo, shared: bool = True) -> int:
    """Largest allocation a sweep may make on this device right now; a shared server adds
    its per-request budget, so one learner's sweep cannot starve the others."""
    free = int(devices.free_bytes(device) * MEMORY_FRACTION)
    if not shared:
        return free
    return min(runtime.MEMORY_BUDGET_BYTES if device.kind == "cpu" else MEMORY_CAP_BYTES, free)


def _device_info(kind: str) -> DeviceInfo:
    found = {d.kind: d for d in devices.available()}
    if kind not in found:
        raise ValueError(f"no {kind} device on this machine")
    return found[kind]


def predict_seconds(prev: Point, size: int) -> float:
    """One call at `size`, extrapolated from a smaller measured size by work or traffic."""
    op = OPS[prev.series.op]
    itemsize = DTYPES[prev.series.dtype].itemsize
    ratios = [op.bytes(size, itemsize) / max(1, prev.bytes)]
    if prev.flops:
        ratios.append(op.flops(size) / prev.flops)
    return prev.median_s * max(ratios)


def run_sweep(plan: SweepPlan,
              on_event: Callable[[SweepResult, Point | Skip], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> SweepResult:
    """Measure every series at every size, small to large, inside the time budget.

    Sizes go in the outer loop so that a stop or an exhausted budget leaves
    every series measured over the same range. A size is skipped, never
    attempted, when it would not fit in memory or when about six calls of it
    (warm-up plus five timed blocks), extrapolated from the previous size,
    would overrun what is left of the budget.
    """
    budget = min(max(0.2, plan.budget_s), MAX_BUDGET_S)
    result = SweepResult(plan)
    with exclusive():
        start = time.perf_counter()
        last: dict[Series, Point] = {}
        caps = {kind: memory_cap(_device_info(kind), plan.shared)
                for kind in {s.device for s in plan.series}}
        for size in plan.sizes:
            for series in plan.series:
                if should_stop and should_stop():
                    result.stopped = True
                    result.elapsed_s = time.perf_counter() - start
                    return result
                left = budget - (time.perf_counter() - start)
                per_point = left / max(1, plan.total - result.done)
                event = _plan_point(series, size, left, caps[series.device], last.get(series))
                if event is None:
                    predicted = predict_seconds(last[series], size) if series in last else 0.0
                    try:
                        base = min(per_point, POINT_SECONDS)
                        event = measure(series, size, max(0.02, base, 5 * predicted), plan.seed)
                    except (ValueError, RuntimeError) as exc:  # dtype or op unsupported here
                        event = Skip(series, size, f"not supported: {exc}")
                if isinstance(event, Point):
                    last[series] = event
                    result.points.append(event)
                else:
                    result.skipped.append(event)
                if on_event:
                    on_event(result, event)
        result.elapsed_s = time.perf_counter() - start
    return result


def _plan_point(series: Series, size: int, left_s: float, cap: int,
                prev: Point | None) -> Skip | None:
    """Why a point must be skipped, or None when it may run."""
    op = OPS[series.op]
    need = op.memory(size, DTYPES[series.dtype].itemsize)
    if need > cap:
        return Skip(series, size, f"memory: needs {need / 2**20:.0f} MiB, one run may use "
                                  f"{cap / 2**20:.0f} MiB here")
    if op.gpu_only and series.device == "cpu":
        return Skip(series, size, "a host-to-device copy needs a GPU")
    if prev is not None and 6 * predict_seconds(prev, size) > left_s:
        return Skip(series, size, f"time budget: about {6 * predict_seconds(prev, size):.2f} s "
                                  f"needed, {max(0.0, left_s):.2f} s left")
    if left_s <= 0:
        return Skip(series, size, "time budget used up")
    return None


def compare_series(op: str, compare: str, *, dtype: str = "float32", threads: int = 1,
                   gpu: str | None = None, tf32_on: bool = False) -> tuple[Series, ...]:
    """The curves a page comparison draws: threads, numpy, dtypes or gpu."""
    cores = devices.usable_cores()
    threads = max(1, min(threads, cores))
    if compare == "threads":
        counts = sorted({1, cores})
        return tuple(Series(op, "cpu", dtype, t) for t in counts)
    if compare == "numpy":
        return (Series(op, "cpu", dtype, threads),
                Series(op, "cpu", dtype, numpy_threads(), library="numpy"))
    if compare == "dtypes":
        return tuple(Series(op, "cpu", d, threads) for d in DTYPES)
    if compare == "gpu":
        if gpu is None:
            raise ValueError("no GPU on this machine")
        return (Series(op, "cpu", dtype, cores),
                Series(op, gpu, dtype, cores, tf32=tf32_on and gpu == "cuda"))
    raise ValueError(f"unknown comparison {compare!r}")


# --- reading results ----------------------------------------------------------------------

def crossover(sizes: list[int], slow: list[float], fast: list[float]) -> int | None:
    """Smallest size from which `fast` beats `slow` at every larger size too.

    For CPU vs GPU: below it, launch overhead and transfers make the GPU lose.
    """
    found = None
    for size, a, b in sorted(zip(sizes, slow, fast, strict=True), reverse=True):
        if b < a:
            found = size
        else:
            break
    return found


def slow_dtypes(points: list[Point], reference: str = "float32",
                factor: float = 3.0) -> dict[str, float]:
    """Dtypes that ran `factor` times slower than float32 at the largest size both measured.

    Half precision halves the bytes, so it should never be much slower; when it
    is, the device has no fast kernel for it (float16 matmul on most CPUs).
    """
    by = {(p.series.dtype, p.size): p.median_s for p in points if p.series.library == "torch"}
    flagged: dict[str, float] = {}
    for dtype in {p.series.dtype for p in points} - {reference}:
        common = [s for (d, s) in by if d == dtype and (reference, s) in by]
        if common:
            size = max(common)
            ratio = by[(dtype, size)] / by[(reference, size)]
            if ratio >= factor:
                flagged[dtype] = ratio
    return flagged


def point_peak(point: Point, gpu_name: str = "", cpu: DeviceInfo | None = None) -> peaks.Peak:
    """The ceiling for one point: its GPU's published figure, or the CPU's theoretical peak
    for exactly the threads and dtype it ran with."""
    s = point.series
    if s.device != "cpu":
        return peaks.gpu_peak(gpu_name, s.dtype, tf32=s.tf32)
    return peaks.cpu_peak(cpu or devices.cpu(), s.threads, s.dtype)


def reference_peak(points: list[Point], gpu_name: str = "",
                   cpu: DeviceInfo | None = None) -> peaks.Peak:
    """The one line a throughput chart draws: the GPU's peak if a GPU series is there, else
    the CPU's for the most threads any series used (float32 when dtypes are compared)."""
    if not points:
        return peaks.Peak(0.0, 0.0, "nothing measured")
    dtypes = {p.series.dtype for p in points}
    dtype = "float32" if len(dtypes) > 1 else dtypes.pop()
    chosen = max(points, key=lambda p: (p.series.device != "cpu", p.series.threads))
    return point_peak(Point(Series(chosen.series.op, chosen.series.device, dtype,
                                   chosen.series.threads, tf32=chosen.series.tf32),
                            0, 1.0, 1.0, 1.0, 0, 0, 0, 0), gpu_name, cpu)


def percent_of_peak(point: Point, peak: peaks.Peak) -> float | None:
    """Achieved share of the ceiling, in %, for compute-bound ops; None when not meaningful."""
    if peak.gflops <= 0 or not point.flops or not OPS[point.series.op].compute_bound:
        return None
    return 100 * point.gflops / peak.gflops


def table(points: list[Point], gpu_name: str = "", cpu: DeviceInfo | None = None,
          ) -> pd.DataFrame:
    """The table under the charts: every number the charts plot, plus work per call and the
    share of the peak for that point's own threads and dtype."""
    rows = []
    for p in points:
        rows.append({"series": p.series.label, "size": p.size,
                     "median (ms)": p.median_s * 1e3, "IQR (ms)": p.iqr_s * 1e3,
                     "timed runs": p.runs, "calls per run": p.number_per_run,
                     "GFLOP per call": p.flops / 1e9, "GFLOP/s": p.gflops, "GB/s": p.gbps,
                     "% of peak": percent_of_peak(p, point_peak(p, gpu_name, cpu))})
    return pd.DataFrame(rows)


# --- recorded runs: CSV with full device metadata -----------------------------------------

POINT_COLUMNS = ["op", "library", "device", "dtype", "threads", "tf32", "size", "median_s",
                 "p25_s", "p75_s", "runs", "number_per_run", "flops", "bytes", "gflops", "gbps"]
META_COLUMNS = ["device_name", "gpu_capability", "gpu_memory_gb", "cpu_model", "cpu_cores",
                "cpu_clock_ghz", "cpu_simd", "torch_version", "cuda_version", "numpy_version",
                "recorded_at"]
CSV_COLUMNS = POINT_COLUMNS + META_COLUMNS
MAX_CSV_ROWS = 20_000


def metadata(device_kind: str = "cpu") -> dict[str, object]:
    """Everything a reader needs to trust or compare a run: machine, versions, date."""
    cpu = devices.cpu()
    gpu = devices.gpu() if device_kind != "cpu" else None
    return {
        "device_name": gpu.name if gpu else cpu.name,
        "gpu_capability": gpu.capability if gpu else "",
        "gpu_memory_gb": gpu.memory_gb if gpu else 0.0,
        "cpu_model": cpu.name, "cpu_cores": cpu.cores, "cpu_clock_ghz": cpu.clock_ghz,
        "cpu_simd": cpu.simd, "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda or "", "numpy_version": np.__version__,
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def to_frame(points: list[Point], meta: dict[str, object] | None = None) -> pd.DataFrame:
    """One row per point, the metadata repeated on each row so any row stands alone."""
    meta = meta or metadata()
    rows = []
    for p in points:
        s = p.series
        rows.append({"op": s.op, "library": s.library, "device": s.device, "dtype": s.dtype,
                     "threads": s.threads, "tf32": s.tf32, "size": p.size,
                     "median_s": p.median_s, "p25_s": p.p25_s, "p75_s": p.p75_s,
                     "runs": p.runs, "number_per_run": p.number_per_run, "flops": p.flops,
                     "bytes": p.bytes, "gflops": p.gflops, "gbps": p.gbps, **meta})
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def from_frame(df: pd.DataFrame) -> list[Point]:
    return [Point(Series(r.op, r.device, r.dtype, int(r.threads), r.library, bool(r.tf32)),
                  int(r.size), float(r.median_s), float(r.p25_s), float(r.p75_s), int(r.runs),
                  int(r.number_per_run), int(r.flops), int(r.bytes))
            for r in df.itertuples()]


def write_csv(points: list[Point], path: Path | str, meta: dict[str, object] | None = None,
              ) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_frame(points, meta).to_csv(path, index=False)
    return path


class BadCsv(ValueError):
    """A CSV that is not a benchmark recording; the message says what is wrong."""


_TEXT_OK = re.compile(r"^[\w .,:;()/+@#\-\[\]]*$")


def load_csv(source: Path | str) -> pd.DataFrame:
    """Read and validate a recorded run: known columns, sane numbers, plain text only."""
    try:
        df = pd.read_csv(source, nrows=MAX_CSV_ROWS + 1, keep_default_na=False,
                         dtype={c: str for c in ("device_name", "cpu_model", "gpu_capability",
                                                 "torch_version", "cuda_version",
                                                 "numpy_version", "recorded_at", "cpu_simd")})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise BadCsv(f"cannot read it as CSV ({exc})") from exc
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise BadCsv(f"missing columns: {', '.join(missing)}")
    if len(df) > MAX_CSV_ROWS:
        raise BadCsv(f"more than {MAX_CSV_ROWS} rows")
    df = df[CSV_COLUMNS].copy()
    if not df["op"].isin(list(OPS)).all() or not df["dtype"].isin(list(DTYPES)).all():
        raise BadCsv("unknown op or dtype")
    if not df["device"].isin(["cpu", "cuda", "mps"]).all() or \
            not df["library"].isin(["torch", "numpy"]).all():
        raise BadCsv("unknown device or library")
    numeric = ["threads", "size", "median_s", "p25_s", "p75_s", "runs", "number_per_run",
               "flops", "bytes", "gflops", "gbps", "gpu_memory_gb", "cpu_cores", "cpu_clock_ghz"]
    try:
        df[numeric] = df[numeric].apply(pd.to_numeric, errors="raise")
    except (ValueError, TypeError) as exc:
        raise BadCsv(f"a numeric column holds text ({exc})") from exc
    if (df["median_s"] <= 0).any() or (df["size"] <= 0).any():
        raise BadCsv("times and sizes must be positive")
    df["tf32"] = df["tf32"].astype(str).str.lower().isin(["true", "1"])
    for col in ("device_name", "cpu_model", "torch_version", "recorded_at"):
        if not df[col].astype(str).map(lambda v: bool(_TEXT_OK.match(v)) and len(v) < 200).all():
            raise BadCsv(f"column {col} holds unexpected characters")
    return df


@dataclass(frozen=True)
class Recording:
    path: Path
    frame: pd.DataFrame

    @property
    def label(self) -> str:
        """Device and date, the two things a reader must see on any recorded curve."""
        row = self.frame.iloc[0]
        kinds = sorted(set(self.frame["device"]))
        gpu = [k.upper() for k in kinds if k != "cpu"]
        where = f"{'/'.join(gpu)} {row.device_name}" if gpu else f"CPU {row.cpu_model}"
        return f"{where}, recorded {str(row.recorded_at)[:10]}"

    @property
    def has_gpu(self) -> bool:
        return bool((self.frame["device"] != "cpu").any())


def recordings(folder: Path | None = None) -> tuple[list[Recording], list[str]]:
    """Every valid CSV under data/bench, and a note for each file that is not one."""
    folder = RECORDED_DIR if folder is None else folder
    found, problems = [], []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            found.append(Recording(path, load_csv(path)))
        except BadCsv as exc:
            problems.append(f"{path.name}: {exc}")
    return found, problems


# --- the lesson's measurement, repeated, beside the right one ------------------------------

@dataclass(frozen=True)
class NaiveResult:
    n: int
    device: str
    threads: int
    naive_s: list[float]  # the lesson's one time.time() sample, taken again and again
    timer: Point  # the same op measured properly
    fresh_process_first_s: float | None  # first matmul in a new Python process
    fresh_process_import_s: float | None


# Runs in a new interpreter: what the lesson's script sees on its first and only call.
# Arguments are validated integers and a dtype name from DTYPES; nothing else enters.
_COLD_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import torch
imported = time.perf_counter() - t0
n, threads, device = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)
a = torch.randn(n, n, device=device)
b = torch.randn(n, n, device=device)
if device != "cpu":
    torch.accelerator.synchronize()
t = time.perf_counter()
c = a @ b
if device != "cpu":
    torch.accelerator.synchronize()
first = time.perf_counter() - t
print(json.dumps({"import_s": imported, "first_s": first}))
"""


def fresh_process_first_call(n: int, threads: int, device: str = "cpu",
                             timeout_s: float = 60) -> tuple[float, float]:
    """Seconds to import torch and to run the very first matmul in a brand-new process."""
    if device not in ("cpu", "cuda", "mps") or not 1 <= n <= 4096 or not 1 <= threads <= 1024:
        raise ValueError("n must be 1..4096, threads 1..1024, device cpu/cuda/mps")
    out = subprocess.run(  # noqa: S603 (fixed script, validated integer arguments)
        [sys.executable, "-c", _COLD_SCRIPT, str(n), str(threads), device],
        capture_output=True, text=True, timeout=timeout_s, check=True,
        env={**os.environ, "OMP_NUM_THREADS": str(threads)},
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["import_s"]), float(data["first_s"])


def naive_vs_correct(n: int = 1000, repeats: int = 10, threads: int = 1, device: str = "cpu",
                     fresh_process: bool = True, seed: int = 0,
                     on_step: Callable[[str, float], None] | None = None) -> NaiveResult:
    """The lesson's single `time.time()` sample taken `repeats` times, then Timer's median.

    The first naive sample is the first call on fresh tensors in this process;
    the fresh-process figure is what the lesson's script itself would print.
    """
    n = max(1, min(n, 4096))
    repeats = max(1, min(repeats, 50))
    threads = max(1, min(threads, devices.usable_cores()))
    dev = torch.device("cuda:0" if device == "cuda" else device)
    with exclusive():
        cold = imported = None
        if fresh_process:
            if on_step:
                on_step("Starting a fresh Python process for the cold first call", 0.0)
            imported, cold = fresh_process_first_call(n, threads, device)
        gen = runtime.generator(seed)
        a = torch.randn(n, n, generator=gen).to(dev)
        b = torch.randn(n, n, generator=gen).to(dev)
        naive: list[float] = []
        with torch_threads(threads):
            for i in range(repeats):
                if on_step:
                    on_step(f"time.time() sample {i + 1} of {repeats}", (i + 1) / (repeats + 2))
                if device != "cpu":
                    torch.accelerator.synchronize()  # the lesson does this much on a GPU
                start = time.time()
                _ = a @ b
                if device != "cpu":
                    torch.accelerator.synchronize()
                naive.append(time.time() - start)
        if on_step:
            on_step("Timer.blocked_autorange", (repeats + 1) / (repeats + 2))
        timed = measure(Series("matmul", device, "float32", threads), n, 0.5, seed)
    return NaiveResult(n, device, threads, naive, timed, cold, imported)


# --- roofline -----------------------------------------------------------------------------

ROOFLINE_POINTS: tuple[tuple[str, int], ...] = (
    ("add", 256), ("add", 2048), ("linear", 1), ("linear", 16), ("matmul", 64),
    ("linear", 256), ("matmul", 256), ("matmul", 1024),
)
_STREAM_ELEMENTS = 1 << 24  # 64 MiB of float32: larger than any cache


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


def intensity(point: Point) -> float:
    """Arithmetic intensity, FLOP per byte moved: what decides which roof applies."""
    return point.flops / point.bytes


# --- code the page shows ------------------------------------------------------------------

def sweep_code(plan: SweepPlan, measured: list[Point] | None = None) -> str:
    """Runnable code for a sweep: prints size, FLOP and bytes per call, median and IQR.

    Given the measured points, each series loops over exactly the sizes it measured, so the
    code prints the rows of the table and not the ones the time budget skipped."""
    lines = [
        "import numpy as np",
        "import torch",
        "from torch.utils.benchmark import Timer",
        "",
        f"torch.manual_seed({plan.seed})",
        "",
        "",
        "def timed(stmt, env, threads):",
        "    # blocked_autorange warms up, synchronises any GPU and times many blocks.",
        "    m = Timer(stmt, globals=env, num_threads=threads).blocked_autorange(",
        "        min_run_time=0.2)",
        "    t = np.array(m.times)",
        "    return m.median, np.percentile(t, 75) - np.percentile(t, 25), len(t)",
        "",
        "",
    ]
    for s in plan.series:
        sizes = list(plan.sizes) if measured is None else \
            sorted(p.size for p in measured if p.series == s)
        if not sizes:
            continue
        op = OPS[s.op]
        dev = "cuda" if s.device == "cuda" else s.device
        dt = f"torch.{s.dtype}"
        lines.append(f"# {s.label}: {op.label}")
        if s.tf32:
            lines.append('torch.backends.cuda.matmul.fp32_precision = "tf32"')
        elif s.device == "cuda":
            lines.append('torch.backends.cuda.matmul.fp32_precision = "ieee"')
        lines.append(f"for size in {sizes}:")
        if s.library == "numpy":
            lines += [f"    a = torch.randn(size, size).numpy().astype('{s.dtype}')",
                      f"    b = torch.randn(size, size).numpy().astype('{s.dtype}')",
                      f"    stmt = 'np.{'matmul' if s.op == 'matmul' else 'add'}(a, b, out=c)'",
                      "    env = {'np': np, 'a': a, 'b': b, 'c': np.empty_like(a)}"]
        elif s.op in ("matmul", "add"):
            lines += [f"    a = torch.randn(size, size).to('{dev}', {dt})",
                      f"    b = torch.randn(size, size).to('{dev}', {dt})",
                      f"    stmt = 'torch.{s.op}(a, b, out=c)'",
                      "    env = {'torch': torch, 'a': a, 'b': b, 'c': torch.empty_like(a)}"]
        elif s.op == "linear":
            f = LINEAR_FEATURES
            lines += [f"    layer = torch.nn.Linear({f}, {f}).to('{dev}', {dt})"
                      ".requires_grad_(False)",
                      f"    x = torch.randn(size, {f}).to('{dev}', {dt})",
                      "    stmt, env = 'layer(x)', {'layer': layer, 'x': x}"]
        else:
            pin = ".pin_memory()" if s.op == "h2d_pinned" else ""
            lines += [f"    host = torch.randn(size, size).to({dt}){pin}",
                      f"    dst = torch.empty_like(host, device='{dev}')",
                      "    stmt, env = 'dst.copy_(host)', {'dst': dst, 'host': host}"]
        flops = {"matmul": "2 * size**3", "add": "size**2",
                 "linear": f"2 * size * {LINEAR_FEATURES}**2 + size * {LINEAR_FEATURES}"}
        nbytes = {"matmul": "3 * size**2", "add": "3 * size**2",
                  "linear": f"(2 * size * {LINEAR_FEATURES} + {LINEAR_FEATURES}**2 + "
                            f"{LINEAR_FEATURES})"}
        item = DTYPES[s.dtype].itemsize
        lines += [f"    flops = {flops.get(s.op, '0')}",
                  f"    nbytes = {nbytes.get(s.op, 'size**2')} * {item}",
                  f"    median, iqr, runs = timed(stmt, env, threads={s.threads})",
                  f"    print('{s.label}', size, flops, nbytes,",
                  "          f'{median * 1e3:.4f} ms', f'IQR {iqr * 1e3:.4f} ms', runs,",
                  "          f'{flops / median / 1e9:.2f} GFLOP/s', "
                  "f'{nbytes / median / 1e9:.2f} GB/s')",
                  ""]
    return "\n".join(lines).rstrip() + "\n"


# --- command line -------------------------------------------------------------------------

def _parse_sizes(text: str) -> list[int]:
    """'64:4096' (powers of two between) or '64,100,1000'."""
    if ":" in text:
        lo, hi = (int(v) for v in text.split(":", 1))
        return size_grid(lo, hi)
    sizes = sorted({int(v) for v in text.split(",") if v.strip()})
    if not sizes or sizes[0] < 1 or sizes[-1] > MAX_SIZE:
        raise argparse.ArgumentTypeError(f"sizes must be 1..{MAX_SIZE}")
    return sizes


def main(argv: list[str] | None = None) -> Path:
    """Record a sweep to CSV; on a GPU machine the CPU is measured alongside for crossover."""
    parser = argparse.ArgumentParser(prog="python -m ml101.bench", description=main.__doc__)
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default="cpu")
    parser.add_argument("--ops", default="matmul,add,linear",
                        help=f"comma list of {', '.join(OPS)} (h2d needs a GPU)")
    parser.add_argument("--dtypes", default="float32", help=f"comma list of {', '.join(DTYPES)}")
    parser.add_argument("--sizes", type=_parse_sizes, default=size_grid(16, 4096),
                        help="lo:hi for powers of two, or a comma list")
    parser.add_argument("--threads", type=int, default=devices.usable_cores(),
                        help="CPU intra-op threads (default: every usable core)")
    parser.add_argument("--tf32", choices=["off", "on", "both"], default="both",
                        help="CUDA float32 matmul with and/or without TF32")
    parser.add_argument("--no-cpu", action="store_true",
                        help="on a GPU, skip the CPU series used for the crossover")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds per op and dtype (at most 60)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    _device_info(args.device)  # fail early if the device is absent
    ops = [o for o in args.ops.split(",") if o]
    dtypes = [d for d in args.dtypes.split(",") if d]
    unknown = [o for o in ops if o not in OPS] + [d for d in dtypes if d not in DTYPES]
    if unknown:
        parser.error(f"unknown op or dtype: {', '.join(unknown)}")
    points: list[Point] = []
    for op in ops:
        for dtype in dtypes:
            series: list[Series] = []
            if args.device == "cpu" or (not args.no_cpu and not OPS[op].gpu_only):
                series.append(Series(op, "cpu", dtype, args.threads))
            if args.device != "cpu":
                modes = {"off": [False], "on": [True], "both": [False, True]}[args.tf32]
                if args.device != "cuda" or dtype != "float32" or op in ("add",) or \
                        OPS[op].gpu_only:
                    modes = [False]
                series += [Series(op, args.device, dtype, args.threads, tf32=m) for m in modes]
            result = run_sweep(SweepPlan(tuple(series), tuple(args.sizes), args.budget,
                                         shared=False))
            for p in result.points:
                print(f"{p.series.label:45s} {p.size:6d} {p.median_s * 1e3:10.4f} ms "
                      f"{p.gflops:10.1f} GFLOP/s {p.gbps:8.1f} GB/s")
            for s in result.skipped:
                print(f"{s.series.label:45s} {s.size:6d} skipped: {s.reason}")
            points += result.points
    meta = metadata(args.device)
    if args.out is None:
        name = re.sub(r"[^a-z0-9]+", "-", str(meta["device_name"]).lower()).strip("-")
        args.out = RECORDED_DIR / f"{args.device}-{name}-{str(meta['recorded_at'])[:10]}.csv"
    path = write_csv(points, args.out, meta)
    print(f"wrote {len(points)} points to {path}")
    return path


def point_dict(p: Point) -> dict[str, object]:
    """A point flattened for tables: series fields plus derived throughput."""
    d = {f.name: getattr(p.series, f.name) for f in fields(Series)}
    d.update({k: v for k, v in asdict(p).items() if k != "series"})
    d.update(gflops=p.gflops, gbps=p.gbps)
    return d


if __name__ == "__main__":
    main()
