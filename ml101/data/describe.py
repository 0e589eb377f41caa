"""The DataLoader page's pictures in one sentence each: the text alternative a screen
reader reads, made from the loader's plan they draw (see `charts.py`)."""

from __future__ import annotations

from ml101.data.loader import Plan, Position
from ml101.prose import listed

SHOWN = 12  # indices read out for the current batch


def index_map(p: Plan, batch_size: int, at: Position | None, shuffle: bool) -> str:
    """'400 training samples in 13 batches of 32 (the last 16) per epoch, 3 epochs; ...'."""
    sizes = [len(b) for b in p.orders[0]] if p.orders else []
    last = f" (the last {sizes[-1]})" if sizes and sizes[-1] != batch_size else ""
    words = (f"Index map: one cell per training sample, {p.n_train} samples cut into "
             f"{p.n_batches} batches of {batch_size}{last} per epoch, coloured by batch, "
             f"{len(p.orders)} epochs side by side; "
             + ("each epoch in a new order" if shuffle else "the same order every epoch"))
    if at is not None:
        e, b = at
        batch = p.orders[e][b]
        more = f" and {len(batch) - SHOWN} more" if len(batch) > SHOWN else ""
        words += (f". Outlined: epoch {e + 1}, batch {b + 1}, samples "
                  f"{listed([str(i) for i in batch[:SHOWN]])}{more}")
    return words + "."


def batch_scatter(p: Plan, batch: list[int], n_points: int) -> str:
    """'Batch 3's 32 samples ringed among the 400 points of the data ...'."""
    val = f"; the {len(p.val_indices)} validation points hollow" if p.val_indices else ""
    return (f"Scatter plot of the data's first two features: this batch's {len(batch)} "
            f"samples large and ringed among {n_points} points, coloured by class{val}.")
