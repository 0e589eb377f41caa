"""The code panel's script runs and prints the very batch the page shows."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from ml101.data import loader as batches
from ml101.data.code import code_for
from ml101.data.loader import LoaderConfig


@pytest.mark.parametrize("val", [0, 25])
def test_generated_code_prints_the_same_batch(val: int) -> None:
    cfg = LoaderConfig(dataset="blobs", n_samples=90, noise=0.4, n_classes=3, batch_size=7,
                       drop_last=False, seed=11, val_percent=val, epochs=3)
    ds = batches.make_points(cfg)
    served, train, vals = batches.split(ds, cfg)
    p = batches.plan(len(ds), served, train, vals, cfg)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code_for(cfg, 2, 4), {"__name__": "generated"})
    m = re.search(r"epoch 3, batch 5: indices \[([\d, ]*)\]", out.getvalue())
    assert m and [int(v) for v in m[1].split(",")] == p.orders[2][4]
    assert f"batches per epoch: {batches.batch_count(p.n_train, 7, False)}" in out.getvalue()


@pytest.mark.parametrize("val", [0, 20])
def test_the_code_reads_the_learners_file_and_prints_the_same_batch(val: int) -> None:
    """A CSV (3 classes) and a drawing (2 classes, float targets): the script reads the
    file beside it, in a fresh interpreter, and prints the batch the plan holds."""
    from ml101 import own_data
    from tests.app.contract import run_script

    fruit = own_data.default_dataset(own_data.read_table(own_data.example_csv(), "fruit.csv"))
    drawn = own_data.drawn_data([(i - 12, (5 * i) % 41 - 20, i % 2) for i in range(25)])
    for own in (fruit, drawn):
        cfg = LoaderConfig(own.source, len(own), 0.0, own.n_classes, 8, True, False, 3, val,
                           2, own)
        ds = batches.make_points(cfg)
        served, train, vals = batches.split(ds, cfg)
        p = batches.plan(len(ds), served, train, vals, cfg)
        out = run_script(code_for(cfg, 1, 2), files={own.file_name: own.data})
        m = re.search(r"epoch 2, batch 3: indices \[([\d, ]*)\]", out)
        assert m and [int(v) for v in m[1].split(",")] == p.orders[1][2]
        n = len(p.orders[1][2])
        y_shape = f"({n}, 1)" if own.n_classes == 2 else f"({n},)"
        assert f"X_batch ({n}, {own.n_features}) y_batch {y_shape}" in out
