"""The tensor playground's heat map in one sentence: the text alternative a screen reader
reads, made from the tensor it draws (see `charts.heatmap`)."""

from __future__ import annotations

import numpy as np
import torch

from ml101.inputs import fmt_shape
from ml101.prose import num


def heatmap(t: torch.Tensor, mask: np.ndarray | None = None) -> str:
    """'Heat map of a (2, 3) float32 tensor: values from -1.2 to 3.4, ...'."""
    shape, dtype = fmt_shape(tuple(t.shape)), str(t.dtype).removeprefix("torch.")
    words = f"Heat map of a {shape} {dtype} tensor, one cell per number"
    if t.numel():
        v = t.detach()
        if t.dtype == torch.bool:
            words += f": {int(v.sum())} of {t.numel()} True"
        else:
            finite = v[torch.isfinite(v)] if v.is_floating_point() else v
            if finite.numel():
                words += (f": values from {num(float(finite.min()))} to "
                          f"{num(float(finite.max()))}, darker for smaller")
            if finite.numel() < v.numel():
                words += f", {v.numel() - finite.numel()} not finite"
    if mask is not None and mask.any():
        words += f"; {int(mask.sum())} cells outlined"
    return words + ". The printed tensor below lists every value."
