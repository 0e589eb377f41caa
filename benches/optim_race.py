"""Optimizer race timings: the core's race and the page's rerun.

Prints medians for:
- 8 optimizers x 1,000 steps on Rosenbrock, vectorised engine (target < 200 ms),
- the same race with the real torch.optim classes, one optimizer.step() per racer per step
  (what the vectorised engine replaces), and their ratio, measured in this run,
- the page's rerun time in AppTest with the race cached (target < 300 ms), and the
  first run after a change of learning rate (the race is recomputed).

Usage: python benches/optim_race.py [repeats]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from report import headline

from ml101 import runtime
from ml101.optim.race import make_racer, race, reference_run
from ml101.optimizers import OPTIMIZERS

runtime.configure()
REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
RACERS = tuple(make_racer(k) for k in OPTIMIZERS if k != "lbfgs")


def timed(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1e3


def core_race() -> None:
    race.cache_clear()
    race("rosenbrock", RACERS, (-1.0, 1.0), 1000)


def real_classes() -> None:
    for r in RACERS:
        reference_run("rosenbrock", r, (-1.0, 1.0), 1000)


def page_times(repeats: int) -> tuple[float, float]:
    from tests.conftest import open_page

    at = open_page("optimizers")
    at.number_input(key="op_steps").set_value(1000).run()
    at.multiselect(key="op_opts").set_value([k for k in OPTIMIZERS if k != "lbfgs"]).run()
    cached = timed(lambda: at.run(), repeats)
    lrs = iter([0.01 + 1e-4 * i for i in range(1, 100)])
    changed = timed(lambda: at.number_input(key="op_lr_adam").set_value(next(lrs)).run(), repeats)
    return cached, changed


def main() -> None:
    core_race()  # warm-up
    fast = timed(core_race, REPEATS)
    slow = timed(real_classes, max(3, REPEATS // 2))
    cached, changed = page_times(REPEATS)
    rows = [
        ("core: 8 optimizers x 1,000 steps, vectorised", fast, "< 200 ms"),
        ("core: same race, real torch.optim classes + autograd", slow, "(reference)"),
        ("page rerun, race cached (AppTest)", cached, "< 300 ms"),
        ("page rerun after an lr change, race recomputed", changed, ""),
    ]
    print(f"{'measurement':58} {'median ms':>10}  target")
    for name, ms, target in rows:
        print(f"{name:58} {ms:10.1f}  {target}")
        if target.startswith("<"):
            limit = float(target.split()[1])
            headline(name, ms, "ms", f"{target} median", ms < limit)
    print(f"\nspeed-up of the vectorised engine over the real classes: {slow / fast:.1f}x")
    print(f"cores: {os.cpu_count()}, torch threads: {runtime.torch_threads()}, "
          f"repeats: {REPEATS}")


if __name__ == "__main__":
    main()
