"""Practice problem 5: images written to a folder and read back by a custom Dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from ml101.data import image_folder
from ml101.data.image_folder import SHAPES, ShapesFolder, draw_shape, write_shapes


def test_folder_layout_labels_and_tensors(tmp_path: Path) -> None:
    write_shapes(tmp_path, 3, seed=0, size=20)
    assert sorted(p.name for p in tmp_path.iterdir()) == list(SHAPES)
    ds = ShapesFolder(tmp_path)
    assert len(ds) == 12 and ds.classes == list(SHAPES)
    labels = [ds[i][1] for i in range(len(ds))]
    assert labels == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3  # balanced, by folder
    x, label = ds[4]
    assert x.shape == (1, 20, 20) and x.dtype == torch.float32 and label == 1
    assert set(torch.unique(x).tolist()) == {0.0, 1.0}  # black and white survive the PNG
    X, y = next(iter(DataLoader(ds, batch_size=5, shuffle=False)))
    assert X.shape == (5, 1, 20, 20) and y.tolist() == [0, 0, 0, 1, 1]


def test_images_read_back_are_the_drawn_pixels(tmp_path: Path) -> None:
    write_shapes(tmp_path, 1, seed=2, size=20)
    ds = ShapesFolder(tmp_path)
    g = torch.Generator().manual_seed(2)
    for label, kind in enumerate(SHAPES):
        jitter = torch.rand(3, generator=g).tolist()
        radius = 20 * (0.2 + 0.12 * jitter[0])
        cx, cy = 20 / 2 - 1.5 + 3 * jitter[1], 20 / 2 - 1.5 + 3 * jitter[2]
        expected = draw_shape(kind, 20, cx, cy, radius)
        assert np.array_equal(ds[label][0][0].numpy(), expected)


def test_same_seed_same_images_and_shapes_differ(tmp_path: Path) -> None:
    write_shapes(tmp_path / "a", 2, seed=4)
    write_shapes(tmp_path / "b", 2, seed=4)
    a, b = ShapesFolder(tmp_path / "a"), ShapesFolder(tmp_path / "b")
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(len(a)))
    masks = [draw_shape(k, 20, 10, 10, 6) for k in SHAPES]
    assert len({m.tobytes() for m in masks}) == 4 and all(m.sum() > 20 for m in masks)


def test_caps(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        image_folder.check_per_class(101)
    with pytest.raises(ValueError, match="whole number"):
        image_folder.check_per_class(2.5)  # type: ignore[arg-type]
    write_shapes(tmp_path, 3, seed=0)
    with pytest.raises(ValueError, match="more than 10 images"):
        ShapesFolder(tmp_path, max_files=10)
    with pytest.raises(ValueError, match="unknown shape"):
        draw_shape("star", 20, 10, 10, 5)


def test_build_and_tiles() -> None:
    folder, ds = image_folder.build(2, seed=1)
    try:
        assert len(ds) == 8 and Path(folder.name).is_dir()
        X = torch.stack([ds[i][0] for i in range(3)])
        tiles = image_folder.tiles(X, scale=4)
        assert len(tiles) == 3 and tiles[0].shape == (80, 80)
        assert np.array_equal(tiles[0][::4, ::4], X[0, 0].numpy())
    finally:
        folder.cleanup()
