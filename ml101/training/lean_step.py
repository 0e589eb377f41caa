"""A training step without the Python around it: the same kernels, the same numbers.

For the small networks of the lesson, a step on a CPU is mostly interpreter work:
`nn.Module.__call__` checks hooks on every layer, and `Optimizer.step` wraps the kernel
in profiling, hook and state bookkeeping. The trainer runs the layers' `forward` directly
and calls the fused Adam/AdamW kernel that `torch.optim` itself would call. Anything this
does not cover (hooks, other optimizers, a first step, a missing gradient) falls back to
the ordinary calls, so the result is bit-for-bit what `model(x)` and `optimizer.step()`
give; `tests/unit/test_lean_step.py` checks that.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn, optim
from torch.nn.modules import module as _module
from torch.optim import optimizer as _optimizer

from ml101.models import MLP

# The optimizers whose step this module calls as one fused kernel (with fused=True).
DIRECT_KERNEL: tuple[type[optim.Optimizer], ...] = (optim.Adam, optim.AdamW)


def _hooked(m: nn.Module) -> bool:
    return bool(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or m._backward_pre_hooks)


def _global_hooks() -> bool:
    return bool(_module._global_forward_hooks or _module._global_forward_pre_hooks
                or _module._global_backward_hooks or _module._global_backward_pre_hooks)


def forward_fn(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """`model(x)` for the app's MLP or a bare `nn.Sequential`, minus the per-layer
    `__call__` overhead; any other module is returned as it is."""
    if type(model) is MLP:
        seq = model.network
    elif type(model) is nn.Sequential:
        seq = model
    else:
        return model
    steps = [layer.forward for layer in seq]
    mods = [model, seq, *seq]

    def run(x: torch.Tensor) -> torch.Tensor:
        if _global_hooks() or any(_hooked(m) for m in mods):
            return model(x)  # a hook must see its call
        for f in steps:
            x = f(x)
        return x

    return run


class LeanStep:
    """`zero_grad(set_to_none=True)` and `step()` for one optimizer, lean where it can be."""

    def __init__(self, optimizer: optim.Optimizer) -> None:
        self.opt = optimizer
        self.params = [p for g in optimizer.param_groups for p in g["params"]]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _fused_group(self) -> dict | None:
        """The one param group, if the fused Adam kernel alone is what `step()` would run."""
        opt = self.opt
        if type(opt) not in DIRECT_KERNEL or len(opt.param_groups) != 1:
            return None
        if opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks or \
                _optimizer._global_optimizer_pre_hooks or \
                _optimizer._global_optimizer_post_hooks:
            return None
        g = opt.param_groups[0]
        if not g.get("fused") or g["amsgrad"] or g["maximize"] or g["differentiable"] or \
                g["capturable"] or isinstance(g["lr"], torch.Tensor):
            return None
        first = self.params[0]
        if any(p.grad is None or p not in opt.state or p.device != first.device
               or p.dtype != first.dtype for p in self.params):
            return None  # a first step sets up the state; torch.optim does that itself
        return g

    def step(self) -> None:
        g = self._fused_group()
        if g is None:
            self.opt.step()
            return
        state = [self.opt.state[p] for p in self.params]
        steps = [s["step"] for s in state]
        kernel = torch._fused_adamw_ if g.get("decoupled_weight_decay") else torch._fused_adam_
        beta1, beta2 = g["betas"]
        with torch.no_grad():
            torch._foreach_add_(steps, 1)
            kernel(self.params, [p.grad for p in self.params], [s["exp_avg"] for s in state],
                   [s["exp_avg_sq"] for s in state], [], steps, amsgrad=False, lr=g["lr"],
                   beta1=float(beta1), beta2=float(beta2), weight_decay=g["weight_decay"],
                   eps=g["eps"], maximize=False, grad_scale=None, found_inf=None)
