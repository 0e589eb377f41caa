"""Rerun time of the one-step page, measured with AppTest: moving between sub-steps
(target: median under 100 ms) and a new batch (target: median under 150 ms), for the
lesson's XOR step and a larger network on a 16-sample batch.

The Home page's rerun is measured in the same run as a baseline (the router, sidebar and
AppTest overhead every page pays), and the core's own share is timed without Streamlit:
recording a step (hooks on every layer and backward node), and building one frame's
picture (the scene, the canvas spec, the zoom). AppTest reruns the whole script on a
sub-step move; in the browser the player's fragment reruns only the picture.

    python benches/training_step.py [--reruns 30]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from autograd_rerun import median_ms  # noqa: E402  (wall median, p90, CPU median)
from report import headline  # noqa: E402

from ml101.step import arithmetic, charts  # noqa: E402
from ml101.step import frames as fr  # noqa: E402
from ml101.step.run import Run  # noqa: E402
from ml101.step.settings import StepSettings  # noqa: E402
from tests.conftest import open_page  # noqa: E402

SUB_STEP_MS, NEW_BATCH_MS = 100.0, 150.0
SCENARIOS = [
    ("the lesson's XOR step (2-4-1, batch 4)", {}, StepSettings()),
    ("moons, 2-8-8-1, Adam, batch 16",
     {"ts_data": "Two moons", "ts_n": "64", "ts_hidden": "8, 8", "ts_bs": "16",
      "ts_opt": "Adam", "ts_loss": "BCEWithLogitsLoss (2 classes, raw scores)"},
     StepSettings(dataset="moons", n_samples=64, hidden=(8, 8), batch_size=16,
                  optimizer="adam", lr=0.05, loss="bce_logits")),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=30)
    args = parser.parse_args()

    home = open_page("start")
    home.run()
    home_ms, home_p90, home_cpu = median_ms(home.run, args.reruns)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f}; {args.reruns} reruns per row\n")
    header = (f"{'scenario':<40} {'action':<12} {'wall median':>12} {'wall p90':>9} "
              f"{'CPU median':>11} {'core CPU':>9} {'target':>8}")
    print(header)
    print("-" * len(header))
    print(f"{'Home page (baseline, same run)':<40} {'rerun':<12} {home_ms:>9.1f} ms "
          f"{home_p90:>6.1f} ms {home_cpu:>8.1f} ms")
    for label, query, settings in SCENARIOS:
        at = open_page("one-step", **query)
        assert not at.exception and not at.error, label
        n = at.slider(key="ts_frame").max
        moves = iter(range(10**6))

        def sub_step(at=at, n=n, moves=moves) -> None:
            at.slider(key="ts_frame").set_value(1 + next(moves) % n).run()

        def new_batch(at=at) -> None:
            at.button(key="ts_next").click().run()

        sub_step()  # warm
        step_med, step_p90, step_cpu = median_ms(sub_step, args.reruns)
        new_batch()
        batch_med, batch_p90, batch_cpu = median_ms(new_batch, args.reruns)
        assert not at.exception, label

        run = Run(settings)
        rec = run.go_to(0)
        blocks = fr.blocks(rec)
        frames = iter(range(10**6))

        def frame_core(rec=rec, blocks=blocks, frames=frames, settings=settings) -> None:
            k = next(frames) % len(fr.frames(rec))
            charts.canvas(fr.scene(rec, k), blocks, 0, 560, 500)
            arithmetic.lines(settings, rec, k, 0)

        done = iter(range(1, 10**6))
        _, _, frame_cpu = median_ms(frame_core, args.reruns)
        _, _, record_cpu = median_ms(lambda run=run, done=done: run.go_to(next(done)),
                                     args.reruns)
        for action, med, p90, cpu, core, target in (
                ("sub-step", step_med, step_p90, step_cpu, frame_cpu, SUB_STEP_MS),
                ("new batch", batch_med, batch_p90, batch_cpu, record_cpu, NEW_BATCH_MS)):
            print(f"{label[:40]:<40} {action:<12} {med:>9.1f} ms {p90:>6.1f} ms "
                  f"{cpu:>8.1f} ms {core:>6.1f} ms {'< ' + str(int(target)) + ' ms':>8}")
            headline(f"rerun /one-step: {label}, {action}", med, "ms",
                     f"< {target:.0f} ms median", med < target)
    print("\n'core CPU' is the page's own logic without Streamlit: for a sub-step one "
          "frame's scene, canvas spec and zoom; for a new batch recording the step. "
          "Targets: sub-step < 100 ms, new batch < 150 ms (median rerun).")


if __name__ == "__main__":
    main()
