"""What the measured points say: where the GPU starts to win, which dtype is slow and why,
how close a point came to its ceiling, and whether it measured a cache or memory.

Pure functions of points and the `Machine` they ran on, so a live sweep and a recording
from another machine are read by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml101.bench import peaks
from ml101.bench.devices import Cache, Machine
from ml101.bench.measuring import Point, Series
from ml101.bench.ops import OPS

HALF = ("float16", "bfloat16")
SLOW_PATH_FACTOR = 3.0  # a half type this much slower than float32 has no fast kernel
FLOAT64_NOTE_FACTOR = 1.5  # float64 slower than this gets its (expected) explanation
FLOAT64_EXPECTED = 2.0  # twice the bytes per number, half the numbers per vector register


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


def gpu_crossover(points: list[Point]) -> int | None:
    """Size from which the GPU beats the CPU, if both were measured. With several series it
    compares like with like: the CPU at its most threads against the GPU in full float32,
    since TF32 buys its speed with precision."""
    cpus = [p.series for p in points if p.series.device == "cpu"]
    gpus = [p.series for p in points if p.series.device != "cpu"]
    if not cpus or not gpus:
        return None
    cpu_s, gpu_s = max(cpus, key=lambda s: s.threads), min(gpus, key=lambda s: s.tf32)
    cpu = {p.size: p.median_s for p in points if p.series == cpu_s}
    gpu = {p.size: p.median_s for p in points if p.series == gpu_s}
    common = sorted(set(cpu) & set(gpu))
    return crossover(common, [cpu[s] for s in common], [gpu[s] for s in common]) if common \
        else None


def meta_line(points: list[Point], device: str, torch_version: str) -> str:
    """Device · torch · threads · dtype · runs: the line under every chart title."""
    threads = sorted({p.series.threads for p in points})
    dtypes = sorted({p.series.dtype for p in points})
    runs = [p.runs for p in points] or [0]
    libs = sorted({p.series.library for p in points})
    thread_text = ", ".join(map(str, threads))
    run_text = f"{min(runs)}" if min(runs) == max(runs) else f"{min(runs)} to {max(runs)}"
    extra = " (NumPy: its own BLAS pool)" if "numpy" in libs else ""
    return (f"{device} · torch {torch_version} · threads {thread_text}{extra} · "
            f"{', '.join(dtypes)} · {run_text} timed runs per point, median with IQR")


# --- caches ------------------------------------------------------------------------------

def cache_of(point: Point, machine: Machine) -> Cache | None:
    """The cache that holds the point's whole working set, or None when it streams from
    memory (or the cache sizes are unknown). A host-to-device copy is limited by the bus,
    so no cache is named for it."""
    if OPS[point.series.op].gpu_only:
        return None
    return machine.device(point.series.device).cache_for(point.bytes)


def residence(point: Point, machine: Machine) -> str:
    """'fits in L2 (1 MiB)', 'exceeds L3 (32 MiB)', 'cache size unknown', or '' for a copy:
    the words the table and tooltips use for where repeated calls find their data."""
    if OPS[point.series.op].gpu_only:
        return ""
    device = machine.device(point.series.device)
    if not device.caches:
        return "cache size unknown"
    found = device.cache_for(point.bytes)
    return f"fits in {found.label}" if found else f"exceeds {device.caches[-1].label}"


# --- dtypes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DtypeNote:
    """What a dtype's time against float32's means, at the largest size both ran."""

    dtype: str
    ratio: float  # its median time / float32's
    size: int
    slow_path: bool  # True: slower than its bytes explain (a warning), False: as expected
    text: str


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.2g} MiB"


def _float64_text(ratio: float, size: int, p64: Point, p32: Point, machine: Machine) -> str:
    text = (f"**float64 took {ratio:.1f}× float32's time** at size {size}, as expected: each "
            "number is 8 bytes instead of 4, so memory delivers half as many per second and "
            "a vector register holds half as many per instruction. About twice the time "
            "either way.")
    if ratio < SLOW_PATH_FACTOR:
        return text
    c32, c64 = cache_of(p32, machine), cache_of(p64, machine)
    if c32 is not None and (c64 is None or c64.level > c32.level):
        where = f"needs {c64.label}" if c64 else "does not fit in any cache"
        return (f"{text} More than twice here because float32's working set "
                f"({_mib(p32.bytes)}) fits in {c32.label} and float64's ({_mib(p64.bytes)}) "
                f"{where}.")
    return f"{text} More than twice here: this device's float64 kernel is slower per number."


def _half_in_cache_text(dtype: str, ratio: float, size: int, cache: Cache) -> str:
    return (f"**{dtype} took {ratio:.1f}× float32's time** at size {size}, where both fit in "
            f"{cache.label}. While the data sits in a cache, halving the bytes saves little, "
            f"and torch's CPU kernels add {dtype} numbers in float32, converting each one in "
            "and out. Beyond the caches, where the bytes decide, it should catch up.")


def _half_text(dtype: str, ratio: float, size: int, point: Point, machine: Machine) -> str:
    device = machine.device(point.series.device)
    where = f"this CPU ({device.simd or 'its SIMD level unknown'})" if device.kind == "cpu" \
        else "this GPU"
    return (f"**{dtype} is slow on this device**: {ratio:.0f}× float32's time at size {size}. "
            f"It halves the bytes per number, so with a fast kernel it would be at least as "
            f"fast; {where} has no fast {dtype} {OPS[point.series.op].label} kernel, so torch "
            "takes a slow path.")


def dtype_notes(points: list[Point], machine: Machine, reference: str = "float32",
                ) -> list[DtypeNote]:
    """Every dtype whose time against float32 needs saying, compared within one device,
    library and thread count: half types much slower (a slow path, unless an elementwise op
    ran from a CPU cache, where converting costs more than the bytes saved), float64 slower
    (its bytes explain about 2×, a cache boundary the rest)."""
    groups: dict[tuple, dict[tuple[str, int], Point]] = {}
    for p in points:
        s = p.series
        if s.library == "torch" and not s.tf32:
            groups.setdefault((s.op, s.device, s.threads), {})[(s.dtype, p.size)] = p
    notes = []
    for by in groups.values():
        for dtype in sorted({d for d, _ in by} - {reference}):
            common = [n for d, n in by if d == dtype and (reference, n) in by]
            if not common:
                continue
            size = max(common)
            p, ref = by[(dtype, size)], by[(reference, size)]
            ratio = p.median_s / ref.median_s
            cache = cache_of(ref, machine)
            elementwise_in_cache = cache is not None and p.series.device == "cpu" and \
                not OPS[p.series.op].compute_bound
            if dtype in HALF and ratio >= SLOW_PATH_FACTOR and elementwise_in_cache:
                notes.append(DtypeNote(dtype, ratio, size, False,
                                       _half_in_cache_text(dtype, ratio, size, cache)))
            elif dtype in HALF and ratio >= SLOW_PATH_FACTOR:
                notes.append(DtypeNote(dtype, ratio, size, True,
                                       _half_text(dtype, ratio, size, p, machine)))
            elif dtype == "float64" and ratio >= FLOAT64_NOTE_FACTOR:
                notes.append(DtypeNote(dtype, ratio, size, False,
                                       _float64_text(ratio, size, p, ref, machine)))
    return notes


# --- ceilings ----------------------------------------------------------------------------

def point_peak(point: Point, machine: Machine) -> peaks.Peak:
    """The ceiling for one point: its GPU's published figure, or the CPU's theoretical peak
    for exactly the threads and dtype it ran with."""
    s = point.series
    if s.device != "cpu":
        name = machine.gpu.name if machine.gpu else ""
        return peaks.gpu_peak(name, s.dtype, tf32=s.tf32)
    return peaks.cpu_peak(machine.cpu, s.threads, s.dtype)


def reference_peak(points: list[Point], machine: Machine) -> peaks.Peak:
    """The one line a throughput chart draws: the GPU's peak if a GPU series is there, else
    the CPU's for the most threads any series used (float32 when dtypes are compared)."""
    if not points:
        return peaks.Peak(0.0, 0.0, "nothing measured")
    dtypes = {p.series.dtype for p in points}
    dtype = "float32" if len(dtypes) > 1 else dtypes.pop()
    chosen = max(points, key=lambda p: (p.series.device != "cpu", p.series.threads))
    s = chosen.series
    return point_peak(Point(Series(s.op, s.device, dtype, s.threads, tf32=s.tf32),
                            0, 1.0, 1.0, 1.0, 0, 0, 0, 0), machine)


def percent_of_peak(point: Point, peak: peaks.Peak) -> float | None:
    """Achieved share of the ceiling, in %, for compute-bound ops; None when not meaningful."""
    if peak.gflops <= 0 or not point.flops or not OPS[point.series.op].compute_bound:
        return None
    return 100 * point.gflops / peak.gflops


def table(points: list[Point], machine: Machine) -> pd.DataFrame:
    """The table under the charts: every number the charts plot, plus work per call, the
    share of the peak for that point's own threads and dtype, and where its data lives."""
    rows = []
    for p in points:
        rows.append({"series": p.series.label, "size": p.size,
                     "median (ms)": p.median_s * 1e3, "IQR (ms)": p.iqr_s * 1e3,
                     "timed runs": p.runs, "calls per run": p.number_per_run,
                     "GFLOP per call": p.flops / 1e9, "GFLOP/s": p.gflops, "GB/s": p.gbps,
                     "% of peak": percent_of_peak(p, point_peak(p, machine)),
                     "working set (MiB)": p.bytes / 2**20,
                     "working set": residence(p, machine)})
    return pd.DataFrame(rows)
