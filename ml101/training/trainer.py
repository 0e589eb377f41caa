"""A training run that advances in small chunks, so a page can train live without blocking.

One `Trainer` per learner (the page keeps it in `st.session_state`). It owns the data
split, model, optimizer and every number the page shows: per-epoch history, a snapshot
of the weights per epoch (thinned when memory runs short) for rewinding, early stopping
with patience and the best weights, and a diagnosis when the loss stops being a number.

Each epoch gathers the shuffled training set once (`X[order]`) and cuts it into batches
that are views (`.split(batch_size)`), instead of a DataLoader calling `__getitem__` once
per sample and collating: on small tabular data that overhead, not the maths, is most of
the lesson loop's time. The optimizer runs fused or foreach (`config.optimizer_kwargs`),
and for Adam and AdamW the step calls the fused kernel directly (`lean_step`); see
benches/trainer_vs_lesson.py.

Randomness: data from the dataset's private generator, split and shuffling from a
second private generator (seed + 1), weights and dropout from torch's global RNG,
which this run saves and restores around every chunk under `runtime.seeded`'s lock,
so the numbers match a plain script that starts with `torch.manual_seed(seed)`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ml101 import runtime
from ml101.datasets import make_dataset
from ml101.losses import make_loss, predict, targets_for
from ml101.models import build_model
from ml101.own_data import standardizer
from ml101.runtime import check_budget, seeded
from ml101.training.config import RunConfig, build_optimizer, check_config, run_split
from ml101.training.lean_step import LeanStep, forward_fn

# Seconds of training per live tick: long enough that redrawing the charts stays a small
# share of each tick, short enough that the page feels live.
LIVE_CHUNK_S = 0.5
TICK_S = 0.5  # how often the live page redraws while playing
SPEED_OPTIONS = [1, 2, 5, 10, 25, 50, 100]  # epochs per tick the page offers
SNAPSHOT_BYTES = 8 * 2**20  # per run; past this, every other snapshot is dropped


@dataclass
class Problem:
    """Why training paused by itself: the step, the tensor, and what it means."""

    kind: str  # "nan" | "error"
    step: int
    tensor: str
    message: str


@dataclass
class Epoch:
    epoch: int
    train_loss: float
    val_loss: float
    val_acc: float
    grad_norm: float  # norm of the .grad the last step of the epoch used
    val_loss_eval: float | None = None  # the honest eval-mode figure, for the no_eval bug
    val_recall: tuple[float | None, ...] = ()  # per true class; None for an absent class


@dataclass
class Restored:
    epoch: int
    val_loss_before: float
    val_loss_after: float
    val_acc_before: float
    val_acc_after: float


@dataclass(frozen=True)
class Units:
    """The first hidden layer's ReLUs, judged on every training input."""

    dead: int  # negative on every input: output 0 and gradient 0, so SGD never moves it
    straight: int  # positive on every input: there a ReLU is just a straight line
    bending: int  # on for some inputs and off for others: where the network can bend

    @property
    def total(self) -> int:
        return self.dead + self.straight + self.bending


class Trainer:
    """One learner's run: data, model, optimizer, history, snapshots, early stopping."""

    def __init__(self, cfg: RunConfig) -> None:
        check_config(cfg)
        self.cfg = cfg
        self.spec = cfg.spec()
        ds = (cfg.own.dataset() if cfg.own is not None else
              make_dataset(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed, cfg.n_classes))
        n_train, n_val = run_split(len(ds), cfg.val_fraction)
        if cfg.batch_size > n_train:
            raise ValueError(f"batch size {cfg.batch_size} is larger than the {n_train} "
                             "training samples; pick at most that")
        self._shuffle = runtime.generator(cfg.seed + 1)
        perm = torch.randperm(len(ds), generator=self._shuffle)
        tr, va = perm[:n_train], (perm[n_train:] if n_val else perm[:n_train])
        y = targets_for(cfg.loss, cfg.n_classes, ds.y)
        # the points as they are (the pictures draw these) and as the model sees them
        self.raw_train, self.raw_val = ds.X[tr], ds.X[va]
        self.X_train, self.y_train = self.raw_train, y[tr]
        self.X_val, self.y_val = self.raw_val, y[va]
        self.scaling: tuple[torch.Tensor, torch.Tensor] | None = None
        if cfg.standardize:
            self.scaling = mean, std = standardizer(self.X_train)
            self.X_train, self.X_val = (self.X_train - mean) / std, (self.X_val - mean) / std
        self.labels_val = ds.y.reshape(-1).long()[va]
        self.n_train, self.n_val = n_train, len(va)
        self._val_counts = torch.bincount(self.labels_val, minlength=cfg.n_classes).tolist()
        with seeded(cfg.seed):
            self.model = build_model(self.spec)
            self._rng = torch.random.get_rng_state()
        self._needs_rng = cfg.dropout > 0
        self.criterion = (nn.BCELoss() if cfg.bug == "logits_to_bce" else make_loss(cfg.loss))
        self.optimizer = build_optimizer(cfg.optimizer, self.model.parameters(), cfg.lr,
                                        cfg.weight_decay)
        self._forward = forward_fn(self.model)
        self._step = LeanStep(self.optimizer)
        self.epoch = 0
        self.iteration = 0
        self.history: list[Epoch] = []
        self.best_epoch = 0
        self.best_val_loss = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.wait = 0
        self.finished: str | None = None  # "early_stop" | "max_epochs" | "problem"
        self.problem: Problem | None = None
        self.restored: Restored | None = None
        self._snap_bytes = sum(t.numel() * t.element_size()
                               for t in self.model.state_dict().values())
        check_budget(self._snap_bytes * 4, "One snapshot of this network's weights")
        self.snapshot_stride = 1
        self.snapshots: dict[int, dict[str, torch.Tensor]] = {0: self._state_copy()}

    # --- state ---------------------------------------------------------------------------

    def _state_copy(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def _snapshot(self) -> None:
        if self.epoch % self.snapshot_stride:
            return
        self.snapshots[self.epoch] = self._state_copy()
        while len(self.snapshots) * self._snap_bytes > SNAPSHOT_BYTES:
            self.snapshot_stride *= 2
            self.snapshots = {e: s for e, s in self.snapshots.items()
                              if e % self.snapshot_stride == 0}

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def epochs_left_before_stop(self) -> int | None:
        """The early-stopping countdown: epochs without improvement still allowed."""
        return None if not self.cfg.patience else self.cfg.patience - self.wait

    # --- training ------------------------------------------------------------------------

    def run(self, max_epochs: int, time_budget_s: float | None = None) -> int:
        """Train up to `max_epochs` more epochs (fewer if the time budget runs out or the
        run finishes); returns how many were done. Safe to call on a finished run."""
        done = 0
        start = time.perf_counter()
        with seeded(self.cfg.seed) if self._needs_rng else nullcontext():
            if self._needs_rng:
                torch.random.set_rng_state(self._rng)
            while done < max_epochs and not self.done:
                self._one_epoch()
                done += 1
                if time_budget_s is not None and time.perf_counter() - start > time_budget_s:
                    break
            if self._needs_rng:
                self._rng = torch.random.get_rng_state()
        return done

    def _one_epoch(self) -> None:
        m, lean, forward, crit = self.model, self._step, self._forward, self.criterion
        bs, n = self.cfg.batch_size, self.n_train
        forget_zero_grad = self.cfg.bug == "no_zero_grad"
        min_rows = 2 if self.cfg.batch_norm else 1
        m.train()
        order = torch.randperm(n, generator=self._shuffle)
        # One gather per epoch; the batches are then views into it (no copy, no collate).
        batches = zip(self.X_train[order].split(bs), self.y_train[order].split(bs),
                      strict=True)
        total = 0.0
        step = self.iteration
        for xb, yb in batches:
            rows = len(xb)
            if rows < min_rows:
                continue  # BatchNorm cannot normalise a batch of one row in training mode
            try:
                loss = crit(forward(xb), yb)
            except RuntimeError as exc:
                self.iteration = step
                self._stop(Problem("error", step + 1, "loss", _explain_error(exc)))
                return
            value = loss.item()  # on CPU a plain read, no device sync; catches NaN at once
            if not math.isfinite(value):
                self.iteration = step
                self._stop(self._diagnose(xb, value))
                return
            if not forget_zero_grad:
                lean.zero_grad()
            loss.backward()
            lean.step()
            total += value * rows
            step += 1
        self.iteration = step
        self.epoch += 1
        grad_norm = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in m.parameters()
                                  if p.grad is not None))
        val_loss, val_acc, recall = self._validate(honest=self.cfg.bug != "no_eval")
        honest = self._validate(honest=True)[0] if self.cfg.bug == "no_eval" else None
        self.history.append(Epoch(self.epoch, total / n, val_loss, val_acc, grad_norm, honest,
                                  recall))
        self._snapshot()
        if not math.isfinite(val_loss):
            self._stop(Problem("nan", self.iteration, "validation loss",
                               f"the validation loss became {val_loss} at epoch {self.epoch}"))
            return
        if val_loss < self.best_val_loss:
            self.best_val_loss, self.best_epoch, self.wait = val_loss, self.epoch, 0
            # The snapshot just taken is this epoch's weights: share it, never mutated.
            self.best_state = self.snapshots.get(self.epoch) or self._state_copy()
        else:
            self.wait += 1
            if self.cfg.patience and self.wait >= self.cfg.patience:
                self._finish("early_stop")
                return
        if self.epoch >= self.cfg.epochs:
            self._finish("max_epochs")

    def _finish(self, why: str) -> None:
        self.finished = why
        if self.cfg.restore_best:
            self.restore_best()

    def _validate(self, honest: bool = True, model: nn.Module | None = None
                  ) -> tuple[float, float, tuple[float | None, ...]]:
        """Validation loss, accuracy and recall per true class."""
        m = model or self.model
        was_training = m.training
        if honest:
            m.eval()
        with torch.inference_mode():
            out = (self._forward if model is None else m)(self.X_val)
            loss = self.criterion(out, self.y_val).item()
            right = predict(out, self.spec.sigmoid_head) == self.labels_val
        m.train(was_training)
        k = self.cfg.n_classes
        hits = torch.bincount(self.labels_val[right], minlength=k).tolist()
        recall = tuple(h / c if c else None for h, c in zip(hits, self._val_counts, strict=True))
        return loss, right.float().mean().item(), recall

    def _stop(self, problem: Problem) -> None:
        self.problem = problem
        self.finished = "problem"

    def _diagnose(self, xb: torch.Tensor, value: float) -> Problem:
        """Name the first tensor that stopped being a finite number, and why."""
        step = self.iteration + 1
        biggest = max(((n, float(p.grad.abs().max())) for n, p in self.model.named_parameters()
                       if p.grad is not None), key=lambda t: t[1], default=None)
        for name, p in self.model.named_parameters():
            if not torch.isfinite(p).all():
                grad_note = (f" The largest gradient of the previous step was "
                             f"{biggest[1]:.3g} (in {biggest[0]})." if biggest else "")
                return Problem("nan", step, f"parameter {name}",
                               f"At step {step} the loss came out {value}. The first broken "
                               f"tensor is the parameter `{name}`: the update of step "
                               f"{step - 1} left it holding inf/NaN.{grad_note} The learning "
                               "rate is too large: each step overshoots, the weights grow "
                               "without bound and overflow float32.")
        x = xb
        with torch.no_grad():
            for i, layer in enumerate(self.model.network):
                x = layer(x)
                if not torch.isfinite(x).all():
                    return Problem("nan", step, f"output of network.{i} ({type(layer).__name__})",
                                   f"At step {step} the loss came out {value}: the output of "
                                   f"layer network.{i} ({type(layer).__name__}) overflowed "
                                   "although every weight is finite. The weights have grown "
                                   "huge: lower the learning rate.")
        return Problem("nan", step, "loss",
                       f"At step {step} the loss itself came out {value} from finite scores: "
                       "the scores are so large the loss overflowed. Lower the learning rate.")

    # --- after training ------------------------------------------------------------------

    def inputs(self, raw: torch.Tensor) -> torch.Tensor:
        """Points as they are, turned into what the model takes (standardised, if the run
        standardises): how a picture asks the model about any place on the plane."""
        if self.scaling is None:
            return raw
        mean, std = self.scaling
        return (raw - mean) / std

    def restore_best(self) -> Restored | None:
        """Load the best epoch's weights (the lesson saves them but never loads them back)
        and measure what that gains on validation."""
        if self.best_state is None or self.restored is not None:
            return self.restored
        before = self._validate()[:2]
        self.model.load_state_dict(self.best_state)
        after = self._validate()[:2]
        self.restored = Restored(self.best_epoch, before[0], after[0], before[1], after[1])
        return self.restored

    def snapshot_epoch(self, epoch: int) -> int:
        """The latest kept snapshot at or before `epoch`."""
        return max(e for e in self.snapshots if e <= epoch)

    def model_at(self, epoch: int) -> nn.Module:
        """A copy of the network holding the weights of (the snapshot nearest) `epoch`."""
        m = copy.deepcopy(self.model)
        m.load_state_dict(self.snapshots[self.snapshot_epoch(epoch)])
        return m.eval()

    def evaluate_at(self, epoch: int) -> tuple[float, float]:
        """Validation loss and accuracy of the snapshot shown for `epoch` (eval mode)."""
        loss, acc, _ = self._validate(model=self.model_at(epoch))
        return loss, acc

    @property
    def val_class_counts(self) -> list[int]:
        """Validation samples per true class."""
        return list(self._val_counts)

    def relu_units(self) -> Units | None:
        """How the first hidden layer's ReLUs sit on the training inputs, if it has ReLUs.

        A unit that is off for every input is dead: it passes no gradient back, so its
        weights stop changing. A unit that is on for every input is a plain line there.
        A one-hidden-layer network with no bending unit is a linear model on this data."""
        if self.cfg.activation != "ReLU" or not self.cfg.hidden:
            return None
        layers = list(self.model.network)  # Linear, (BatchNorm1d), ReLU, ...
        first = next(i for i, m in enumerate(layers) if isinstance(m, nn.ReLU))
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            z = nn.Sequential(*layers[:first])(self.X_train)
        self.model.train(was_training)
        on = z > 0
        dead = int((~on).all(0).sum())
        straight = int(on.all(0).sum())
        return Units(dead, straight, z.shape[1] - dead - straight)

    def confusion(self, model: nn.Module | None = None) -> list[list[int]]:
        """Validation confusion matrix: rows are true classes, columns predictions."""
        m = model or self.model
        was_training = m.training
        m.eval()
        with torch.no_grad():
            pred = predict(m(self.X_val), self.spec.sigmoid_head)
        m.train(was_training)
        k = self.cfg.n_classes
        flat = torch.bincount(self.labels_val * k + pred, minlength=k * k)
        return flat.reshape(k, k).tolist()

    def fresh_grad_norm(self) -> float:
        """Norm of one clean gradient on the training set (no accumulation, eval mode);
        what `.grad` would hold had zero_grad been called. Leaves `.grad` untouched."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        was_training = self.model.training
        self.model.eval()
        loss = self.criterion(self.model(self.X_train), self.y_train)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        self.model.train(was_training)
        return math.sqrt(sum(float(g.pow(2).sum()) for g in grads if g is not None))

    def history_columns(self) -> dict[str, list[Any]]:
        return {"epoch": [h.epoch for h in self.history],
                "train_loss": [h.train_loss for h in self.history],
                "val_loss": [h.val_loss for h in self.history],
                "val_acc": [h.val_acc for h in self.history],
                "grad_norm": [h.grad_norm for h in self.history],
                "val_recall": [list(h.val_recall) for h in self.history]}

    # --- checkpoints ---------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to resume exactly: plain containers and tensors only, so it
        loads with `torch.load(..., weights_only=True)`."""
        return {
            "format": "ml101-checkpoint-v1",
            "config": self.cfg.to_dict(),
            "epoch": self.epoch,
            "iteration": self.iteration,
            "model_state_dict": self.model.state_dict(),
            "optimizer_state_dict": self.optimizer.state_dict(),
            "history": self.history_columns(),
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "best_model_state_dict": self.best_state or {},
            "wait": self.wait,
            "rng_state": self._rng,
            "shuffle_rng_state": self._shuffle.get_state(),
        }

    @classmethod
    def from_checkpoint(cls, ck: dict[str, Any]) -> Trainer:
        """Rebuild a run from `checkpoint()` output and carry on where it stopped."""
        t = cls(RunConfig.from_dict(ck["config"]))
        t.model.load_state_dict(ck["model_state_dict"])
        t.optimizer.load_state_dict(ck["optimizer_state_dict"])
        t.epoch, t.iteration = int(ck["epoch"]), int(ck["iteration"])
        h = ck["history"]
        recalls = h.get("val_recall") or [()] * len(h["epoch"])  # older checkpoints lack it
        t.history = [Epoch(int(e), a, b, c, d, None, tuple(r)) for e, a, b, c, d, r in
                     zip(h["epoch"], h["train_loss"], h["val_loss"], h["val_acc"],
                         h["grad_norm"], recalls, strict=True)]
        t.best_epoch, t.best_val_loss = int(ck["best_epoch"]), float(ck["best_val_loss"])
        t.best_state = dict(ck["best_model_state_dict"]) or None
        t.wait = int(ck["wait"])
        t._rng = ck["rng_state"]
        t._shuffle.set_state(ck["shuffle_rng_state"])
        t.snapshots = {t.epoch: t._state_copy()}
        if t.epoch >= t.cfg.epochs:
            t.finished = "max_epochs"
        elif t.cfg.patience and t.wait >= t.cfg.patience:
            t.finished = "early_stop"
        return t


def train_together(trainers: Sequence[Trainer], epochs: int,
                   time_budget_s: float | None = None, wait_s: float = 0.0) -> bool | None:
    """Train side-by-side runs up to `epochs` more epochs in lockstep (so they stay at the
    same epoch), inside one of the server's heavy-work slots and within the time budget.
    Returns whether every run is done, or None when no slot freed within `wait_s`."""
    with runtime.heavy_slot(wait_s=wait_s) as got:
        if not got:
            return None
        start = time.perf_counter()
        for _ in range(epochs):
            if all(t.done for t in trainers):
                break
            for t in trainers:
                t.run(1)
            if time_budget_s is not None and time.perf_counter() - start > time_budget_s:
                break
    return all(t.done for t in trainers)


def _explain_error(exc: RuntimeError) -> str:
    text = str(exc).splitlines()[0]
    if "between 0 and 1" in text:
        return ("nn.BCELoss expects probabilities in [0, 1], but the model's last layer is "
                "a plain nn.Linear, whose raw scores (logits) range over all numbers. PyTorch "
                f"refused: \"{text}\". Fix: end the model with nn.Sigmoid(), or better, keep "
                "the raw scores and use nn.BCEWithLogitsLoss, which applies the sigmoid inside "
                "the loss in a numerically safe way.")
    return f"PyTorch stopped the step: {text}"
