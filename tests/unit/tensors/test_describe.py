"""The heat map's text alternative is made from the tensor it draws."""

from __future__ import annotations

import numpy as np
import torch

from ml101.tensors.describe import heatmap


def test_shape_dtype_range_and_outlined_cells() -> None:
    t = torch.tensor([[1.0, 2.0, float("nan")], [-3.0, 4.0, 5.0]])
    words = heatmap(t, np.array([[True, False, False], [False, False, True]]))
    assert words.startswith("Heat map of a (2, 3) float32 tensor")
    assert "from -3 to 5" in words and "1 not finite" in words and "2 cells outlined" in words
    assert "1 of 2 True" in heatmap(torch.tensor([True, False]))
