"""How bench scripts hand their headline figures to `benches/run_all.py`.

A script prints its own tables for people, and calls `headline(...)` once per target,
which prints one machine-readable line that run_all collects into BENCHMARKS.md's
summary table.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

MARK = "::headline::"


def headline(metric: str, value: float, unit: str, target: str, met: bool | None) -> None:
    """One row of the summary: what, how much, the target, and whether it is met."""
    print(MARK + json.dumps({"metric": metric, "value": value, "unit": unit,
                             "target": target, "met": met}))


def parse(output: str) -> list[dict[str, object]]:
    return [json.loads(line[len(MARK):]) for line in output.splitlines()
            if line.startswith(MARK)]


def timings(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Wall-clock seconds of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1,
                                                   round(0.95 * (len(ordered) - 1)))]
