"""The lesson's three ways to save a model, run for real in a temporary folder.

1. state_dict: only the tensors, keyed by name; load into a freshly built model.
2. The whole model pickled: on PyTorch 2.6 and later `torch.load` defaults to
   `weights_only=True`, which refuses to unpickle arbitrary classes, so this load fails.
   That refusal is the point: unpickling can run any code the file asks for. We show
   the failure by catching it; we never load with `weights_only=False`.
3. A checkpoint dict with the optimizer's state: resuming from it continues training
   exactly where it stopped, which a fresh optimizer does not.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ml101.runtime import seeded


def lesson_model() -> nn.Sequential:
    """The lesson's model for this section: 10 -> 20 -> 1."""
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1))


@dataclass
class SaveReport:
    state_keys: list[str]
    state_bytes: int
    state_equal: bool  # every tensor identical after the round trip
    first_weights: list[float]  # model[0].weight[0, :3] before saving
    loaded_weights: list[float]  # the same after loading into a fresh model
    pickle_bytes: int
    pickle_error: str  # what torch.load said about the whole-model file
    pickle_error_type: str
    ckpt_bytes: int
    ckpt_keys: list[str]
    ckpt_epoch: int
    resumed_loss: float  # continued from the checkpoint (model + optimizer)
    uninterrupted_loss: float  # the same steps without stopping
    fresh_optimizer_loss: float  # model weights restored, optimizer started over


def _train(model: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
           steps: int) -> float:
    loss = torch.tensor(0.0)
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


@dataclass(frozen=True)
class SaveDemo:
    """What the three-ways demo runs: `three_ways` measures it, `code.code_for` writes it."""

    seed: int
    steps_before: int = 20  # Adam steps before saving
    steps_after: int = 20  # steps after, uninterrupted and resumed


def three_ways(seed: int, steps_before: int = 20, steps_after: int = 20) -> SaveReport:
    """Save and load all three ways in a temp folder that is removed afterwards."""
    with seeded(seed):
        model = lesson_model()
        X, y = torch.randn(64, 10), torch.randn(64, 1)
        fresh = lesson_model()
        twin, twin2 = lesson_model(), lesson_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt, X, y, steps_before)
    with tempfile.TemporaryDirectory(prefix="ml101-save-") as tmp:
        folder = Path(tmp)
        # 1. state_dict round trip
        path1 = folder / "model_state.pth"
        torch.save(model.state_dict(), path1)
        fresh.load_state_dict(torch.load(path1, weights_only=True))
        equal = all(torch.equal(a, b) for a, b in
                    zip(model.state_dict().values(), fresh.state_dict().values(), strict=True))
        # 2. whole model: saving works, loading under the safe default does not
        path2 = folder / "model.pth"
        torch.save(model, path2)
        try:
            torch.load(path2)  # on purpose: the default, weights_only=True since PyTorch 2.6
            err, err_type = "", ""
        except pickle.UnpicklingError as exc:
            err, err_type = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)), type(exc).__name__
        # 3. checkpoint with the optimizer
        path3 = folder / "checkpoint.pth"
        torch.save({"epoch": steps_before, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": opt.state_dict(), "loss": _loss(model, X, y)},
                   path3)
        ckpt = torch.load(path3, weights_only=True)
        sizes = (path1.stat().st_size, path2.stat().st_size, path3.stat().st_size)
    uninterrupted = _train(model, opt, X, y, steps_after)
    twin.load_state_dict(ckpt["model_state_dict"])
    opt2 = torch.optim.Adam(twin.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["optimizer_state_dict"])
    resumed = _train(twin, opt2, X, y, steps_after)
    twin2.load_state_dict(ckpt["model_state_dict"])
    fresh_opt = _train(twin2, torch.optim.Adam(twin2.parameters(), lr=0.01), X, y, steps_after)
    return SaveReport(
        list(fresh.state_dict().keys()), sizes[0], equal,
        [round(v, 6) for v in ckpt["model_state_dict"]["0.weight"][0, :3].tolist()],
        [round(v, 6) for v in fresh.state_dict()["0.weight"][0, :3].tolist()],
        sizes[1], err, err_type, sizes[2], list(ckpt.keys()), int(ckpt["epoch"]),
        resumed, uninterrupted, fresh_opt)


def _loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(nn.functional.mse_loss(model(X), y))


def code_for(seed: int, steps_before: int = 20, steps_after: int = 20) -> str:
    """The script behind `three_ways(seed, ...)`: `ml101.training.code.code_for` of its
    settings, under the name the NumPy vs PyTorch page imports from here."""
    from ml101.training import code  # imported here: code.py imports SaveDemo from this module

    return code.code_for(SaveDemo(seed, steps_before, steps_after))
