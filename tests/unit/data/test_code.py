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
