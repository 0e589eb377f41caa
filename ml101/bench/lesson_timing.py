"""The lesson's GPU timing, repeated as it stands, beside a measurement with Timer.

The lesson times one matmul once with `time.time()`: no warm-up, one sample, so it
sees start-up costs and scheduler noise rather than the hardware. Here that single
sample is taken again and again, the very first call is timed in a brand-new Python
process (what the lesson's script itself prints), and the same matmul is measured
properly for comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ml101 import runtime
from ml101.bench import devices
from ml101.bench.measuring import Point, Series, exclusive, measure, torch_threads


@dataclass(frozen=True)
class NaiveResult:
    """The lesson's samples, Timer's measurement of the same matmul, and the cold call."""

    n: int
    device: str
    threads: int
    naive_s: list[float]  # the lesson's one time.time() sample, taken again and again
    timer: Point  # the same op measured properly
    fresh_process_first_s: float | None  # first matmul in a new Python process
    fresh_process_import_s: float | None


# Runs in a new interpreter: what the lesson's script sees on its first and only call.
# Its arguments are two validated integers and a device name; nothing else enters.
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
