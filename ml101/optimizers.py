"""The torch.optim optimizers the app offers: one entry per key, whichever page picks one.

A key names an optimizer as a learner thinks of it ("momentum" is SGD with momentum);
`build` is the one place a key becomes a real `torch.optim` object. Each optimizer keeps
one colour wherever it is drawn: the lesson's four (SGD, momentum, Adam, RMSprop) get the
palette's four most distinct colours, L-BFGS, the ninth, the ink.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from ml101.style import INK, SERIES


@dataclass(frozen=True)
class OptimizerInfo:
    key: str
    label: str
    cls: str  # the torch.optim class name
    default_lr: float
    hyper: tuple[str, ...]  # the hyperparameters a learner may change, beyond lr
    color: str
    blurb: str


OPTIMIZERS: dict[str, OptimizerInfo] = {o.key: o for o in (
    OptimizerInfo("sgd", "SGD", "SGD", 1e-3, (), SERIES[0],
                  "Steps straight down the gradient: x -= lr * g."),
    OptimizerInfo("momentum", "SGD + momentum", "SGD", 1e-3, ("momentum",), SERIES[1],
                  "Keeps an exponentially decaying sum of past gradients (the momentum "
                  "buffer, buf = momentum * buf + g) and steps along it, so consistent "
                  "directions build up speed and zig-zags cancel."),
    OptimizerInfo("nesterov", "Nesterov", "SGD", 1e-3, ("momentum",), SERIES[4],
                  "Momentum that also adds the buffer's next move before stepping: "
                  "it brakes earlier when the slope turns."),
    OptimizerInfo("adam", "Adam", "Adam", 1e-2, ("beta1", "beta2"), SERIES[2],
                  "Momentum (m) divided by the root of a running mean of squared gradients "
                  "(v), both bias-corrected: every coordinate moves about lr per step, "
                  "whatever its gradient size."),
    OptimizerInfo("adamw", "AdamW", "AdamW", 1e-2, ("beta1", "beta2", "weight_decay"), SERIES[5],
                  "Adam plus weight decay applied directly to the weights (decoupled), "
                  "which pulls them towards 0 a little every step."),
    OptimizerInfo("rmsprop", "RMSprop", "RMSprop", 1e-2, ("alpha", "momentum"), SERIES[3],
                  "Divides the gradient by the root of a running mean of its square: "
                  "Adam without the first moment or bias correction, so its first steps "
                  "can be many times lr."),
    OptimizerInfo("adagrad", "Adagrad", "Adagrad", 1e-1, (), SERIES[6],
                  "Divides by the root of the sum of all squared gradients so far: its "
                  "effective learning rate only ever shrinks (a step can still grow when "
                  "the gradient does)."),
    OptimizerInfo("nadam", "NAdam", "NAdam", 1e-2, ("beta1", "beta2"), SERIES[7],
                  "Adam with Nesterov's look-ahead on the first moment."),
    OptimizerInfo("lbfgs", "L-BFGS", "LBFGS", 1.0, (), INK,
                  "A quasi-Newton method: builds a curvature estimate from recent steps and "
                  "uses a line search. One step here is one iteration, which evaluates the "
                  "function several times."),
)}


def build(key: str, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]], lr: float,
          **kwargs: Any) -> torch.optim.Optimizer:
    """The real torch.optim optimizer for `key`; kwargs go to its constructor as they are."""
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {key!r}; choose one of {', '.join(OPTIMIZERS)}")
    cls = getattr(torch.optim, OPTIMIZERS[key].cls)
    return cls(params, lr=lr, **kwargs)
