"""Race torch.optim optimizers across a 2-D loss surface, fast enough to redraw instantly.

Two engines compute the same race:

- `reference_run` drives the real `torch.optim` class on a two-element parameter with
  autograd, exactly like the generated code. It is the ground truth, and it runs L-BFGS
  (whose line search is not elementwise).
- `race` runs every elementwise optimizer at once: all racers' positions sit in one flat
  float32 NumPy array, the surface's gradient comes in closed form for all of them
  together, and each optimizer family applies torch.optim's own update rule (same
  formulas, same defaults, float32 arithmetic) to its rows with per-row hyperparameters.
  One Python step then costs about fifty microsecond-sized NumPy calls for the whole race
  instead of one `optimizer.step()` (hundreds of µs with autograd) per racer. Tests check
  it against `reference_run` for every optimizer on every surface; they agree to float32
  rounding, which chaotic paths (large rates) can amplify over many steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from ml101 import optimizers
from ml101.optim.surfaces import SURFACES, Pair, Surface
from ml101.optimizers import OPTIMIZERS, OptimizerInfo

MAX_STEPS = 5000
LR_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
TUNE_STEPS_CAP = 1000
DTYPE = torch.float32


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
class RaceResult:
    surface: str
    racers: tuple[Racer, ...]
    steps: int
    paths: np.ndarray  # (steps+1, R, 2) float32; NaN from the divergence step on
    losses: np.ndarray  # (steps+1, R) f at each position
    grads: np.ndarray  # (steps+1, R, 2) gradient at each position
    state: np.ndarray  # (steps+1, R, 2, 2) optimizer state after each step (see STATE_NAMES)
    diverged_at: tuple[int | None, ...]
    # Tables derived for drawing, built once per result (the result itself never changes).
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def final_index(self, i: int) -> int:
        """Last step with a valid position for racer i."""
        k = self.diverged_at[i]
        return self.steps if k is None else k - 1


# What the two state slots hold, per optimizer (None: unused).
STATE_NAMES: dict[str, tuple[str | None, str | None]] = {
    "sgd": (None, None),
    "momentum": ("momentum buffer", None),
    "nesterov": ("momentum buffer", None),
    "adam": ("m (1st moment)", "v (2nd moment)"),
    "adamw": ("m (1st moment)", "v (2nd moment)"),
    "nadam": ("m (1st moment)", "v (2nd moment)"),
    "rmsprop": ("v (mean square)", "momentum buffer"),
    "adagrad": ("sum of squares", None),
    "lbfgs": (None, None),
}


F32 = np.float32


def _col(values: object) -> np.ndarray:
    """Per-row scalars, each repeated for x and y, as float32 (2n,): Python floats are
    rounded to float32 the way torch casts them."""
    return np.repeat(np.asarray(values, dtype=np.float64).astype(F32), 2)


def _table(values: np.ndarray) -> np.ndarray:
    """Per-step, per-row scalars (steps, n) computed in float64 like Python floats, as
    float32 (steps, 2n): row t-1 holds step t's numbers."""
    return np.repeat(values.astype(F32), 2, axis=1)


def _lerp(m: np.ndarray, g: np.ndarray, w: np.ndarray, high: np.ndarray | None) -> None:
    """m.lerp_(g, w) in place, with torch's two formulas (it switches at w = 0.5)."""
    if high is None:
        m += (g - m) * w
    else:
        d = g - m
        m[:] = np.where(high, g - d * (1 - w), m + w * d)


class _Family:
    """Rows [a, b) of the race that share one torch.optim update rule.

    p, s0 and s1 are contiguous float32 (2 * rows,) views (x, y interleaved) into the
    race's working buffer, and every per-row constant is stored the same way, so each
    operation of `step` is one flat NumPy call of about a microsecond on arrays this
    small (a torch op, or NumPy broadcasting, costs several)."""

    def __init__(self, racers: list[Racer], p: np.ndarray, s0: np.ndarray, s1: np.ndarray,
                 steps: int) -> None:
        self.r = racers
        self.p = p
        self.s0 = s0
        self.s1 = s1
        self.lr = _col([r.lr for r in racers])
        self.setup(steps)

    def setup(self, steps: int) -> None:  # per-step tables
        return

    def step(self, t: int, g: np.ndarray) -> None:
        raise NotImplementedError


class _SGD(_Family):
    """SGD, with momentum, and Nesterov (its rows come last: `_order` sorts them so)."""

    def setup(self, steps: int) -> None:
        self.mom = _col([r.momentum for r in self.r])
        self.any_mom = any(r.momentum for r in self.r)
        k = 2 * sum(r.key != "nesterov" for r in self.r)
        self.k = k
        self.neg_lr = -self.lr
        self.nest_mom = self.mom[k:]

    def step(self, t: int, g: np.ndarray) -> None:
        if not self.any_mom:
            self.p += g * self.neg_lr
            return
        buf, k = self.s0, self.k
        if t == 1:
            buf[:] = g
        else:
            buf *= self.mom
            buf += g
        if k:
            self.p[:k] += buf[:k] * self.neg_lr[:k]
        if k < len(buf):
            self.p[k:] += (g[k:] + buf[k:] * self.nest_mom) * self.neg_lr[k:]


class _Adaptive(_Family):
    """Adam, AdamW, RMSprop (without momentum) and Adagrad share one rule shape:
    v = b2*v + (1-b2)*g*g;  p += (a_t*m + c*g) / (sqrt(v)/s_t + eps).
    Adam: a_t = -lr/(1-b1^t), c = 0, s_t = sqrt(1-b2^t). RMSprop: b2 = alpha, a_t = 0,
    c = -lr, s_t = 1. Adagrad: b2 = 1 (so v sums g*g), a_t = 0, c = -lr, s_t = 1, eps 1e-10.
    The zero terms are exact, so each row gets its own optimizer's numbers."""

    def setup(self, steps: int) -> None:
        adam = np.array([r.key in ("adam", "adamw") for r in self.r])
        b1 = np.array([r.beta1 for r in self.r])
        b2 = np.array([r.beta2 if r.key in ("adam", "adamw") else
                       r.alpha if r.key == "rmsprop" else 1.0 for r in self.r])
        lr = np.array([r.lr for r in self.r])
        t = np.arange(1, steps + 1, dtype=np.float64)[:, None]
        self.a = _table(np.where(adam, -(lr / (1 - b1**t)), 0.0))
        self.scale = _table(np.where(adam, np.sqrt(1 - b2**t), 1.0))
        self.c = _col(np.where(adam, 0.0, -lr))
        self.w1 = _col(np.where(adam, 1 - b1, 0.0))  # other rows keep m = 0
        self.high = (self.w1 >= 0.5) if (self.w1 >= 0.5).any() else None
        self.b2 = _col(b2)
        self.w2 = _col(np.where(b2 == 1.0, 1.0, 1 - b2))
        self.eps = _col([1e-10 if r.key == "adagrad" else 1e-8 for r in self.r])
        self.any_adam = bool(adam.any())
        self.any_plain = not adam.all()
        wd = [r.weight_decay if r.key == "adamw" else 0.0 for r in self.r]
        self.decay = _col([1 - r.lr * w for r, w in zip(self.r, wd, strict=True)])
        self.any_wd = any(wd)

    def step(self, t: int, g: np.ndarray) -> None:
        if self.any_wd:
            self.p *= self.decay
        m, v = self.s1, self.s0
        v *= self.b2
        v += (g * self.w2) * g
        denom = np.sqrt(v)
        denom /= self.scale[t - 1]
        denom += self.eps
        if self.any_adam:
            _lerp(m, g, self.w1, self.high)
            num = m * self.a[t - 1]
            if self.any_plain:
                num += g * self.c
        else:
            num = g * self.c
        num /= denom
        self.p += num


class _NAdam(_Family):
    def setup(self, steps: int) -> None:
        b1 = np.array([r.beta1 for r in self.r])
        b2 = np.array([r.beta2 for r in self.r])
        lr = np.array([r.lr for r in self.r])
        t = np.arange(1, steps + 2, dtype=np.float64)[:, None]
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * 4e-3))  # torch's momentum_decay = 4e-3
        # torch keeps the running product of mu in a float32 tensor
        prod = np.empty_like(mu, dtype=np.float32)
        acc = np.ones(len(self.r), dtype=np.float32)
        for k in range(steps + 1):
            acc = (acc * mu[k].astype(np.float32)).astype(np.float32)
            prod[k] = acc
        prod64 = prod.astype(np.float64)
        self.c_grad = _table(-lr * (1.0 - mu[:-1]) / (1.0 - prod64[:-1]))
        self.c_m = _table((-lr * mu[1:]) / (1.0 - prod64[:-1] * mu[1:]))
        self.bc2 = _table(1 - b2 ** t[:-1])
        self.w1 = _col(1 - b1)
        self.high = (self.w1 >= 0.5) if (self.w1 >= 0.5).any() else None
        self.b2 = _col(b2)
        self.w2 = _col(1 - b2)
        self.eps = _col([1e-8] * len(self.r))

    def step(self, t: int, g: np.ndarray) -> None:
        m, v = self.s0, self.s1
        _lerp(m, g, self.w1, self.high)
        v *= self.b2
        v += (g * self.w2) * g
        denom = np.sqrt(v / self.bc2[t - 1])
        denom += self.eps
        self.p += (g * self.c_grad[t - 1]) / denom
        self.p += (m * self.c_m[t - 1]) / denom


class _RMSprop(_Family):
    """RMSprop with momentum: its buffer accumulates g / (sqrt(v) + eps)."""

    def setup(self, steps: int) -> None:
        self.a = _col([r.alpha for r in self.r])
        self.w = _col([1 - r.alpha for r in self.r])
        self.mom = _col([r.momentum for r in self.r])
        self.neg_lr = -self.lr
        self.eps = _col([1e-8] * len(self.r))

    def step(self, t: int, g: np.ndarray) -> None:
        v, buf = self.s0, self.s1
        v *= self.a
        v += (g * self.w) * g
        avg = np.sqrt(v)
        avg += self.eps
        buf *= self.mom
        buf += g / avg
        self.p += buf * self.neg_lr


_FAMILY: dict[str, type[_Family]] = {
    "sgd": _SGD, "momentum": _SGD, "nesterov": _SGD, "adam": _Adaptive, "adamw": _Adaptive,
    "nadam": _NAdam, "rmsprop": _Adaptive, "adagrad": _Adaptive,
}
_FAMILY_ORDER = (_SGD, _Adaptive, _RMSprop, _NAdam)


def _family(r: Racer) -> type[_Family]:
    return _RMSprop if r.key == "rmsprop" and r.momentum > 0 else _FAMILY[r.key]


def _check(surface: str, racers: tuple[Racer, ...], steps: int) -> Surface:
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose one of {', '.join(SURFACES)}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    if not racers:
        raise ValueError("choose at least one optimizer")
    for r in racers:
        if r.key not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {r.key!r}")
        if not (0 < r.lr <= 100 and math.isfinite(r.lr)):
            raise ValueError(f"{r.label}: learning rate must be in (0, 100], got {r.lr}")
        for name in ("momentum", "beta1", "beta2", "alpha"):
            if not 0 <= getattr(r, name) < 1:
                raise ValueError(f"{r.label}: {name} must be in [0, 1)")
        if not 0 <= r.weight_decay <= 1:
            raise ValueError(f"{r.label}: weight decay must be in [0, 1]")
    return SURFACES[surface]


def _first_divergence(path: np.ndarray, box: float) -> np.ndarray:
    """Per racer, the first step whose position is NaN/inf or outside the box (-1: never)."""
    bad = ~np.isfinite(path).all(-1) | (np.abs(np.nan_to_num(path, nan=np.inf)) > box).any(-1)
    first = bad.argmax(0)
    return np.where(bad.any(0), first, -1)


def _vectorised(surf: Surface, racers: list[Racer], start: Pair, steps: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paths, gradients and state of elementwise racers, all rows stepped together."""
    order = sorted(range(len(racers)), key=lambda i: (
        _FAMILY_ORDER.index(_family(racers[i])), racers[i].key == "nesterov"))
    n = len(racers)
    # One buffer holds everything a step changes: position, gradient and two state slots,
    # each a flat (2n,) row with x and y interleaved. Recording a step is one copy.
    w = np.zeros((4, 2 * n), dtype=F32)
    w[0] = np.tile(np.asarray(start, dtype=F32), n)
    p, g, s0, s1 = w
    hist = np.empty((steps + 2, 4, 2 * n), dtype=F32)
    rows: list[tuple[_Family, np.ndarray]] = []
    a = 0
    while a < n:
        fam = _family(racers[order[a]])
        b = a
        while b < n and _family(racers[order[b]]) is fam:
            b += 1
        cut = slice(2 * a, 2 * b)
        rows.append((fam([racers[order[i]] for i in range(a, b)], p[cut], s0[cut], s1[cut],
                         steps), g[cut]))
        a = b
    x, y, gx, gy = p[0::2], p[1::2], g[0::2], g[1::2]
    grad = surf.grad
    hist[0] = w
    with np.errstate(all="ignore"):  # a diverging racer overflows; it is cut off later
        for t in range(1, steps + 1):
            gx[:], gy[:] = grad(x, y)
            for fam_obj, g_rows in rows:
                fam_obj.step(t, g_rows)
            hist[t] = w
        gx[:], gy[:] = grad(x, y)
        hist[steps + 1] = w
    h = hist.reshape(steps + 2, 4, n, 2)[:, :, np.argsort(order)]
    # row t holds the position after step t and the gradient that step used (at t-1)
    return h[:-1, 0], h[1:, 1], h[:-1, 2:].transpose(0, 2, 1, 3)


def reference_run(surface: str, racer: Racer, start: Pair, steps: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The real torch.optim class with autograd, as in the generated code.

    Returns positions (steps+1, 2), gradients at them (closed form, for the state view)
    and f at them. Stops at divergence (the rest stays NaN)."""
    surf = _check(surface, (racer,), steps)
    path = np.full((steps + 1, 2), np.nan, dtype=np.float32)
    x = torch.tensor(start, dtype=DTYPE, requires_grad=True)
    opt = optimizers.build(racer.key, [x], racer.lr, **torch_kwargs(racer))

    def closure() -> Tensor:
        opt.zero_grad()
        loss = surf.value(x[0], x[1])
        loss.backward()
        return loss

    path[0] = x.detach().numpy()
    for t in range(1, steps + 1):
        opt.step(closure)
        pos = x.detach().numpy()
        path[t] = pos
        if not np.isfinite(pos).all() or np.abs(pos).max() > surf.box:
            break
        if racer.key == "lbfgs" and (path[t] == path[t - 1]).all():
            # L-BFGS has stopped (converged, or its line search finds no descent):
            # from the same point and history it makes the same non-move every step.
            path[t + 1:] = pos
            break
    with torch.no_grad():
        pt = torch.from_numpy(path)
        grads = torch.stack(surf.grad(pt[:, 0], pt[:, 1]), 1).numpy()
    with torch.no_grad():
        pt = torch.from_numpy(path)
        losses = surf.value(pt[:, 0], pt[:, 1]).numpy()
    return path, grads, losses


@lru_cache(maxsize=64)
def race(surface: str, racers: tuple[Racer, ...], start: Pair, steps: int) -> RaceResult:
    """Run every racer for `steps` steps from `start`; cached, so reruns are free.

    A racer that produces NaN/inf or leaves the big box stops there (diverged_at = that
    step); the others go on."""
    surf = _check(surface, racers, steps)
    start = (float(start[0]), float(start[1]))
    if not all(math.isfinite(v) for v in start):
        raise ValueError("the start point must be finite")
    n = len(racers)
    paths = np.empty((steps + 1, n, 2), dtype=np.float32)
    grads = np.empty((steps + 1, n, 2), dtype=np.float32)
    state = np.zeros((steps + 1, n, 2, 2), dtype=np.float32)
    fast = [i for i, r in enumerate(racers) if r.key in _FAMILY]
    if fast:
        p, g, s = _vectorised(surf, [racers[i] for i in fast], start, steps)
        paths[:, fast], grads[:, fast], state[:, fast] = p, g, s
    for i, r in enumerate(racers):
        if r.key not in _FAMILY:
            paths[:, i], grads[:, i], _ = reference_run(surface, r, start, steps)
    first = _first_divergence(paths, surf.box)
    diverged: list[int | None] = []
    for i in range(n):
        k = int(first[i])
        diverged.append(None if k < 0 else k)
        if k >= 0:
            paths[k:, i] = np.nan
            grads[k:, i] = np.nan
            state[k:, i] = np.nan
    with torch.no_grad():
        pt = torch.from_numpy(paths)
        losses = surf.value(pt[..., 0], pt[..., 1]).numpy()
    for arr in (paths, grads, state, losses):
        arr.setflags(write=False)
    return RaceResult(surface, racers, steps, paths, losses, grads, state, tuple(diverged))


@lru_cache(maxsize=64)
def tuned_rates(surface: str, racers: tuple[Racer, ...], start: Pair, steps: int
                ) -> tuple[float, ...]:
    """For each racer, the rate in LR_GRID with the lowest loss after the race's steps
    (at most TUNE_STEPS_CAP) from this start; diverging rates lose. L-BFGS keeps lr=1:
    its line search picks the step length."""
    n_steps = min(steps, TUNE_STEPS_CAP)
    candidates = tuple(replace(r, lr=lr) for r in racers if r.key in _FAMILY for lr in LR_GRID)
    best: list[float] = []
    res = race(surface, candidates, start, n_steps) if candidates else None
    k = 0
    for r in racers:
        if r.key not in _FAMILY:
            best.append(r.lr)
            continue
        finals = []
        for j in range(len(LR_GRID)):
            i = k + j
            f = res.losses[n_steps, i] if res.diverged_at[i] is None else np.inf
            finals.append(float(f) if np.isfinite(f) else np.inf)
        k += len(LR_GRID)
        best.append(LR_GRID[int(np.argmin(finals))])
    return tuple(best)


def steps_to_tolerance(losses: np.ndarray, tol: float) -> int | None:
    """First step at which f drops below tol (None: never)."""
    hit = np.flatnonzero(np.nan_to_num(losses, nan=np.inf) < tol)
    return int(hit[0]) if hit.size else None


def leaderboard(res: RaceResult, tol: float) -> list[dict[str, object]]:
    """One row per racer, best first: final loss, distance to the nearest minimum,
    steps to reach f < tol, divergence. Diverged racers go last."""
    surf = SURFACES[res.surface]
    rows = []
    for i, r in enumerate(res.racers):
        k = res.final_index(i)
        pos = res.paths[k, i].astype(np.float64)
        rows.append({
            "optimizer": r.label,
            "lr": r.lr,
            "final loss": float(res.losses[k, i]),
            "distance to minimum": float(surf.nearest_min_distance(pos)),
            "x": float(pos[0]),
            "y": float(pos[1]),
            "steps to tolerance": steps_to_tolerance(res.losses[:, i], tol),
            "diverged": "no" if res.diverged_at[i] is None
            else f"diverged at step {res.diverged_at[i]}",
        })
    rows.sort(key=lambda row: (row["diverged"] != "no", row["final loss"]))
    return rows


def _literal(v: object) -> str:
    return repr(v)


def generated_code(surface: str, racers: tuple[Racer, ...], start: Pair, steps: int) -> str:
    """Runnable PyTorch code for this race, with the real torch.optim classes and autograd.

    It prints each racer's final loss and position (or its divergence step); the page
    shows the same numbers."""
    surf = SURFACES[surface]
    entries = []
    for r in racers:
        kw = torch_kwargs(r)
        entries.append(f"    ({r.label!r}, torch.optim.{r.info.cls}, {r.lr!r}, "
                       f"{{{', '.join(f'{k!r}: {_literal(v)}' for k, v in kw.items())}}}),")
    need_math = "math." in surf.code
    return f'''{"import math" + chr(10) if need_math else ""}import torch


def f(x, y):
    """{surf.name}: minimum 0 at {", ".join(f"({a:g}, {b:g})" for a, b in surf.minima)}."""
    return {surf.code}


def race(optimizer_class, lr, steps={steps}, **kwargs):
    """Optimize (x, y) from the start with one optimizer; stop if it diverges."""
    xy = torch.tensor([{float(start[0])!r}, {float(start[1])!r}], requires_grad=True)
    optimizer = optimizer_class([xy], lr=lr, **kwargs)

    def closure():  # L-BFGS needs to re-evaluate f; the others call it once per step
        optimizer.zero_grad()
        loss = f(xy[0], xy[1])
        loss.backward()
        return loss

    path = [xy.detach().clone()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(xy.detach().clone())
        if not torch.isfinite(xy).all() or xy.abs().max() > {surf.box!r}:
            break  # diverged: NaN/inf or far outside the view
    return torch.stack(path)


racers = [
{chr(10).join(entries)}
]
for name, optimizer_class, lr, kwargs in racers:
    path = race(optimizer_class, lr, **kwargs)
    x, y = path[-1]
    if not torch.isfinite(path[-1]).all() or path[-1].abs().max() > {surf.box!r}:
        print(f"{{name:15}} diverged at step {{len(path) - 1}}")
    else:
        print(f"{{name:15}} final loss {{f(x, y).item():.6g}} at ({{x:.6f}}, {{y:.6f}})")
'''
