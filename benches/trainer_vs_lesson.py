"""The app's trainer against the lesson's plain loop, on the lesson's pipeline config.

Lesson loop: DataLoader over a Dataset with only __getitem__ (one call per sample plus
default collation), batch 32, shuffle. App: `Trainer`, index batching (one gather per
batch). Same data (sum10, 1000 samples, 80/20), same model (10-64-32-1, dropout 0.2,
Sigmoid + BCELoss), Adam 1e-3, same epochs. Also: what the live charts cost per tick
against the training they display, on the page's default run.
"""

from __future__ import annotations

import statistics
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
from ml101.trainer import LIVE_CHUNK_S, PRESETS, RunConfig, Trainer
from ml101.training_charts import boundary_chart, curves_chart

EPOCHS = 10
REPEATS = 3
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


def lesson_loop(seed: int) -> tuple[float, float]:
    """Seconds for EPOCHS epochs and the final validation accuracy."""
    ds = make_dataset("sum10", 1000, seed=seed)
    perm = torch.randperm(1000, generator=torch.Generator().manual_seed(seed + 1))
    tr, va = perm[:800], perm[800:]
    train = DataLoader(PlainDataset(ds.X[tr], ds.y[tr]), batch_size=32, shuffle=True,
                       generator=torch.Generator().manual_seed(seed + 2))
    val = DataLoader(PlainDataset(ds.X[va], ds.y[va]), batch_size=32, shuffle=False)
    with runtime.seeded(seed):
        model = build_model(CFG.spec())
        crit = torch.nn.BCELoss()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.perf_counter()
        for _ in range(EPOCHS):
            model.train()
            total = 0.0
            for xb, yb in train:
                loss = crit(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
            model.eval()
            correct = 0
            with torch.no_grad():
                for xb, yb in val:
                    correct += ((model(xb) > 0.5).float() == yb).sum().item()
        seconds = time.perf_counter() - start
    return seconds, correct / 200


def app_trainer(seed: int) -> tuple[float, float]:
    t = Trainer(RunConfig(**{**CFG.to_dict(), "hidden": CFG.hidden, "seed": seed}))
    start = time.perf_counter()
    t.run(EPOCHS)
    return time.perf_counter() - start, t.history[-1].val_acc


def chart_cost() -> tuple[float, float]:
    """Median seconds of one tick's training and of building that tick's charts."""
    cfg = PRESETS["overfit"].cfg
    t = Trainer(RunConfig(**{**cfg.to_dict(), "hidden": cfg.hidden, "patience": 0}))
    train_s, chart_s = [], []
    for _ in range(5):
        a = time.perf_counter()
        t.run(100, time_budget_s=LIVE_CHUNK_S)
        b = time.perf_counter()
        curves_chart(t).to_dict()
        boundary_chart(t).to_dict()
        train_s.append(b - a)
        chart_s.append(time.perf_counter() - b)
    return statistics.median(train_s), statistics.median(chart_s)


def main() -> None:
    runtime.configure()
    samples = 800 * EPOCHS
    lesson, app, acc_l, acc_a = [], [], [], []
    for r in range(REPEATS):
        s, a = lesson_loop(r)
        lesson.append(s)
        acc_l.append(a)
        s, a = app_trainer(r)
        app.append(s)
        acc_a.append(a)
    ml, ma = statistics.median(lesson), statistics.median(app)
    print(f"lesson pipeline config, {EPOCHS} epochs x 800 samples, {REPEATS} seeds, "
          f"torch threads {torch.get_num_threads()}\n")
    print("| loop | median s | samples/s | mean final val acc |")
    print("|---|---:|---:|---:|")
    print(f"| lesson: DataLoader + __getitem__ | {ml:.3f} | {samples / ml:,.0f} | "
          f"{statistics.mean(acc_l):.3f} |")
    print(f"| app: Trainer, index batching | {ma:.3f} | {samples / ma:,.0f} | "
          f"{statistics.mean(acc_a):.3f} |")
    ratio = ml / ma
    print(f"\nspeed-up: {ratio:.2f}x")
    tr, ch = chart_cost()
    share = ch / (tr + ch)
    print(f"live tick (default run): training {tr * 1000:.0f} ms, charts {ch * 1000:.0f} ms "
          f"-> charts are {share:.1%} of the tick")
    headline("trainer vs lesson loop, samples/s ratio", ratio, "x", ">= 2x", ratio >= 2)
    headline("accuracy gap, app - lesson", statistics.mean(acc_a) - statistics.mean(acc_l), "",
         "|gap| <= 0.02", abs(statistics.mean(acc_a) - statistics.mean(acc_l)) <= 0.02)
    headline("live chart share of a tick", share * 100, "%", "< 10%", share < 0.10)


if __name__ == "__main__":
    main()
