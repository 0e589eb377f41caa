"""The Training pipeline page's speed: its trainer against the lesson's plain loop, what
the live charts cost per tick, and the page's rerun time (optionally against another
checkout of the app, e.g. the one from before the house moved).

Lesson loop: DataLoader over a Dataset with only __getitem__ (one call per sample plus
default collation), batch 32, shuffle. App: `Trainer`, index batching (one gather per
epoch, then views), fused Adam, the layers and the kernel called directly
(`ml101/training/lean_step.py`). Same data (sum10, 1000 samples, 80/20), same model (10-64-32-1,
dropout 0.2, Sigmoid + BCELoss), Adam 1e-3, same epochs, both validating every epoch.
Epochs of the two loops alternate, so a noisy machine slows both alike.

Rerun: AppTest opens /training in a fresh process per checkout and round, the checkouts
alternating (A B, B A, ...) so a busy machine slows both alike; each case changes one
control (or presses Step) and times the rerun, wall and process CPU.

Run: python benches/trainer_vs_lesson.py [--rerun-only] [--against PATH] [--rounds R]
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

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from report import headline

from ml101 import runtime
from ml101.datasets import make_dataset
from ml101.models import build_model
from ml101.training.charts import boundary_spec_cached, curves_spec
from ml101.training.config import RunConfig
from ml101.training.presets import PRESETS
from ml101.training.trainer import LIVE_CHUNK_S, SPEED_OPTIONS, TICK_S, Trainer

EPOCHS = 10
REPEATS = 5
TICKS = 9
CFG = RunConfig(dataset="sum10", n_samples=1000, noise=0.0, val_fraction=0.2, batch_size=32,
                hidden=(64, 32), dropout=0.2, loss="sigmoid_bce", optimizer="adam", lr=1e-3,
                epochs=EPOCHS, patience=0)


class PlainDataset(Dataset):
    """The lesson's Dataset: __getitem__ only."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]


class LessonLoop:
    """The lesson's loop, one epoch per call: DataLoader + __getitem__, default Adam."""

    def __init__(self, seed: int) -> None:
        ds = make_dataset("sum10", 1000, seed=seed)
        perm = torch.randperm(1000, generator=torch.Generator().manual_seed(seed + 1))
        tr, va = perm[:800], perm[800:]
        self.train = DataLoader(PlainDataset(ds.X[tr], ds.y[tr]), batch_size=32, shuffle=True,
                                generator=torch.Generator().manual_seed(seed + 2))
        self.val = DataLoader(PlainDataset(ds.X[va], ds.y[va]), batch_size=32, shuffle=False)
        self.seed = seed
        with runtime.seeded(seed):
            self.model = build_model(CFG.spec())
            self.rng = torch.random.get_rng_state()
        self.crit = torch.nn.BCELoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.acc = 0.0

    def epoch(self) -> None:
        model, crit, opt = self.model, self.crit, self.opt
        with runtime.seeded(self.seed):  # dropout draws from its own stream, as in the app
            torch.random.set_rng_state(self.rng)
            model.train()
            total = 0.0
            for xb, yb in self.train:
                loss = crit(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
            model.eval()
            correct = 0
            with torch.no_grad():
                for xb, yb in self.val:
                    correct += ((model(xb) > 0.5).float() == yb).sum().item()
            self.rng = torch.random.get_rng_state()
        self.acc = correct / 200


def race(seed: int) -> tuple[list[float], list[float], float, float]:
    """Both loops on the same seed, epochs interleaved (lesson, app, lesson, ...) so the
    machine's load hits both alike: per-epoch seconds of each, final accuracies."""
    lesson = LessonLoop(seed)
    app = Trainer(RunConfig(**{**CFG.to_dict(), "hidden": CFG.hidden, "seed": seed}))
    t_l, t_a = [], []
    for _ in range(EPOCHS):
        a = time.perf_counter()
        lesson.epoch()
        b = time.perf_counter()
        app.run(1)
        t_l.append(b - a)
        t_a.append(time.perf_counter() - b)
    return t_l, t_a, lesson.acc, app.history[-1].val_acc


def tick_charts(t: Trainer) -> None:
    """What the page's live fragment builds per tick, serialised as Streamlit does."""
    json.dumps(curves_spec(t, width=200, height=258))
    json.dumps(boundary_spec_cached(t, size=235))


def chart_cost(speed: int) -> tuple[float, float]:
    """Median seconds of one tick's training (`speed` epochs, capped by the page's time
    budget) and of building that tick's charts, on the page's default run."""
    cfg = PRESETS["overfit"].cfg
    t = Trainer(RunConfig(**{**cfg.to_dict(), "hidden": cfg.hidden, "patience": 0,
                             "epochs": 5000}))
    train_s, chart_s = [], []
    for _ in range(TICKS):
        a = time.perf_counter()
        t.run(speed, time_budget_s=LIVE_CHUNK_S)
        b = time.perf_counter()
        tick_charts(t)
        train_s.append(b - a)
        chart_s.append(time.perf_counter() - b)
    return statistics.median(train_s), statistics.median(chart_s)


def speed_table(threads: int) -> tuple[float, float]:
    """Race both loops over the seeds at `threads` torch threads; print the table and
    return the median speed-up and the accuracy gap (app - lesson)."""
    torch.set_num_threads(threads)
    samples = 800
    eps_l, eps_a, ratios, acc_l, acc_a = [], [], [], [], []
    for seed in range(REPEATS):
        t_l, t_a, al, aa = race(seed)
        eps_l += t_l
        eps_a += t_a
        ratios.append(sum(t_l) / sum(t_a))
        acc_l.append(al)
        acc_a.append(aa)
    ml, ma = statistics.median(eps_l), statistics.median(eps_a)
    print(f"\ntorch threads {threads}: lesson pipeline config, {EPOCHS} epochs x {samples} "
          f"samples, {REPEATS} seeds, epochs interleaved\n")
    print("| loop | median s/epoch | samples/s | mean final val acc |")
    print("|---|---:|---:|---:|")
    print(f"| lesson: DataLoader + __getitem__, Adam default | {ml:.4f} | {samples / ml:,.0f} | "
          f"{statistics.mean(acc_l):.3f} |")
    print(f"| app: Trainer, gather + view batches, lean fused Adam step | {ma:.4f} | "
          f"{samples / ma:,.0f} | {statistics.mean(acc_a):.3f} |")
    ratio = statistics.median(ratios)
    print(f"\nspeed-up (median over seeds of total time ratio): {ratio:.2f}x "
          f"(per seed: {', '.join(f'{r:.2f}' for r in ratios)})")
    return ratio, statistics.mean(acc_a) - statistics.mean(acc_l)


ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
# Run in a fresh interpreter inside the checkout measured (its own ml101 and app.py):
# open /training, then time the reruns of each case. Only URL keys and widget keys that
# every version of the page has are used.
RERUN_WORKER = r"""
import json, os, statistics, sys, time
os.environ.setdefault("ML101_TORCH_THREADS", "1")
from streamlit.testing.v1 import AppTest
n = int(sys.argv[1])

def page(**query):
    at = AppTest.from_file("app.py", default_timeout=300)
    at.run()
    at.query_params.update(query)
    return at.switch_page("app_pages/training_pipeline.py").run()

def timed(at, change):
    wall, cpu = [], []
    for i in range(n + 2):
        change(at, i)
        w, c = time.perf_counter(), time.process_time()
        at.run()
        if i >= 2:  # two warm-up reruns
            wall.append((time.perf_counter() - w) * 1e3)
            cpu.append((time.process_time() - c) * 1e3)
        assert not at.exception, [e.value for e in at.exception]
    return wall, cpu

step = lambda at, i: at.button(key="tr_step").click()
out = {}
at = page()
at.button(key="tr_step").click().run()
out["plain rerun, 1 epoch trained"] = timed(at, lambda at, i: None)
out["learning rate 0.01 <-> 0.03 (new run)"] = timed(
    at, lambda at, i: at.select_slider(key="tr_lr").set_value((0.01, 0.03)[i % 2]))
at = page(tr_ep="1000", tr_pat="0")
out["Step: one more epoch"] = timed(at, step)
out[f"rewind slider ({n + 2} epochs trained)"] = timed(
    at, lambda at, i: at.slider(key="tr_at").set_value(1 + i % 5))
print(json.dumps(out))
"""


def rerun_samples(root: Path, n: int) -> dict[str, tuple[list[float], list[float]]]:
    """One fresh process in checkout `root`: {case: (wall ms, CPU ms)}."""
    env = {**os.environ, "ML101_TORCH_THREADS": "1", "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", RERUN_WORKER, str(n)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"rerun worker in {root} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rerun_table(roots: dict[str, Path], rounds: int, n: int) -> None:
    """Median rerun ms per case and checkout, the checkouts alternating round by round."""
    got: dict[str, dict[str, tuple[list[float], list[float]]]] = {k: {} for k in roots}
    names = list(roots)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            for case, (wall, cpu) in rerun_samples(roots[name], n).items():
                w, c = got[name].setdefault(case, ([], []))
                w += wall
                c += cpu
    print(f"\n/training rerun (AppTest), {rounds} rounds x {n} reruns per case, checkouts "
          f"alternating, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    head = "| case | " + " | ".join(f"{k} median ms | {k} CPU ms" for k in names) + " |"
    print(head)
    print("|---|" + "---:|" * (2 * len(names)))
    here = names[-1]
    for case in got[here]:
        cells = []
        for k in names:
            w, c = got[k].get(case, ([], []))
            cells += ([f"{statistics.median(w):.1f}", f"{statistics.median(c):.1f}"] if w
                      else ["-", "-"])
        print(f"| {case} | " + " | ".join(cells) + " |")
    for case, (wall, _) in got[here].items():
        med = statistics.median(wall)
        trains = case.startswith("Step")  # an action that trains, not a control change
        headline(f"rerun /training: {case}", med, "ms",
                 "none (trains an epoch)" if trains else f"< {TARGET_MS:.0f} ms median",
                 None if trains else med < TARGET_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rerun-only", action="store_true")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout of the app to measure alternately")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reruns", type=int, default=10)
    args = parser.parse_args()
    if not args.rerun_only:
        speed_and_ticks()
    roots = {"before": args.against.resolve()} if args.against else {}
    roots["this tree"] = ROOT
    rerun_table(roots, args.rounds, args.reruns)


def speed_and_ticks() -> None:
    runtime.configure()
    policy = torch.get_num_threads()
    ratio, gap = speed_table(policy)
    ratio1 = speed_table(1)[0] if policy != 1 else ratio
    torch.set_num_threads(policy)
    print(f"\nlive tick, default run, threads {policy}, median of {TICKS} ticks:\n")
    print("| epochs per tick | training ms | charts ms | charts / training | "
          "charts / tick interval |")
    print("|---|---:|---:|---:|---:|")
    for speed in (max(SPEED_OPTIONS), PRESETS["overfit"].speed):
        tr_s, ch_s = chart_cost(speed)
        print(f"| {speed}{' (fills the time budget)' if speed > 5 else ' (page default)'} | "
              f"{tr_s * 1000:.1f} | {ch_s * 1000:.2f} | {ch_s / tr_s:.1%} | "
              f"{ch_s / TICK_S:.2%} |")
        if speed == max(SPEED_OPTIONS):
            tr, ch = tr_s, ch_s
    headline(f"trainer vs lesson loop, samples/s ratio ({policy} torch threads, app policy)",
             ratio, "x", ">= 2x", ratio >= 2)
    if policy != 1:
        headline("trainer vs lesson loop, samples/s ratio (1 torch thread)", ratio1, "x",
                 ">= 2x", ratio1 >= 2)
    headline("accuracy gap, app - lesson", gap, "", "within 0.02", abs(gap) <= 0.02)
    headline("live chart cost, % of a tick's training time", ch / tr * 100, "%", "< 10%",
             ch / tr < 0.10)


if __name__ == "__main__":
    main()
