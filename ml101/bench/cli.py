"""`python -m ml101.bench`: record a sweep to CSV under data/bench/, for the page to show.

On a GPU machine the CPU is measured alongside, so the recording shows the crossover:
    python -m ml101.bench --device cuda --ops matmul,add --dtypes float32,float16
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from ml101.bench import devices
from ml101.bench.measuring import Point, Series, numpy_threads
from ml101.bench.ops import DTYPES, MAX_SIZE, OPS, size_grid
from ml101.bench.recordings import RECORDED_DIR, metadata, write_csv
from ml101.bench.sweeps import SweepPlan, device_info, run_sweep
from ml101.inputs import InputError

_SIZES = re.compile(r"^\s*(\d{1,6})\s*(:\s*\d{1,6}\s*|(,\s*\d{1,6}\s*)*,?\s*)$")


class SizesError(InputError):
    """Sizes given to --sizes that the sweep cannot run."""

    allowed = (f"lo:hi for the powers of two between (such as 64:4096), or a comma list "
               f"(such as 64,100,1000), every size from 1 to {MAX_SIZE}")


def parse_sizes(text: str) -> list[int]:
    """'64:4096' (powers of two between) or '64,100,1000', sorted and without repeats."""
    if not _SIZES.match(text):
        raise SizesError(f"cannot read {text[:40]!r} as sizes")
    if ":" in text:
        lo, hi = (int(v) for v in text.split(":", 1))
        if not 1 <= lo <= hi <= MAX_SIZE:
            raise SizesError(f"{lo}:{hi} is not a range inside 1:{MAX_SIZE}")
        sizes = size_grid(lo, hi)
        if not sizes:
            raise SizesError(f"no power of two lies between {lo} and {hi}")
        return sizes
    sizes = sorted({int(v) for v in text.split(",") if v.strip()})
    if sizes[0] < 1 or sizes[-1] > MAX_SIZE:
        raise SizesError(f"{sizes[0] if sizes[0] < 1 else sizes[-1]} is out of range")
    return sizes


class ThreadsError(InputError):
    """Thread counts given to --threads that this machine cannot run."""


def parse_threads(text: str) -> list[int]:
    """'1,16': the CPU thread counts to record, each from 1 to this machine's usable cores."""
    cores = devices.usable_cores()
    parts = [v.strip() for v in text.split(",") if v.strip()]
    if not parts or not all(re.fullmatch(r"[0-9]{1,4}", v) for v in parts):
        raise ThreadsError(f"cannot read {text[:40]!r} as thread counts", allowed=_threads(cores))
    counts = sorted({int(v) for v in parts})
    if counts[0] < 1 or counts[-1] > cores:
        raise ThreadsError(f"{counts[0] if counts[0] < 1 else counts[-1]} is out of range",
                           allowed=_threads(cores))
    return counts


def _threads(cores: int) -> str:
    return f"a comma list of whole numbers from 1 to {cores} (this machine's usable cores)"


def _typed(parse: Callable[[str], list[int]]) -> Callable[[str], list[int]]:
    """An argparse type from a parser: argparse then prints the parser's own message."""
    def arg(text: str) -> list[int]:
        try:
            return parse(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    return arg


def main(argv: list[str] | None = None) -> Path:
    """Record a sweep to CSV; on a GPU machine the CPU is measured alongside for crossover."""
    parser = argparse.ArgumentParser(prog="python -m ml101.bench", description=main.__doc__)
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default="cpu")
    parser.add_argument("--ops", default="matmul,add,linear",
                        help=f"comma list of {', '.join(OPS)} (h2d needs a GPU)")
    parser.add_argument("--dtypes", default="float32", help=f"comma list of {', '.join(DTYPES)}")
    parser.add_argument("--sizes", type=_typed(parse_sizes), default=size_grid(16, 4096),
                        help="lo:hi for powers of two, or a comma list")
    parser.add_argument("--threads", type=_typed(parse_threads),
                        default=[devices.usable_cores()],
                        help="CPU intra-op thread counts, a comma list such as 1,16 "
                             "(default: every usable core)")
    parser.add_argument("--numpy", action="store_true",
                        help="also record NumPy's matmul and add on the CPU")
    parser.add_argument("--tf32", choices=["off", "on", "both"], default="both",
                        help="CUDA float32 matmul with and/or without TF32")
    parser.add_argument("--no-cpu", action="store_true",
                        help="on a GPU, skip the CPU series used for the crossover")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds per op and dtype (at most 60)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    device_info(args.device)  # fail early if the device is absent
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
                series += [Series(op, "cpu", dtype, t) for t in args.threads]
            if args.numpy and op in ("matmul", "add") and dtype != "bfloat16":
                series.append(Series(op, "cpu", dtype, numpy_threads(), library="numpy"))
            if args.device != "cpu":
                modes = {"off": [False], "on": [True], "both": [False, True]}[args.tf32]
                if args.device != "cuda" or dtype != "float32" or op in ("add",) or \
                        OPS[op].gpu_only:
                    modes = [False]
                series += [Series(op, args.device, dtype, max(args.threads), tf32=m)
                           for m in modes]
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
