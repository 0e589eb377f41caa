"""Optimizer race timings: the race on the real torch.optim classes, and the page's reruns.

Prints medians for
- the core, in CPU seconds of this thread (nearer the cost on one core than wall time on a
  shared machine, though a crowded one still inflates it): a whole race of 8 optimizers x
  1,000 steps on Rosenbrock (target < 2 s), one optimizer step, the computation of one
  player tick at each speed (target at normal speed: under 10% of the tick), the first
  frame's computation after a change, and a 'tuned per optimizer' search;
- the page in AppTest, in wall-clock time, on this worktree and on an older checkout
  (`--before`, default /work/before, skipped where absent) in the same run, alternating:
  the whole 8 x 1,000 race again (so the two checkouts' core is compared in one run), a
  rerun once the race is computed (target < 300 ms), the first frame after a
  learning-rate change (target < 300 ms), and a rerun while playing (a tick and the page),
  with the ratio now ÷ before for each.

Usage: python benches/optim_race.py [--rounds N] [--before PATH]
       python benches/optim_race.py --page ROOT   (one round of page timings, as JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
os.environ.setdefault("ML101_TORCH_THREADS", "1")
EIGHT = ["SGD", "SGD + momentum", "Nesterov", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam"]
RERUNS = 5  # per kind and round


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def cpu_timed(fn) -> float:
    """CPU seconds of this thread: what the work costs one core, less what others add."""
    t = time.thread_time()
    fn()
    return time.thread_time() - t


def commit_of(root: Path) -> str:
    """' (commit abc1234)' for a git checkout, so the table says what 'before' was."""
    got = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    return f" (commit {got.stdout.strip()})" if got.returncode == 0 else ""


def page_round(root: Path) -> dict[str, list[float]]:
    """One round of page timings for the app at `root` (run in a child process whose
    imports come from `root`)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    from tests.conftest import open_page

    def caught_up(at) -> None:  # this worktree computes long races over several runs
        for _ in range(100):
            if not at.get("progress"):
                return
            at.run()

    from ml101 import runtime
    from ml101.optim.race import Race, RaceSpec, make_racer
    from ml101.optimizers import OPTIMIZERS

    runtime.configure()
    spec = RaceSpec("rosenbrock", tuple(make_racer(k) for k in OPTIMIZERS if k != "lbfgs"),
                    (-1.0, 1.0), 1000)
    Race(spec).advance(50)  # warm-up
    whole = cpu_timed(lambda: Race(spec).advance(1000))
    at = open_page("optimizers", op_steps="1000", op_opts=EIGHT)
    caught_up(at)
    out: dict[str, list[float]] = {"race": [whole], "cached": [], "changed": [], "playing": []}
    out["cached"] = [timed(at.run) for _ in range(RERUNS)]
    lrs = iter(0.01 + 1e-4 * i for i in range(1, 100))
    for _ in range(RERUNS):
        widget = at.number_input(key="op_lr_adam")
        out["changed"].append(timed(widget.set_value(next(lrs)).run))
        caught_up(at)
    if any(b.key == "op_reset" for b in at.button):
        at.button(key="op_reset").click().run()
        at.button(key="op_play").click().run()
        out["playing"] = [timed(at.run) for _ in range(RERUNS)]
    return out


def core() -> list[tuple[str, float, str, str]]:
    sys.path.insert(0, str(HERE))
    from ml101 import runtime
    from ml101.optim import tuning
    from ml101.optim.race import Race, RaceSpec, make_racer
    from ml101.optimizers import OPTIMIZERS
    from ml101.ui.views.optim import FRAME_S, SPEEDS, TICK_S, steps_per_s

    runtime.configure()
    eight = tuple(make_racer(k) for k in OPTIMIZERS if k != "lbfgs")
    spec = RaceSpec("rosenbrock", eight, (-1.0, 1.0), 1000)
    Race(spec).advance(50)  # warm-up
    whole = []
    for _ in range(3):
        race = Race(spec)
        whole.append(cpu_timed(lambda r=race: r.advance(1000)))
    step_us = statistics.median(whole) / (1000 * len(eight)) * 1e6
    rows = [("core: 8 optimizers x 1,000 steps, real torch.optim classes",
             statistics.median(whole), "s", "< 2 s"),
            ("core: one racer's step (its step, its share of f and backward)", step_us, "µs", "")]
    for speed, factor in SPEEDS.items():
        race, head, carry, ticks = Race(spec), 0, 0.0, []
        while head < 1000:  # what the player's advance does, tick after tick
            carry += TICK_S * steps_per_s(1000) * factor
            n, carry = int(carry), carry % 1
            head = min(1000, head + n)
            ticks.append(cpu_timed(lambda r=race, h=head: r.advance(h + 1)))
        share = statistics.median(ticks) / TICK_S * 100
        rows.append((f"core: one tick's computation at {speed} speed, % of the {TICK_S:g} s "
                     "tick", share, "%", "< 10%" if speed == "normal" else ""))
    race = Race(spec)
    first = cpu_timed(lambda: race.advance(1000, FRAME_S))
    rows.append((f"core: first frame after a change (budget {FRAME_S:g} s), "
                 f"{race.frontier} steps", first, "s", ""))
    lesson = tuple(make_racer(k) for k in ("sgd", "momentum", "adam", "rmsprop"))
    for label, s in (("lesson's 4 x 100", RaceSpec("rosenbrock", lesson, (-1.0, 1.0), 100)),
                     ("8 x 1,000", spec)):
        search = tuning.search_spec(s)
        rows.append((f"core: tuned search, {label}: {len(search.racers)} candidates x "
                     f"{search.steps} steps",
                     cpu_timed(lambda q=search: Race(q).advance(q.steps)), "s", ""))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--page", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--before", type=Path, default=Path("/work/before"))
    args = ap.parse_args()
    if args.page is not None:
        print(json.dumps(page_round(args.page)))
        return
    sys.path.insert(0, str(HERE / "benches"))
    from report import headline

    rows = core()
    roots = {"now": HERE}
    if (args.before / "app.py").exists():  # the older checkout, if this machine has one
        roots = {"before": args.before, **roots}
    samples: dict[str, dict[str, list[float]]] = {r: {} for r in roots}
    for _ in range(args.rounds):  # alternate, so both see the same machine
        for name, root in roots.items():
            got = subprocess.run([sys.executable, __file__, "--page", str(root)],
                                 capture_output=True, text=True, check=True)
            for kind, values in json.loads(got.stdout.splitlines()[-1]).items():
                samples[name].setdefault(kind, []).extend(values)
    labels = {"race": "core: 8 x 1,000-step race, CPU ms (in the page's process)",
              "cached": "page rerun, race computed (AppTest)",
              "changed": "page: first frame after an lr change (AppTest)",
              "playing": "page rerun while playing (a tick and the page, AppTest)"}
    for kind, label in labels.items():
        for name in roots:
            values = samples[name].get(kind) or []
            if values:
                target = "< 300 ms" if kind in ("cached", "changed") and name == "now" else ""
                rows.append((f"{label}, {name}", statistics.median(values) * 1e3, "ms",
                             target))
        if len(roots) == 2 and all(samples[name].get(kind) for name in roots):
            now, before = (statistics.median(samples[name][kind]) for name in ("now", "before"))
            rows.append((f"{label}, now ÷ before", now / before, "x", ""))
    print(f"{'measurement':78} {'median':>9}  target")
    for name, value, unit, target in rows:
        print(f"{name:78} {value:9.3g} {unit:2}  {target}")
        if target.startswith("<"):
            limit = float(target.split()[1].rstrip("%"))
            headline(name, value, unit, f"{target} median", value < limit)
    print(f"\nload average {os.getloadavg()[0]:.1f}, cores: {os.cpu_count()}, torch threads: "
          f"{os.environ['ML101_TORCH_THREADS']}, page rounds: {args.rounds} x {RERUNS} reruns "
          f"per kind, before = {args.before}{commit_of(args.before)}")


if __name__ == "__main__":
    main()
