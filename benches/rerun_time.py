"""Rerun time of a page after one widget change, measured with AppTest.

Usage: python benches/rerun_time.py [--repeats N] [url_path ...]

One row per CASE: open the page (with its query), then alternate the widget between
two values and time each `at.run()`. The median is the number to watch (target:
under 100 ms on a 2-core machine); p95 shows the tail. `× bare` compares with a
rerun of the Home page with no change, measured in the same run, which is the cost
of the router and AppTest themselves.

A new page adds one entry to CASES: (url_path, query, widget kind, key, two values).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from report import headline  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.conftest import open_page  # noqa: E402

TARGET_MS = 100.0


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
    Case("autograd", "slider", "ag_step", (2, 5), label="Move the backward step"),
    Case("autograd", "text_input", "ag_expr", ("y = x**3 - x", "y = x**2 + 2*x + 1"),
         label="Edit the expression"),
]

_SETTERS = {"text_input": "input", "selectbox": "select", "text_area": "input"}


def change(at: AppTest, case: Case, i: int) -> None:
    if not case.key:
        return
    widget = getattr(at, case.kind)(key=case.key)
    getattr(widget, _SETTERS.get(case.kind, "set_value"))(case.values[i % 2])


def measure(case: Case, repeats: int) -> list[float]:
    at = open_page(case.url_path, **case.query)
    for i in range(3):  # warm-up: imports, caches, first chart
        change(at, case, i)
        at.run()
    times = []
    for i in range(repeats):
        change(at, case, i)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(f"{case.label}: {at.exception[0].value}")
    return times


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="url_paths to measure (default: all)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    cases = [c for c in CASES if not args.pages or c.url_path in args.pages or not c.key]
    print(f"Rerun after one widget change (AppTest, {args.repeats} reruns each, "
          f"{os.cpu_count()} cores, torch threads {os.environ['ML101_TORCH_THREADS']})\n")
    header = f"{'page':<10} {'change':<40} {'median ms':>10} {'p95 ms':>8} {'× bare':>7}  target"
    print(header)
    print("-" * len(header))
    bare = None
    for case in cases:
        times = measure(case, args.repeats)
        med = statistics.median(times)
        bare = bare or med
        ok = "ok" if med < TARGET_MS else "SLOW"
        print(f"{case.url_path:<10} {case.label:<40} {med:>10.1f} {p95(times):>8.1f} "
              f"{med / bare:>7.2f}  {ok if case.key else '-'}")
        if case.key:
            headline(f"rerun /{case.url_path}: {case.label}", med, "ms",
                     f"< {TARGET_MS:.0f} ms median", med < TARGET_MS)


if __name__ == "__main__":
    main()
