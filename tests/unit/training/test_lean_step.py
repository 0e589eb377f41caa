"""The lean step must give exactly what model(x) and optimizer.step() give."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ml101.models import ModelSpec, build_model
from ml101.training.config import build_optimizer
from ml101.training.lean_step import LeanStep, forward_fn

SPEC = ModelSpec(4, (16, 8), 1, activation="Tanh", dropout=0.2, batch_norm=True)


def _train(lean: bool, opt_key: str, steps: int = 6, weight_decay: float = 0.01,
           ) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = build_model(SPEC)
    opt = build_optimizer(opt_key, model.parameters(), 0.01, weight_decay)
    forward, step = forward_fn(model), LeanStep(opt)
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(8, 4, generator=gen), torch.rand(8, 1, generator=gen)
        loss = nn.functional.mse_loss((forward if lean else model)(x), y)
        step.zero_grad() if lean else opt.zero_grad(set_to_none=True)
        loss.backward()
        step.step() if lean else opt.step()
    return model, opt


@pytest.mark.parametrize("opt_key", ["adam", "adamw", "sgd", "momentum", "rmsprop"])
def test_bit_for_bit_the_same_weights_and_optimizer_state(opt_key: str) -> None:
    (m1, o1), (m2, o2) = _train(False, opt_key), _train(True, opt_key)
    for (name, a), b in zip(m1.state_dict().items(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    for s1, s2 in zip(o1.state.values(), o2.state.values(), strict=True):
        assert s1.keys() == s2.keys()
        assert all(torch.equal(s1[k], s2[k]) for k in s1)


def test_adam_takes_the_fused_kernel_after_its_first_step() -> None:
    model = build_model(SPEC)
    step = LeanStep(build_optimizer("adam", model.parameters(), 0.01, 0.0))
    assert step._fused_group() is None  # no state yet: torch.optim sets it up
    model(torch.randn(8, 4)).sum().backward()
    step.step()
    assert step._fused_group() is not None
    step.opt.register_step_pre_hook(lambda *_: None)
    assert step._fused_group() is None  # a hook must run, so the ordinary step does


def test_a_forward_hook_still_fires() -> None:
    model = build_model(SPEC)
    seen = []
    model.network[0].register_forward_hook(lambda *_: seen.append(1))
    forward_fn(model)(torch.randn(3, 4))
    assert seen == [1]


def test_other_modules_are_called_as_they_are() -> None:
    class Custom(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * 2

    model = Custom()
    assert forward_fn(model) is model
