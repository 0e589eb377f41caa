"""Batch orders equal a real seeded DataLoader's; counts, splits, frames and the code panel."""

from __future__ import annotations

import contextlib
import io
import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, random_split

from ml101.data import loader as batches
from ml101.data.loader import LoaderConfig


def real_orders(n: int, cfg: LoaderConfig) -> list[list[list[int]]]:
    loader = DataLoader(range(n), batch_size=cfg.batch_size, shuffle=cfg.shuffle,
                        drop_last=cfg.drop_last, generator=torch.Generator().manual_seed(cfg.seed))
    return [[b.tolist() for b in loader] for _ in range(cfg.epochs)]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 120), bs=st.integers(1, 50), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**31 - 1), epochs=st.integers(1, 4))
def test_orders_are_what_a_seeded_dataloader_serves(n: int, bs: int, shuffle: bool,
                                                    drop_last: bool, seed: int,
                                                    epochs: int) -> None:
    cfg = LoaderConfig(batch_size=bs, shuffle=shuffle, drop_last=drop_last, seed=seed,
                       epochs=epochs)
    orders = batches.epoch_orders(n, cfg)
    assert orders == real_orders(n, cfg)
    assert all(len(epoch) == batches.batch_count(n, bs, drop_last) for epoch in orders)


@pytest.mark.parametrize(("n", "b", "drop", "expected"),
                         [(400, 32, False, 13), (400, 32, True, 12), (4, 2, False, 2),
                          (5, 8, True, 0), (5, 8, False, 1), (320, 32, True, 10)])
def test_batch_count_formula(n: int, b: int, drop: bool, expected: int) -> None:
    assert batches.batch_count(n, b, drop) == expected
    assert expected == (n // b if drop else math.ceil(n / b))


def test_shuffle_reorders_every_epoch_and_sequential_does_not() -> None:
    cfg = LoaderConfig(batch_size=10, shuffle=True, epochs=3)
    a, b, c = batches.epoch_orders(50, cfg)
    assert a != b != c and sorted(i for batch in a for i in batch) == list(range(50))
    flat = batches.epoch_orders(50, LoaderConfig(batch_size=10, shuffle=False, epochs=2))
    assert flat[0] == flat[1] == [list(range(i, i + 10)) for i in range(0, 50, 10)]


def test_split_matches_random_split_and_plan_maps_to_dataset_indices() -> None:
    cfg = LoaderConfig(dataset="spiral", n_samples=100, noise=0.0, batch_size=16,
                       val_percent=30, seed=5, drop_last=True)
    ds = batches.make_points(cfg)
    served, train, val = batches.split(ds, cfg)
    ref_train, ref_val = random_split(ds, [70, 30], generator=torch.Generator().manual_seed(5))
    assert train == list(ref_train.indices) and val == list(ref_val.indices)
    assert batches.split(ds, cfg)[1] == train  # same seed, same split
    p = batches.plan(len(ds), served, train, val, cfg)
    assert len(p.orders[0]) == 4
    dropped = batches.dropped_indices(p, 0, cfg)
    assert len(dropped) == 70 - 64
    served_idx = [i for b in p.orders[0] for i in b]
    assert sorted(served_idx + dropped) == sorted(train)
    frame = batches.index_map_frame(p, cfg, (0, 1))
    assert len(frame) == cfg.epochs * 70
    assert (frame[frame.batch == 0].shape[0]) == cfg.epochs * 6
    assert frame[frame.current]["index"].tolist() == p.orders[0][1]


def test_without_validation_the_whole_dataset_is_served_in_index_order() -> None:
    cfg = LoaderConfig(dataset="xor", n_samples=4, noise=0.0, batch_size=2, shuffle=False)
    ds = batches.make_points(cfg)
    served, train, val = batches.split(ds, cfg)
    assert served is ds and train == [0, 1, 2, 3] and val == []


@pytest.mark.parametrize("cfg", [
    LoaderConfig(batch_size=0), LoaderConfig(batch_size=513), LoaderConfig(val_percent=60),
    LoaderConfig(epochs=6), LoaderConfig(dataset="nope"), LoaderConfig(n_samples=9000),
    LoaderConfig(dataset="shapes", n_samples=6), LoaderConfig(dataset="shapes", n_samples=404),
])
def test_check_rejects_settings_out_of_range(cfg: LoaderConfig) -> None:
    with pytest.raises(ValueError):
        batches.check(cfg)


def test_collate_text_and_table_describe_the_real_batch() -> None:
    cfg = LoaderConfig(dataset="sum10", n_samples=40, noise=0.0, batch_size=8)
    ds = batches.make_points(cfg)
    pairs, X, y = batches.collate_demo(ds, [3, 1, 4, 1, 5])
    assert torch.equal(X, ds.X[[3, 1, 4, 1, 5]]) and y.shape == (5, 1)
    text = batches.collate_text(pairs, 5, X, y)
    assert "X_batch: shape (5, 10), torch.float32" in text and "1 more pairs" in text
    assert f"{ds.X[3, 0].item():.4f}" in text
    table = batches.batch_table(X, y, [3, 1, 4, 1, 5])
    assert table["sample index"].tolist() == [3, 1, 4, 1, 5]
    assert list(table.columns[1:11]) == [f"x[{j}]" for j in range(10)]


@pytest.mark.parametrize("val", [0, 25])
def test_generated_code_prints_the_same_batch(val: int) -> None:
    cfg = LoaderConfig(dataset="blobs", n_samples=90, noise=0.4, n_classes=3, batch_size=7,
                       drop_last=False, seed=11, val_percent=val, epochs=3)
    ds = batches.make_points(cfg)
    served, train, vals = batches.split(ds, cfg)
    p = batches.plan(len(ds), served, train, vals, cfg)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(batches.loader_code(cfg, 2, 4), {"__name__": "generated"})
    m = re.search(r"epoch 3, batch 5: indices \[([\d, ]*)\]", out.getvalue())
    assert m and [int(v) for v in m[1].split(",")] == p.orders[2][4]
    assert f"batches per epoch: {batches.batch_count(p.n_train, 7, False)}" in out.getvalue()
