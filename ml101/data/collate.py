"""What the loader does with one batch of indices: fetch each sample, then collate.

`default_collate` receives a list of (x, y) pairs and stacks the x's into one tensor
and the y's into another, the batch dimension in front.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch
from torch.utils.data import Dataset, default_collate

from ml101.inputs import fmt_shape


def collate_demo(served: Dataset, positions: list[int],
                 show: int = 4) -> tuple[list[tuple[Any, Any]], Any, Any]:
    """The first `show` (x, y) pairs of a batch and what default_collate makes of all of them."""
    pairs = [served[p] for p in positions]
    X, y = default_collate(pairs)
    return pairs[:show], X, y


def batch_table(X: torch.Tensor, y: torch.Tensor, indices: list[int]) -> pd.DataFrame:
    """The stacked batch as a table: one row per sample, in the order the loader served."""
    frame = pd.DataFrame(X.numpy(), columns=[f"x[{j}]" for j in range(X.shape[1])])
    frame.insert(0, "sample index", indices)
    frame["y"] = y.reshape(len(y), -1)[:, 0].numpy()
    frame.index.name = "row"
    return frame


def collate_text(pairs: list[tuple[Any, Any]], n: int, X: Any, y: Any) -> str:
    """What default_collate receives (a list of pairs) and returns (two stacked tensors)."""
    shown = [f"    ({_short(x)}, {_short(t)})," for x, t in pairs]
    more = [f"    # ... {n - len(pairs)} more pairs"] if n > len(pairs) else []
    return "\n".join([
        f"# the loader fetches the batch's {n} samples: a list of (x, y) pairs",
        "samples = [train_set[p] for p in batch_positions]",
        "[", *shown, *more, "]",
        "# default_collate stacks the x's into one tensor, the y's into another",
        "X_batch, y_batch = default_collate(samples)",
        f"X_batch: shape {fmt_shape(tuple(X.shape))}, {X.dtype}",
        f"y_batch: shape {fmt_shape(tuple(y.shape))}, {y.dtype}",
    ])


def _short(value: Any) -> str:
    """A sample as Python would show it, 4 decimals, without touching torch's global
    print options (sessions share them)."""
    if isinstance(value, torch.Tensor):
        if value.dim() >= 2:
            return f"<image tensor of shape {fmt_shape(tuple(value.shape))}>"
        if value.dim() == 0:
            return f"tensor({value.item()})"
        if value.dtype.is_floating_point:
            return "tensor([" + ", ".join(f"{v:.4f}" for v in value.tolist()) + "])"
        return f"tensor({value.tolist()})"
    return repr(value)
