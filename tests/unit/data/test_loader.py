"""Batch orders equal a real seeded DataLoader's; counts, splits and stepping."""

from __future__ import annotations

import math

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
    assert p.n_batches == 4 and p.sizes == [16] * 4
    dropped = batches.dropped_indices(p, 0, cfg)
    assert len(dropped) == 70 - 64
    served_idx = [i for b in p.orders[0] for i in b]
    assert sorted(served_idx + dropped) == sorted(train)
    assert all(train[pos] == i for pos, i in zip(p.positions[1][2], p.orders[1][2], strict=True))


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


def test_step_rolls_over_epochs_and_stops_at_both_ends() -> None:
    assert batches.step((0, 12), 1, 3, 13) == (1, 0)  # the last batch, then the next epoch
    assert batches.step((1, 0), -1, 3, 13) == (0, 12)
    assert batches.step((0, 0), -1, 3, 13) == (0, 0)
    assert batches.step((2, 12), 1, 3, 13) == (2, 12)
    assert batches.step((0, 3), 20, 3, 13) == (1, 10)  # Play may walk several at once
    assert batches.step((0, 0), 99, 2, 1) == (1, 0)


@settings(max_examples=80, deadline=None)
@given(epochs=st.integers(1, 5), n=st.integers(1, 40), data=st.data())
def test_stepping_one_by_one_visits_every_batch_in_loader_order(epochs: int, n: int,
                                                               data: st.DataObject) -> None:
    at, seen = (0, 0), [(0, 0)]
    for _ in range(epochs * n + 2):
        at = batches.step(at, 1, epochs, n)
        seen.append(at)
    assert sorted(set(seen)) == [(e, b) for e in range(epochs) for b in range(n)]
    k = data.draw(st.integers(-3 * n, 3 * n))
    start = (data.draw(st.integers(0, epochs - 1)), data.draw(st.integers(0, n - 1)))
    one_by_one = start
    for _ in range(abs(k)):
        one_by_one = batches.step(one_by_one, 1 if k > 0 else -1, epochs, n)
    assert batches.step(start, k, epochs, n) == one_by_one
