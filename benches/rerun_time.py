"""Rerun time of every page after one widget change, measured with AppTest.

Usage:
    python benches/rerun_time.py [--repeats N] [url_path ...]
    python benches/rerun_time.py --against /path/to/other/checkout [url_path ...]

One row per CASE: open the page (with its query), then alternate the widget between two
values and time each `at.run()`. The median is the number to watch (target: under 100 ms
on a 2-core machine, the race under 300 ms); p95 shows the tail. `× bare` compares with a
rerun of the Home page with no change, measured in the same run: the cost of the router
and AppTest themselves.

With `--against`, every case runs in fresh processes on both checkouts, alternating
(this one, the other, this one, ...), so the two medians come from the same run of a
noisy shared machine; the keys of the cases are URL keys, which never change.

A new page adds one entry to CASES: (url_path, widget kind, key, two values, query).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = {"optimizers": 300.0}  # the race draws a contour field and every path
DEFAULT_TARGET_MS = 100.0


@dataclass(frozen=True)
class Case:
    url_path: str
    kind: str  # AppTest accessor: text_input, selectbox, number_input, slider, toggle, ...
    key: str  # the widget's key; "" for a rerun with no change
    values: tuple[object, object] = (None, None)  # alternated, so every rerun is a change
    query: dict[str, str] = field(default_factory=dict)
    label: str = ""


CASES: list[Case] = [
    Case("start", "", "", label="Home, rerun with no change (bare)"),
    Case("tensors", "text_input", "t_lit", ("[[1, 2], [3, 4]]", "[[1, 2, 3], [4, 5, 6]]"),
         label="Create: edit the literal"),
    Case("tensors", "selectbox", "t_op", ("@", "+"), {"t_tab": "Operate"},
         label="Operate: A @ B ⇄ A + B"),
    Case("tensors", "text_input", "t_slice", ("d[:, 0]", "d[1:3, 2:4]"),
         {"t_tab": "Reshape & index"}, label="Reshape & index: change the slice"),
    Case("tensors", "number_input", "t_wval", (5.0, 99.0), {"t_tab": "NumPy ⇄ PyTorch"},
         label="NumPy ⇄ PyTorch: write another value"),
    Case("benchmark", "selectbox", "bm_dtype", ("float32", "float64"),
         label="Sweep: change the dtype"),
    Case("autograd", "text_input", "ag_expr", ("x**2 + 3*x", "(x**2 + 3*x).sin()"),
         label="Edit the expression"),
    Case("autograd", "slider", "ag_step", (1, 3), label="Move the backward step"),
    Case("layers", "number_input", "ly_lin_out", (4, 8), label="Linear: out_features"),
    Case("numpy-vs-torch", "slider", "np_lr", (0.5, 0.4), label="Learning rate"),
    Case("optimizers", "number_input", "op_lr_adam", (0.01, 0.02), label="Adam's lr"),
    Case("dataloader", "number_input", "dl_bs", (32, 16), label="batch_size"),
    Case("training", "select_slider", "tr_lr", (0.01, 0.03), label="Learning rate"),
]

_SETTERS = {"text_input": "input", "selectbox": "select", "text_area": "input"}


def _change(at: object, case: Case, i: int) -> None:
    if case.key:
        widget = getattr(at, case.kind)(key=case.key)
        getattr(widget, _SETTERS.get(case.kind, "set_value"))(case.values[i % 2])


def measure(case: Case, repeats: int) -> list[float]:
    """Milliseconds of `repeats` reruns of the case, in this process."""
    from tests.conftest import open_page

    at = open_page(case.url_path, **case.query)
    for i in range(3):  # warm-up: imports, caches, first chart
        _change(at, case, i)
        at.run()
    times = []
    for i in range(repeats):
        _change(at, case, i)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(f"{case.label}: {at.exception[0].value}")
    return times


def in_process(root: Path, index: int, repeats: int) -> list[float]:
    """Run case `index` in a fresh interpreter on the checkout at `root`."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(index),
         "--repeats", str(repeats)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root), "ML101_TORCH_THREADS": "1"},
        capture_output=True, text=True, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1]


def target(case: Case) -> float:
    return TARGET_MS.get(case.url_path, DEFAULT_TARGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="url_paths to measure (default: all)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="alternations with --against")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(measure(CASES[args.worker], args.repeats)))
        return
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benches"))
    os.environ.setdefault("ML101_TORCH_THREADS", "1")
    from report import headline

    chosen = [i for i, c in enumerate(CASES) if not args.pages or c.url_path in args.pages
              or not c.key]
    if args.against:
        compare(chosen, args)
        return
    print(f"Rerun after one widget change (AppTest, {args.repeats} reruns each, "
          f"{os.cpu_count()} cores, torch threads {os.environ['ML101_TORCH_THREADS']})\n")
    header = f"{'page':<15} {'change':<40} {'median ms':>10} {'p95 ms':>8} {'× bare':>7}  target"
    print(header)
    print("-" * len(header))
    bare = None
    for i in chosen:
        case = CASES[i]
        times = in_process(ROOT, i, args.repeats)
        med = statistics.median(times)
        bare = bare or med
        ok = "ok" if med < target(case) else "SLOW"
        print(f"{case.url_path:<15} {case.label:<40} {med:>10.1f} {p95(times):>8.1f} "
              f"{med / bare:>7.2f}  {ok if case.key else '-'}")
        if case.key:
            headline(f"rerun /{case.url_path}: {case.label}", med, "ms",
                     f"< {target(case):.0f} ms median", med < target(case))


def compare(chosen: list[int], args: argparse.Namespace) -> None:
    """Both checkouts, alternating, `rounds` fresh processes each; medians of all reruns."""
    other = args.against.resolve()
    print(f"Rerun medians, this checkout ({ROOT}) against {other}: {args.rounds} alternating "
          f"rounds of {args.repeats} reruns per case, fresh processes, {os.cpu_count()} cores\n")
    header = (f"{'page':<15} {'change':<40} {'before ms':>10} {'after ms':>9} "
              f"{'after/before':>12}")
    print(header)
    print("-" * len(header))
    for i in chosen:
        case = CASES[i]
        runs: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            runs["after"] += in_process(ROOT, i, args.repeats)
            runs["before"] += in_process(other, i, args.repeats)
        before, after = statistics.median(runs["before"]), statistics.median(runs["after"])
        print(f"{case.url_path:<15} {case.label:<40} {before:>10.1f} {after:>9.1f} "
              f"{after / before:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
