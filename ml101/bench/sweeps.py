"""Sweeps: several series measured over a range of sizes, inside a time budget.

A shared server must stay healthy: each sweep has a time budget, sizes that would not
fit in a fraction of free memory are skipped with the reason reported, and the whole
sweep holds the process's one measurement slot (`measuring.exclusive`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ml101 import runtime
from ml101.bench import devices
from ml101.bench.devices import DeviceInfo
from ml101.bench.measuring import (
    Point,
    Series,
    Skip,
    exclusive,
    measure,
    numpy_threads,
)
from ml101.bench.ops import DTYPES, OPS, itemsize

MEMORY_FRACTION = 0.25  # a sweep may use at most this share of free memory ...
MEMORY_CAP_BYTES = 1 << 30  # ... and never more than 1 GiB on a GPU, or the server's
# per-request budget (runtime.MEMORY_BUDGET_BYTES) on the CPU that everybody shares
MAX_BUDGET_S = 60.0
POINT_SECONDS = 0.15  # timing per point for cheap sizes: thousands of calls, a stable median


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


def device_info(kind: str) -> DeviceInfo:
    """This machine's device of that kind, or ValueError naming the missing one."""
    found = {d.kind: d for d in devices.available()}
    if kind not in found:
        raise ValueError(f"no {kind} device on this machine")
    return found[kind]


def predict_seconds(prev: Point, size: int) -> float:
    """One call at `size`, extrapolated from a smaller measured size by work or traffic."""
    op = OPS[prev.series.op]
    ratios = [op.bytes(size, itemsize(prev.series.dtype)) / max(1, prev.bytes)]
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
    (one that sizes the blocks plus five timed ones), extrapolated from the
    previous size, would overrun what is left of the budget.
    """
    budget = min(max(0.2, plan.budget_s), MAX_BUDGET_S)
    result = SweepResult(plan)
    with exclusive():
        start = time.perf_counter()
        last: dict[Series, Point] = {}
        caps = {kind: memory_cap(device_info(kind), plan.shared)
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
    need = op.bytes(size, itemsize(series.dtype))
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
    """The curves a comparison draws: threads (1 and all), numpy, dtypes or gpu."""
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
