"""What default_collate receives and returns, as the page prints and tabulates it."""

from __future__ import annotations

import torch

from ml101.data import collate
from ml101.data import loader as batches
from ml101.data.loader import LoaderConfig


def test_collate_text_and_table_describe_the_real_batch() -> None:
    cfg = LoaderConfig(dataset="sum10", n_samples=40, noise=0.0, batch_size=8)
    ds = batches.make_points(cfg)
    pairs, X, y = collate.collate_demo(ds, [3, 1, 4, 1, 5])
    assert torch.equal(X, ds.X[[3, 1, 4, 1, 5]]) and y.shape == (5, 1)
    text = collate.collate_text(pairs, 5, X, y)
    assert "X_batch: shape (5, 10), torch.float32" in text and "1 more pairs" in text
    assert f"{ds.X[3, 0].item():.4f}" in text
    table = collate.batch_table(X, y, [3, 1, 4, 1, 5])
    assert table["sample index"].tolist() == [3, 1, 4, 1, 5]
    assert list(table.columns[1:11]) == [f"x[{j}]" for j in range(10)]


def test_one_dimensional_shapes_print_as_python_tuples() -> None:
    pairs = [(torch.zeros(1, 2, 2), 1), (torch.ones(1, 2, 2), 0)]
    X, y = torch.stack([p[0] for p in pairs]), torch.tensor([1, 0])
    text = collate.collate_text(pairs, 2, X, y)
    assert "y_batch: shape (2,), torch.int64" in text
    assert "<image tensor of shape (1, 2, 2)>" in text
