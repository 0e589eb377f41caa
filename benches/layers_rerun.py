"""Rerun time of the Layers and NumPy vs PyTorch pages, as AppTest measures it.

A rerun is what happens on every slider move: the whole script runs again. Each view is
opened once (its first run trains or builds what it needs), then rerun N times; the table
prints the median and 90th percentile, and the median's ratio to the 100 ms target.
Run: python benches/layers_rerun.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from report import headline

from tests.conftest import open_page

TARGET_MS = 100.0
VIEWS = [
    ("layers", "Linear (default)", {}),
    ("layers", "Conv2d + sliding window", {"ly_layer": "Conv2d"}),
    ("layers", "LSTM through time", {"ly_layer": "LSTM"}),
    ("layers", "BatchNorm1d, 30 batches", {"ly_layer": "BatchNorm1d"}),
    ("layers", "SimpleNet tab", {"ly_tab": "SimpleNet: Module vs Sequential"}),
    ("numpy-vs-torch", "Train tab (default: XOR, 2000 steps)", {}),
    ("numpy-vs-torch", "Gradients tab", {"np_tab": "Gradients"}),
    ("numpy-vs-torch", "The code tab", {"np_tab": "The code"}),
    ("numpy-vs-torch", "Saving tab (run once per seed)", {"np_tab": "Saving a model"}),
]


def main(n: int) -> None:
    print(f"{'page':16} {'view':40} {'first s':>8} {'median ms':>10} {'p90 ms':>8} "
          f"{'/ target':>9}")
    for url, label, query in VIEWS:
        t0 = time.perf_counter()
        at = open_page(url, **query)
        first = time.perf_counter() - t0
        assert not at.exception and not at.error, (label, at.exception, at.error)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        med = statistics.median(times)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        print(f"{url:16} {label:40} {first:8.2f} {med:10.1f} {p90:8.1f} {med / TARGET_MS:8.2f}x")
        headline(f"rerun /{url}: {label}", med, "ms", f"< {TARGET_MS:.0f} ms median",
                 med < TARGET_MS)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
