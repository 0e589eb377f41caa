"""The shared datasets: shapes, dtypes, balance, determinism, caps, and the generated code."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, random_split

from ml101.datasets import (
    DATASETS,
    MAX_NOISE,
    ArrayDataset,
    class_counts,
    generator_call,
    generator_source,
    make_dataset,
    split_sizes,
)

NAMES = list(DATASETS)


def test_catalogue_has_the_agreed_keys() -> None:
    assert set(DATASETS) == {"xor", "xor_noisy", "spiral", "spiral_k", "sum10", "moons",
                             "circles", "blobs", "imbalanced"}
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.min_size <= spec.default_size <= spec.max_size
        assert 0.0 <= spec.default_noise <= MAX_NOISE
        assert spec.has_noise or spec.default_noise == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name: str) -> None:
    spec = DATASETS[name]
    ds = make_dataset(name, noise=spec.default_noise)
    n = spec.default_size
    assert isinstance(ds, ArrayDataset)
    assert len(ds) == n
    assert ds.X.shape == (n, spec.n_features) and ds.X.dtype == torch.float32
    if spec.n_classes == 2:
        assert ds.y.shape == (n, 1) and ds.y.dtype == torch.float32
        assert set(ds.y.unique().tolist()) == {0.0, 1.0}
    else:
        assert ds.y.shape == (n,) and ds.y.dtype == torch.int64
        assert set(ds.y.unique().tolist()) == set(range(spec.n_classes))
    assert torch.isfinite(ds.X).all()
    x0, y0 = ds[0]
    assert x0.shape == (spec.n_features,)
    assert torch.equal(x0, ds.X[0]) and torch.equal(y0, ds.y[0])


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_balanced(name: str) -> None:
    spec = DATASETS[name]
    counts = class_counts(make_dataset(name, noise=spec.default_noise, seed=3))
    assert sum(counts) == spec.default_size
    if name == "sum10":  # labels come from the data: balanced only in expectation
        assert abs(counts[0] - counts[1]) < 0.1 * spec.default_size
    elif name == "imbalanced":  # on purpose: one in ten
        assert counts == [900, 100]
    else:  # built class by class: as even as the size allows
        assert max(counts) - min(counts) <= 1


@pytest.mark.parametrize("name", ["spiral_k", "blobs"])
@pytest.mark.parametrize("k", [2, 5, 8])
def test_class_count_is_settable(name: str, k: int) -> None:
    ds = make_dataset(name, n_samples=101, noise=0.1, n_classes=k)
    counts = class_counts(ds)
    assert len(counts) == k and sum(counts) == 101 and max(counts) - min(counts) <= 1
    if k == 2:
        assert ds.y.shape == (101, 1) and ds.y.dtype == torch.float32
    else:
        assert ds.y.shape == (101,) and ds.y.dtype == torch.int64


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    spec = DATASETS[name]
    noise = spec.default_noise or (0.1 if spec.has_noise else 0.0)
    a = make_dataset(name, noise=noise, seed=7)
    b = make_dataset(name, noise=noise, seed=7)
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y)
    c = make_dataset(name, noise=noise, seed=8)
    if name == "xor":
        assert torch.equal(a.X, c.X)  # the lesson's fixed table
    else:
        assert not torch.equal(a.X, c.X)


def test_global_rng_is_neither_used_nor_disturbed() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = make_dataset("moons", noise=0.2, seed=1)
    assert torch.equal(torch.rand(3), expected)
    torch.manual_seed(999)  # a different global state changes nothing
    assert torch.equal(make_dataset("moons", noise=0.2, seed=1).X, first.X)


def test_xor_is_the_lessons_table() -> None:
    ds = make_dataset("xor")
    assert ds.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert ds.y.tolist() == [[0], [1], [1], [0]]


def test_spiral_matches_the_lesson_with_the_import_fixed() -> None:
    """The lesson's SpiralDataset(n_samples=200), run with numpy imported, is our spiral(400)."""
    n = 200
    theta = torch.linspace(0, 4 * math.pi, n)
    r = torch.linspace(0, 1, n)
    X0 = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)
    X1 = torch.stack([r * torch.cos(theta + math.pi), r * torch.sin(theta + math.pi)], dim=1)
    ds = make_dataset("spiral", n_samples=400)
    assert torch.allclose(ds.X, torch.cat([X0, X1]), atol=1e-6)
    assert ds.y.tolist() == [[0.0]] * n + [[1.0]] * n


@pytest.mark.parametrize(("n", "rare"), [(2, 1), (9, 1), (1000, 100), (5000, 500)])
def test_imbalanced_has_one_rare_point_in_ten(n: int, rare: int) -> None:
    assert class_counts(make_dataset("imbalanced", n_samples=n, noise=0.7)) == [n - rare, rare]


def test_sum10_labels_follow_the_sum() -> None:
    ds = make_dataset("sum10", n_samples=500, seed=2)
    assert torch.equal(ds.y, (ds.X.sum(dim=1, keepdim=True) > 0).float())


def test_noise_is_the_spread_around_the_clean_shape() -> None:
    clean = make_dataset("circles", n_samples=2000, noise=0.0)
    noisy = make_dataset("circles", n_samples=2000, noise=0.2, seed=4)
    spread = (noisy.X - clean.X).std().item()
    assert 0.18 < spread < 0.22
    radii = clean.X.norm(dim=1)
    assert torch.allclose(radii[:1000], torch.ones(1000), atol=1e-5)
    assert torch.allclose(radii[1000:], torch.full((1000,), 0.5), atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_caps_are_enforced_before_allocating(name: str) -> None:
    spec = DATASETS[name]
    ds = make_dataset(name, n_samples=spec.max_size)
    assert len(ds) == spec.max_size
    with pytest.raises(ValueError, match=str(spec.max_size)):
        make_dataset(name, n_samples=spec.max_size + 1)
    with pytest.raises(ValueError, match=r"n_samples|exactly"):
        make_dataset(name, n_samples=10**12)  # would be terabytes if it were allocated
    with pytest.raises(ValueError):
        make_dataset(name, n_samples=spec.min_size - 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "mnist"}, "unknown dataset 'mnist'"),
        ({"name": "moons", "noise": -0.1}, "noise must be between 0 and"),
        ({"name": "moons", "noise": float("nan")}, "noise must be between"),
        ({"name": "moons", "noise": 5.0}, "noise must be between"),
        ({"name": "moons", "noise": "0.1"}, "noise must be a number"),
        ({"name": "sum10", "noise": 0.1}, "takes no noise"),
        ({"name": "xor", "n_samples": 8}, "exactly 4"),
        ({"name": "moons", "n_samples": 2.5}, "whole number"),
        ({"name": "moons", "n_samples": True}, "whole number"),
        ({"name": "moons", "seed": -1}, "seed must be between"),
        ({"name": "moons", "n_classes": 3}, "always has 2 classes"),
        ({"name": "blobs", "n_classes": 9}, "between 2 and 8"),
        ({"name": "blobs", "n_classes": 1}, "between 2 and 8"),
        ({"name": "spiral_k", "n_samples": 3, "n_classes": 5}, "at least 5 samples"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_dataset(**kwargs)


def test_getitems_feeds_default_collate() -> None:
    ds = make_dataset("blobs", n_samples=50, noise=0.3, seed=5)
    pairs = ds.__getitems__([4, 0, 7])
    assert len(pairs) == 3 and all(len(p) == 2 for p in pairs)
    X_batch, y_batch = next(iter(DataLoader(ds, batch_size=3, sampler=[4, 0, 7])))
    assert torch.equal(X_batch, ds.X[[4, 0, 7]]) and torch.equal(y_batch, ds.y[[4, 0, 7]])


@pytest.mark.parametrize("name", ["moons", "spiral_k"])
def test_loader_and_subset_serve_the_right_rows(name: str) -> None:
    ds = make_dataset(name, n_samples=90, noise=0.1, seed=1)
    train, _ = random_split(ds, [60, 30], generator=torch.Generator().manual_seed(0))
    loader = DataLoader(train, batch_size=16, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    seen = torch.cat([xb for xb, _ in loader])
    assert seen.shape == (60, 2)
    rows = {tuple(r) for r in ds.X[train.indices].tolist()}
    assert {tuple(r) for r in seen.tolist()} == rows


@pytest.mark.parametrize("name", NAMES)
def test_generated_source_rebuilds_the_same_tensors(name: str) -> None:
    spec = DATASETS[name]
    noise = spec.default_noise
    code = "import math\nimport torch\n\n" + generator_source(name) + (
        f"\ngenerator = torch.Generator().manual_seed(11)\n"
        f"X, y = {generator_call(name, spec.default_size, noise, spec.n_classes)}\n"
    )
    ns: dict = {}
    exec(code, ns)
    ds = make_dataset(name, noise=noise, seed=11)
    assert torch.equal(ns["X"], ds.X) and torch.equal(ns["y"], ds.y)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5000), st.integers(1, 90))
def test_split_sizes_are_random_splits_own(n: int, percent: int) -> None:
    """One rule for every page: the sizes random_split itself makes from two shares."""
    f = percent / 100
    train, val = random_split(range(n), [1 - f, f], generator=torch.Generator().manual_seed(0))
    assert split_sizes(n, f) == (len(train), len(val))
