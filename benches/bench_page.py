"""Does the benchmark page report the truth? float32 matmul at n = 1024, three ways.

- page: the page's own code path, `bench.run_sweep` on a one-size plan;
- independent: a bare `torch.utils.benchmark.Timer("a @ b")` written here;
- peak: the CPU's theoretical peak for the same thread count.

Targets: page within 10% of independent; page at least 75% of peak where the
hardware reaches it. Rounds alternate between the two measurements so load on
a shared machine hits both alike. Prints a table; asserts nothing.

With `--device cuda` the same three-way check runs on the GPU, TF32 off and on, against
the card's published peak (Timer synchronises CUDA itself).

    python benches/bench_page.py [--rounds 3] [--seconds 1.0] [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from report import headline
from torch.utils.benchmark import Timer

from ml101.bench import devices, peaks
from ml101.bench import sweep as bench

N = 1024


def page_gflops(threads: int, seconds: float, device: str = "cpu", tf32: bool = False) -> float:
    plan = bench.SweepPlan((bench.Series("matmul", device, "float32", threads, tf32=tf32),),
                           (N,), budget_s=max(seconds * 2, 1.0))
    result = bench.run_sweep(plan)
    if not result.points:
        raise RuntimeError(f"the page skipped n={N}: {result.skipped}")
    return result.points[0].gflops


def independent_gflops(threads: int, seconds: float, device: str = "cpu",
                       tf32: bool = False) -> float:
    a, b = torch.randn(N, N, device=device), torch.randn(N, N, device=device)
    if device == "cuda":
        torch.backends.cuda.matmul.fp32_precision = "tf32" if tf32 else "ieee"
    m = Timer("a @ b", globals={"a": a, "b": b}, num_threads=threads).blocked_autorange(
        min_run_time=seconds)
    return 2 * N**3 / m.median / 1e9


def gpu_rounds(rounds: int, seconds: float) -> None:
    """The GPU version of the table: threads do not matter there, TF32 does."""
    name = torch.cuda.get_device_name()
    print(f"GPU: {name} · torch {torch.__version__} · CUDA {torch.version.cuda}")
    print(f"float32 matmul n={N}, {rounds} alternating rounds, median of rounds\n")
    header = (f"{'TF32':>5} {'page GFLOP/s':>13} {'indep. GFLOP/s':>15} {'page/indep':>11} "
              f"{'peak GFLOP/s':>13} {'page % peak':>12}")
    print(header)
    print("-" * len(header))
    for tf32 in (False, True):
        page, indep = [], []
        for _ in range(rounds):
            page.append(page_gflops(1, seconds, "cuda", tf32))
            indep.append(independent_gflops(1, seconds, "cuda", tf32))
        p, i = statistics.median(page), statistics.median(indep)
        peak = peaks.gpu_peak(name, "float32", tf32=tf32)
        share = f"{100 * p / peak.gflops:11.0f}%" if peak.gflops else f"{'n/a':>12}"
        print(f"{'on' if tf32 else 'off':>5} {p:13.1f} {i:15.1f} {p / i:11.3f} "
              f"{peak.gflops:13.1f} {share}")
        headline(f"page vs independent Timer, {name}, fp32 matmul n={N}, TF32 "
                 f"{'on' if tf32 else 'off'}", p / i, "ratio", "0.9 to 1.1", abs(p / i - 1) <= 0.1)
        print(f"{'':5} peak basis: {peak.basis}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    if args.device == "cuda":
        gpu_rounds(args.rounds, args.seconds)
        return
    cpu = devices.cpu()
    print(f"CPU: {cpu.name} · {cpu.cores} usable cores · {cpu.simd} · "
          f"clock the OS reports {cpu.clock_ghz} GHz · torch {torch.__version__} · "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"float32 matmul n={N}, {args.rounds} alternating rounds, median of rounds\n")
    header = (f"{'threads':>7} {'page GFLOP/s':>13} {'indep. GFLOP/s':>15} {'page/indep':>11} "
              f"{'peak GFLOP/s':>13} {'page % peak':>12}")
    print(header)
    print("-" * len(header))
    for threads in sorted({1, cpu.cores}):
        page, indep = [], []
        for _ in range(args.rounds):
            page.append(page_gflops(threads, args.seconds))
            indep.append(independent_gflops(threads, args.seconds))
        p, i = statistics.median(page), statistics.median(indep)
        peak = peaks.cpu_peak(cpu, threads)
        share = f"{100 * p / peak.gflops:11.0f}%" if peak.gflops else f"{'n/a':>12}"
        print(f"{threads:7d} {p:13.1f} {i:15.1f} {p / i:11.3f} {peak.gflops:13.1f} {share}")
        headline(f"page vs independent Timer, fp32 matmul n={N}, {threads} thread(s)", p / i,
                 "ratio", "0.9 to 1.1", abs(p / i - 1) <= 0.1)
        if peak.gflops:
            headline(f"page share of CPU peak, {threads} thread(s)", 100 * p / peak.gflops, "%",
                     ">= 75%", p / peak.gflops >= 0.75)
        print(f"{'':7} rounds page: {', '.join(f'{v:.1f}' for v in page)}; "
              f"independent: {', '.join(f'{v:.1f}' for v in indep)}")
    print(f"\npeak basis: {peaks.cpu_peak(cpu, cpu.cores).basis}")


if __name__ == "__main__":
    main()
