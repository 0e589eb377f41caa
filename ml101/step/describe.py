"""The One training step page's charts in one sentence each: the text alternative a screen
reader reads, made from the tensors and numbers they draw (see `charts.py`)."""

from __future__ import annotations

from collections import Counter

import torch

from ml101.inputs import fmt_shape
from ml101.prose import listed, num, trend
from ml101.step.frames import Block, Scene


def canvas(scene: Scene, blocks: list[Block]) -> str:
    """'Forward: layer 1 ... Highlighted: h1 (4, 4), from -0.3 to 1.2; ...'."""
    lit = []
    for b in blocks:
        if b.name not in scene.lit:
            continue
        shown = scene.shown[b.name]
        if shown.values is None:
            lit.append(f"{shown.title} (empty{': ' + shown.note if shown.note else ''})")
            continue
        v = shown.values.detach().double()
        span = (f"{num(float(v.min()))} to {num(float(v.max()))}" if v.numel() > 1
                else num(float(v.reshape(-1)[0])) if v.numel() else "no values")
        lit.append(f"{shown.title} {fmt_shape((b.rows, b.cols))}, {span}")
    empty = sum(scene.shown[b.name].values is None for b in blocks)
    return (f"The step's tensors as blocks of cells, blue negative and orange positive: "
            f"{scene.title}. Highlighted: {listed(lit) or 'none'}. {len(blocks)} tensors, "
            f"{empty} of them empty. The table 'Every number of this step' lists them all.")


def points(labels: torch.Tensor, rows: torch.Tensor, followed: int) -> str:
    """'The data: 40 points in 2 classes (20 and 20), the batch's 4 ringed, ...'."""
    counts = Counter(labels.tolist())
    per = listed([f"{counts[c]} of class {c}" for c in sorted(counts)])
    batch = Counter(labels[rows].tolist())
    in_batch = listed([f"{batch[c]} of class {c}" for c in sorted(batch)])
    words = (f"The data: {len(labels)} points ({per}) over the class the model predicts "
             f"at each place; this batch's {len(rows)} points ({in_batch}) are ringed")
    if followed < len(rows):
        r = int(rows[followed])
        words += f", the followed sample (row {r}, class {int(labels[r])}) is a diamond"
    return words + "."


def losses(history: list[float]) -> str:
    """'Batch loss per training step: fell from 0.72 at step 1 to 0.41 at step 12.'"""
    return f"Batch loss per training step: it {trend(history, step='step')}."
