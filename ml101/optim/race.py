"""A race of torch.optim optimizers on a 2-D surface, computed step by step as it is watched.

Every racer is a two-element tensor stepped by its own `torch.optim` class, its gradient
coming from autograd through the operations of the page's code: the page's numbers are
the classes' own, to the last bit. A step of every racer costs about a millisecond, too
much to compute a long race in one rerun, so a `Race` grows on request
(`advance`, a chunk at a time, within a time budget) and keeps every position, loss,
gradient and optimizer state it has passed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ml101 import optimizers
from ml101.inputs import InputError
from ml101.optim.surfaces import SURFACES, Pair, Surface
from ml101.optimizers import OPTIMIZERS, OptimizerInfo

MAX_STEPS = 5000
MAX_START = 50.0  # |x|, |y| of a start point
DTYPE = torch.float32

# What each class keeps per parameter, as the page shows it: (torch's state key, meaning).
STATE: dict[str, tuple[tuple[str, str], ...]] = {
    "sgd": (("momentum_buffer", "momentum buffer"),),  # only with momentum > 0
    "momentum": (("momentum_buffer", "momentum buffer"),),
    "nesterov": (("momentum_buffer", "momentum buffer"),),
    "adam": (("exp_avg", "m, running mean of g"), ("exp_avg_sq", "v, running mean of g²")),
    "adamw": (("exp_avg", "m, running mean of g"), ("exp_avg_sq", "v, running mean of g²")),
    "nadam": (("exp_avg", "m, running mean of g"), ("exp_avg_sq", "v, running mean of g²")),
    "rmsprop": (("square_avg", "running mean of g²"), ("momentum_buffer", "momentum buffer")),
    "adagrad": (("sum", "sum of every g²"),),
    "lbfgs": (),
}


class RaceError(InputError):
    """A race setting out of range: which one, and what is allowed."""

    allowed = "the ranges the race's controls offer"


@dataclass(frozen=True)
class Racer:
    """One entrant: an optimizer and its settings (torch.optim's defaults unless set)."""

    key: str
    lr: float
    momentum: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    weight_decay: float = 0.0

    @property
    def info(self) -> OptimizerInfo:
        return OPTIMIZERS[self.key]

    @property
    def label(self) -> str:
        return self.info.label


def make_racer(key: str, lr: float | None = None, **hyper: float) -> Racer:
    """A racer with the hyperparameters this optimizer is usually run with."""
    base = {"momentum": 0.9} if key in ("momentum", "nesterov") else {}
    if key == "adamw":
        base["weight_decay"] = 0.01
    base.update(hyper)
    return Racer(key, OPTIMIZERS[key].default_lr if lr is None else float(lr), **base)


def torch_kwargs(r: Racer) -> dict[str, object]:
    """Keyword arguments for the torch.optim class, beyond lr, that differ from its defaults."""
    kw: dict[str, object] = {}
    if r.key in ("momentum", "nesterov", "sgd"):
        if r.momentum:
            kw["momentum"] = r.momentum
        if r.key == "nesterov":
            kw["nesterov"] = True
    elif r.key in ("adam", "adamw", "nadam"):
        if (r.beta1, r.beta2) != (0.9, 0.999):
            kw["betas"] = (r.beta1, r.beta2)
        if r.key == "adamw" and r.weight_decay != 0.01:
            kw["weight_decay"] = r.weight_decay
    elif r.key == "rmsprop":
        if r.alpha != 0.99:
            kw["alpha"] = r.alpha
        if r.momentum:
            kw["momentum"] = r.momentum
    elif r.key == "lbfgs":
        kw.update(max_iter=1, max_eval=20, history_size=10, line_search_fn="strong_wolfe")
    return kw


@dataclass(frozen=True)
class RaceSpec:
    """Everything that decides a race's numbers: same spec, same race, for everybody."""

    surface: str
    racers: tuple[Racer, ...]
    start: Pair
    steps: int

    @property
    def surf(self) -> Surface:
        return SURFACES[self.surface]


def check(spec: RaceSpec) -> None:
    """Refuse a race the page's controls could not have asked for, saying what is allowed."""
    if spec.surface not in SURFACES:
        raise RaceError(f"unknown surface {spec.surface!r}", allowed=", ".join(SURFACES))
    if not (isinstance(spec.steps, int) and 1 <= spec.steps <= MAX_STEPS):
        raise RaceError(f"{spec.steps} steps", allowed=f"1 to {MAX_STEPS:,} steps")
    if not all(math.isfinite(v) and abs(v) <= MAX_START for v in spec.start):
        raise RaceError(f"start point {spec.start}",
                        allowed=f"x and y between -{MAX_START:g} and {MAX_START:g}")
    if not spec.racers:
        raise RaceError("no optimizer chosen", allowed="at least one optimizer")
    for r in spec.racers:
        if r.key not in OPTIMIZERS:
            raise RaceError(f"unknown optimizer {r.key!r}", allowed=", ".join(OPTIMIZERS))
        if not (math.isfinite(r.lr) and 0 < r.lr <= 100):
            raise RaceError(f"{r.label}: learning rate {r.lr}",
                            allowed="a learning rate above 0 and at most 100")
        for name in ("momentum", "beta1", "beta2", "alpha"):
            value = getattr(r, name)
            if not (math.isfinite(value) and 0 <= value < 1):
                raise RaceError(f"{r.label}: {name} {value}", allowed=f"{name} in [0, 1)")
        if not (math.isfinite(r.weight_decay) and 0 <= r.weight_decay <= 1):
            raise RaceError(f"{r.label}: weight decay {r.weight_decay}",
                            allowed="weight decay in [0, 1]")


def stacked_backward(surf: Surface, leaves: list[Tensor]) -> Tensor:
    """f at every leaf (a two-element tensor), its gradient left in each leaf's `.grad`:
    the leaves stacked into one (n, 2), f on its columns, one backward through the stack.
    f works element by element, so each leaf's f and gradient are bit for bit what its
    own `loss = f(xy[0], xy[1]); loss.backward()` gives (a test compares, at random points
    and over whole races), at a fraction of the cost: autograd's cost is per operation,
    not per element."""
    for leaf in leaves:
        leaf.grad = None  # what optimizer.zero_grad() does to a racer's one parameter
    xy = torch.stack(leaves)
    losses = surf.value(xy[:, 0], xy[:, 1])
    losses.sum().backward()
    return losses.detach()


class _Runner:
    """One racer: its parameter, its optimizer, and the closure L-BFGS steps with."""

    def __init__(self, spec: RaceSpec, racer: Racer) -> None:
        self.xy = torch.tensor(spec.start, dtype=DTYPE, requires_grad=True)
        self.opt = optimizers.build(racer.key, [self.xy], racer.lr, **torch_kwargs(racer))
        self.f = spec.surf.value
        self.slots = tuple(name for name, _ in STATE[racer.key])
        self.searches = racer.key == "lbfgs"  # its line search calls f again within a step
        self.seen: tuple[Tensor, Tensor] | None = None

    def closure(self) -> Tensor:
        """The page's code's closure, for L-BFGS, whose line search calls it again: zero
        the gradient (`grad = None` is what `optimizer.zero_grad()` does to our one
        parameter), f, backward. The first call of a step, f and its gradient where the
        step starts, is kept."""
        self.xy.grad = None
        loss = self.f(self.xy[0], self.xy[1])
        loss.backward()
        if self.seen is None:
            self.seen = (loss, self.xy.grad)  # type: ignore[assignment]
        return loss

    def search(self) -> tuple[Tensor, Tensor]:
        """One optimizer.step(closure); returns f and its gradient where it started."""
        self.seen = None
        self.opt.step(self.closure)
        seen, self.seen = self.seen, None
        return seen  # type: ignore[return-value]


class Race:
    """A race that grows: `advance` steps every racer still on the map, and every array
    row up to `frontier` is final. Rows past it are NaN until computed.

    Row t holds the position after t steps, f and the gradient there, and the optimizer's
    state after step t. A racer whose position becomes NaN, infinite or leaves the big
    box (the code's own test) has diverged at that step; its rows from there stay NaN.

    Not thread-safe: whoever shares a race serialises `advance` (readers may read rows up
    to the `frontier` they saw, which never change again)."""

    def __init__(self, spec: RaceSpec) -> None:
        check(spec)
        self.spec = spec
        n, s = len(spec.racers), spec.steps
        self.paths = np.full((s + 1, n, 2), np.nan, dtype=np.float32)
        self.losses = np.full((s + 1, n), np.nan, dtype=np.float32)
        self.grads = np.full((s + 1, n, 2), np.nan, dtype=np.float32)
        self.state = np.full((s + 1, n, 2, 2), np.nan, dtype=np.float32)
        self.diverged_at: list[int | None] = [None] * n
        self._runners = [_Runner(spec, r) for r in spec.racers]
        for i, run in enumerate(self._runners):
            self.paths[0, i] = run.xy.detach().numpy()
        self._look(0, list(range(n)))
        self.frontier = 0
        self.seconds = 0.0  # spent in `advance`, and the optimizer steps it took
        self.racer_steps = 0

    @property
    def steps(self) -> int:
        return self.spec.steps

    @property
    def racers(self) -> tuple[Racer, ...]:
        return self.spec.racers

    @property
    def complete(self) -> bool:
        return self.frontier >= self.spec.steps

    def at(self, i: int, frame: int) -> int:
        """The row racer i shows at `frame`: the frame, or its last step before diverging."""
        k = self.diverged_at[i]
        return frame if k is None or frame < k else k - 1

    def diverged_by(self, i: int, frame: int) -> bool:
        k = self.diverged_at[i]
        return k is not None and k <= frame

    def _look(self, t: int, alive: list[int]) -> None:
        """Row t's f and gradient for the racers in `alive`, in one stacked evaluation."""
        if not alive:
            return
        runs = [self._runners[i] for i in alive]
        self.losses[t, alive] = stacked_backward(self.spec.surf, [r.xy for r in runs]).numpy()
        for i, run in zip(alive, runs, strict=True):
            self.grads[t, i] = run.xy.grad.numpy()  # type: ignore[union-attr]

    def advance(self, upto: int, budget_s: float | None = None) -> int:
        """Compute steps until `upto` are done, or until `budget_s` seconds have passed
        (checked after each step of every racer); returns the new frontier."""
        upto = min(upto, self.spec.steps)
        began = time.perf_counter()
        deadline = None if budget_s is None else began + budget_s
        box = self.spec.surf.box
        t = self.frontier
        while t < upto:
            alive = [i for i, k in enumerate(self.diverged_at) if k is None]
            if t > self.frontier:  # at the frontier, its look left every gradient in .grad
                self._look(t, [i for i in alive if not self._runners[i].searches])
            for i in alive:  # these classes call a closure once, first: step() after
                run = self._runners[i]  # the look is what step(closure) does
                if run.searches:
                    loss, grad = run.search()
                    self.losses[t, i] = loss.item()
                    self.grads[t, i] = grad.numpy()
                else:
                    run.opt.step()
            self.racer_steps += len(alive)
            t += 1
            for i in alive:
                run = self._runners[i]
                # The code's test, `not isfinite(xy).all() or xy.abs().max() > box`, on the
                # same float32 values as Python floats (exact, and ten times cheaper).
                x, y = run.xy.tolist()
                if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > box:
                    self.diverged_at[i] = t
                    continue
                self.paths[t, i] = x, y
                state = run.opt.state[run.xy]
                for j, name in enumerate(run.slots):
                    value = state.get(name)
                    if value is not None:
                        self.state[t, i, j] = value.numpy()
            if deadline is not None and time.perf_counter() > deadline:
                break
        if t > self.frontier:
            self._look(t, [i for i, k in enumerate(self.diverged_at) if k is None])
            self.frontier = t  # published last: every row up to it is written
        self.seconds += time.perf_counter() - began
        return self.frontier
