"""The Training pipeline's charts in one sentence each: the text alternative a screen reader
reads, made from the same numbers the chart draws (see `charts.py`)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ml101.prose import listed, pct, trend
from ml101.training.charts import Runs, lower_panel, rare_class
from ml101.training.trainer import Trainer

# Validation loss this far above its best at the end of a run reads as overfitting.
OVERFIT_RISE = 0.05


def _one_run(t: Trainer, label: str, field: str, title: str) -> str:
    h = t.history
    if not h:
        return f"{label or 'The run'}: no epoch trained yet"
    epochs = [e.epoch for e in h]
    val = [e.val_loss for e in h]
    who = f"{label}: " if label else ""
    words = (f"{who}validation loss {trend(val, epochs)}; training loss "
             f"{trend([e.train_loss for e in h], epochs)}")
    rare = rare_class(t)
    lower = [e.val_acc if field == "val_acc" or rare is None else
             (e.val_recall[rare] if e.val_recall else None) for e in h]
    finite = [v for v in lower if v is not None and math.isfinite(v)]
    if finite:
        words += f"; {title[0].lower() + title[1:]} ends at {pct(finite[-1])}"
    finite_val = [(e, v) for e, v in zip(epochs, val, strict=True) if math.isfinite(v)]
    if finite_val:
        best_e, best = min(finite_val, key=lambda p: p[1])
        if val[-1] > best * (1 + OVERFIT_RISE) and best_e < epochs[-1]:
            words += f" (best at epoch {best_e}: overfitting since)"
    return words


def curves(runs: Runs | Trainer, at_epoch: int | None = None) -> str:
    """'Validation loss fell from 0.69 to 0.18 by epoch 7, then rose to 0.23 ...'."""
    if isinstance(runs, Trainer):
        runs = [("", runs)]
    field, title = lower_panel(runs)
    parts = [_cap(_one_run(t, label, field, title)) for label, t in runs]
    shown = f" The grey line marks epoch {at_epoch}." if at_epoch is not None else ""
    return "Loss curves per epoch. " + ". ".join(parts) + "." + shown


def boundary(t: Trainer, spec: dict[str, Any], label: str = "",
             weights: str = "the current weights") -> str:
    """What the decision map shows: how much of the plane each class gets, and how the
    points fare. Read from the map's own cells (`spec`, from `boundary_spec`)."""
    cells = spec["layer"][0]["data"]["values"]
    k = t.cfg.n_classes
    if k == 2:
        p1 = [c["data"] if isinstance(c, dict) else c for c in cells]
        winners = Counter(None if p is None else int(p >= 0.5) for p in p1)
    else:
        winners = Counter(c["c"] for c in cells)
    total = sum(n for c, n in winners.items() if c is not None)
    shares = [f"class {c} {n / total:.0%}" for c, n in sorted(winners.items(),
                                                              key=lambda cn: -cn[1])
              if c is not None] if total else []
    who = f"{label}: " if label else ""
    words = (f"{who}Decision map of {weights}, {k} classes over inputs x₁ and x₂: of the "
             f"plane, the model gives " + listed(shares) if shares else
             f"{who}Decision map of {weights}: no finite prediction")
    where = (f"{t.n_train} training points filled, {t.n_val} validation points hollow"
             if t.cfg.val_fraction else f"{t.n_train} training points")
    return f"{words}. On top, {where}, one shape and colour per class."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def confusion(matrix: Sequence[Sequence[int]], epoch: int) -> str:
    """'Of 120 validation points, 113 (94%) on the diagonal; most often class 1 as 0 (5).'"""
    total = sum(map(sum, matrix))
    right = sum(matrix[i][i] for i in range(len(matrix)))
    if not total:
        return f"Confusion matrix at epoch {epoch}: no validation points."
    wrong = [(n, i, j) for i, row in enumerate(matrix) for j, n in enumerate(row)
             if i != j and n]
    worst = (f"; the most common mistake: true class {max(wrong)[1]} predicted as "
             f"{max(wrong)[2]}, {max(wrong)[0]} times" if wrong else "; no mistakes")
    return (f"Confusion matrix at epoch {epoch}: {right} of {total} validation points "
            f"({right / total:.0%}) predicted as their true class{worst}.")
