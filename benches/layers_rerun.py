"""Rerun time of the Layers and NumPy vs PyTorch pages, as AppTest measures it.

A rerun is what happens on every control change: the whole script runs again. Each view
is opened once (its first run trains or builds what it needs), then a typical control of
that view is changed N times, to a value not seen before where the control allows it (so
per-settings caches miss, as they would for a learner exploring), or the page is simply
rerun where the view has no control of its own. The Home page's plain rerun is measured
in the same run as a baseline (router, sidebar and AppTest overhead every page pays).

Wall time on this shared 2-core machine mostly measures waiting for a core, so the CPU
time of the process (AppTest runs the script in a thread of it) is shown beside it.

Run: python benches/layers_rerun.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from report import headline
from streamlit.testing.v1 import AppTest

from tests.conftest import open_page

TARGET_MS = 100.0
Change = Callable[[AppTest, int], Any]  # sets a control for rerun i (does not run)


def number(key: str, values: Callable[[int], Any]) -> Change:
    return lambda at, i: at.number_input(key=key).set_value(values(i))


def slider(key: str, values: Callable[[int], Any]) -> Change:
    return lambda at, i: at.slider(key=key).set_value(values(i))


def segmented(key: str, options: list[str]) -> Change:
    return lambda at, i: at.segmented_control(key=key).set_value(options[i % len(options)])


def nothing(at: AppTest, i: int) -> None:
    return None


# (page, view, query opening the view, the control change each rerun makes, counts?)
VIEWS: list[tuple[str, str, dict[str, str], Change, str, bool]] = [
    ("layers", "Linear", {}, number("ly_lin_out", lambda i: 3 + i), "out_features", True),
    ("layers", "Conv2d sliding window", {"ly_layer": "Conv2d"},
     slider("ly_pos", lambda i: (i + 1) % 36), "window position", True),
    ("layers", "LeakyReLU curve", {"ly_layer": "LeakyReLU"},
     slider("ly_lrelu_ns", lambda i: round(0.05 + 0.01 * i, 2)), "negative_slope", True),
    ("layers", "Dropout masks", {"ly_layer": "Dropout"},
     slider("ly_drop_p", lambda i: round(0.1 + 0.01 * i, 2)), "p", True),
    ("layers", "BatchNorm1d running stats", {"ly_layer": "BatchNorm1d"},
     slider("ly_bn_steps", lambda i: 31 + i), "training batches", True),
    ("layers", "LSTM through time", {"ly_layer": "LSTM"},
     number("ly_lstm_h", lambda i: 21 + i), "hidden_size", True),
    ("layers", "SimpleNet tab", {"ly_tab": "SimpleNet: Module vs Sequential"},
     number("ly_seed", lambda i: 1 + i), "seed", True),
    ("numpy-vs-torch", "Train tab (XOR, 2000 steps)", {}, nothing, "(plain rerun)", True),
    ("numpy-vs-torch", "Gradients tab", {"np_tab": "Gradients"},
     segmented("np_when", ["end", "start"]), "start/end", True),
    ("numpy-vs-torch", "The code tab", {"np_tab": "The code"}, nothing, "(plain rerun)", True),
    ("numpy-vs-torch", "Saving tab", {"np_tab": "Saving a model"}, nothing, "(plain rerun)",
     True),
    # Not a view change: new settings retrain both networks (with a progress bar).
    ("numpy-vs-torch", "Train tab, new learning rate", {},
     slider("np_lr", lambda i: round(0.4 - 0.01 * i, 2)), "lr: retrains", False),
]


def measure(at: AppTest, change: Change, n: int) -> tuple[float, float, float]:
    """Median and p90 wall ms, and median process-CPU ms, of n changes + reruns."""
    wall, cpu = [], []
    for i in range(n):
        change(at, i)
        t, c = time.perf_counter(), time.process_time()
        at.run()
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
        assert not at.exception and not at.error, (at.exception, at.error)
    wall.sort()
    return statistics.median(wall), wall[min(n - 1, int(0.9 * n))], statistics.median(cpu)


def main(n: int) -> None:
    home = open_page("start")
    home.run()
    h_med, h_p90, h_cpu = measure(home, nothing, n)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f}; {n} reruns per row\n")
    head = (f"{'page':15} {'view':30} {'control changed':17} {'first s':>7} {'median':>8} "
            f"{'p90':>8} {'CPU med':>8} {'x Home':>6} {'/100ms':>6}")
    print(head)
    print("-" * len(head))
    print(f"{'start':15} {'Home (baseline, same run)':30} {'(plain rerun)':17} {'':>7} "
          f"{h_med:6.1f}ms {h_p90:6.1f}ms {h_cpu:6.1f}ms")
    for url, label, query, change, what, counts in VIEWS:
        t0 = time.perf_counter()
        at = open_page(url, **query)
        first = time.perf_counter() - t0
        assert not at.exception and not at.error, (label, at.exception, at.error)
        med, p90, cpu = measure(at, change, n)
        print(f"{url:15} {label:30} {what:17} {first:7.2f} {med:6.1f}ms {p90:6.1f}ms "
              f"{cpu:6.1f}ms {med / h_med:5.1f}x {med / TARGET_MS:5.2f}x")
        headline(f"rerun /{url}: {label}, change {what}", med, "ms",
                 f"< {TARGET_MS:.0f} ms median" if counts else "none (retrains)",
                 med < TARGET_MS if counts else None)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
