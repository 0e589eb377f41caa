"""Run settings: bad configs refused before allocating, the side-by-side modes, and the
optimizer policy the page describes (fused where torch has a fused CPU kernel)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch.optim.optimizer import _default_to_fused_or_foreach

from ml101.training.config import (
    COMPARE,
    RunConfig,
    build_optimizer,
    compare_configs,
    optimizer_kwargs,
)
from ml101.training.presets import PRESETS
from ml101.training.trainer import Trainer

SMALL = RunConfig(n_samples=80, hidden=(32, 32), epochs=12, patience=0)


def test_bad_configs_are_refused_before_allocating() -> None:
    with pytest.raises(ValueError, match="two classes"):
        Trainer(replace(SMALL, dataset="blobs", n_classes=3, loss="bce_logits"))
    with pytest.raises(ValueError, match="batch size"):
        Trainer(replace(SMALL, batch_size=1000))
    with pytest.raises(ValueError, match="learning rate"):
        Trainer(replace(SMALL, lr=float("nan")))
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_optimizer("lbfgs", torch.nn.Linear(2, 1).parameters(), 0.1, 0.0)


def test_compare_builds_two_runs_on_the_same_data() -> None:
    runs = [Trainer(c) for _, c in compare_configs(PRESETS["p3"].cfg, "reg")]
    assert torch.equal(runs[0].X_train, runs[1].X_train)
    assert runs[1].cfg.batch_norm and runs[1].cfg.dropout == 0.3


@pytest.mark.parametrize(("k", "plain"), [(2, "bce_logits"), (3, "cross_entropy")])
def test_the_loss_mode_pits_plain_cross_entropy_against_focal(k: int, plain: str) -> None:
    cfg = replace(SMALL, dataset="blobs", n_classes=k, loss="focal")
    (a, ca), (b, cb) = compare_configs(cfg, "loss")
    assert (a, b) == ("cross-entropy", "focal loss") and (ca.loss, cb.loss) == (plain, "focal")
    first = [Trainer(c).model.state_dict() for c in (ca, cb)]  # same shape, same start
    assert all(torch.equal(first[0][n], first[1][n]) for n in first[0])
    assert set(COMPARE) >= {"off", "act", "reg", "loss"}


def test_the_optimizers_run_fused_except_rmsprop_which_has_no_fused_kernel() -> None:
    params = [torch.zeros(3, requires_grad=True)]
    assert _default_to_fused_or_foreach(params, False, False) == (False, False)  # CPU: a loop
    for key in ("sgd", "momentum", "adam", "adamw"):
        assert optimizer_kwargs(key)["fused"] is True
        assert build_optimizer(key, params, 0.1, 0.0).defaults["fused"] is True
    assert optimizer_kwargs("rmsprop") == {"foreach": True}
    with pytest.raises(TypeError):
        torch.optim.RMSprop(params, lr=0.1, fused=True)
