"""A training run that advances in small chunks, so a page can train live without blocking.

One `Trainer` per learner (the page keeps it in `st.session_state`). It owns the data
split, model, optimizer and every number the page shows: per-epoch history, a snapshot
of the weights per epoch (thinned when memory runs short) for rewinding, early stopping
with patience and the best weights, and a diagnosis when the loss stops being a number.

Each epoch gathers the shuffled training set once (`X[order]`) and cuts it into batches
that are views (`.split(batch_size)`), instead of a DataLoader calling `__getitem__` once
per sample and collating: on small tabular data that overhead, not the maths, is most of
the lesson loop's time. Optimizers run fused (one kernel for all parameters): on CPU
torch's default is a Python loop over them (see benches/trainer_vs_lesson.py).

Randomness: data from the dataset's private generator, split and shuffling from a
second private generator (seed + 1), weights and dropout from torch's global RNG,
which this run saves and restores around every chunk under `runtime.seeded`'s lock,
so the numbers match a plain script that starts with `torch.manual_seed(seed)`.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn, optim

from ml101 import optimizers, runtime
from ml101.datasets import DATASETS, make_dataset, split_sizes
from ml101.losses import LOSSES, check_loss, make_loss, n_outputs, predict, targets_for
from ml101.models import ModelSpec, build_model
from ml101.optimizers import OPTIMIZERS
from ml101.runtime import check_budget, seeded
from ml101.training.lean_step import LeanStep, forward_fn

# The optimizers this page trains with, as its selectbox labels them (momentum is fixed at 0.9).
TRAINING_OPTIMIZERS: dict[str, str] = {
    "sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam", "adamw": "AdamW",
    "rmsprop": "RMSprop",
}
BUGS: dict[str, str] = {
    "none": "no bug",
    "no_zero_grad": "forget optimizer.zero_grad()",
    "no_eval": "forget model.eval() during validation",
    "logits_to_bce": "feed raw scores (logits) to nn.BCELoss",
}
MAX_EPOCHS = 5000
SNAPSHOT_BYTES = 8 * 2**20  # per run; past this, every other snapshot is dropped
# Seconds of training per live tick: long enough that redrawing the charts stays a small
# share of each tick, short enough that the page feels live.
LIVE_CHUNK_S = 0.5
TICK_S = 0.5  # how often the live page redraws while playing
SPEED_OPTIONS = [1, 2, 5, 10, 25, 50, 100]  # epochs per tick the page offers


@dataclass(frozen=True)
class RunConfig:
    """Every choice that defines a run; equal configs give equal numbers."""

    dataset: str = "moons"
    n_samples: int = 160
    noise: float = 0.35
    n_classes: int = 2
    val_fraction: float = 0.5  # 0 = validate on the training data (the lesson's XOR)
    batch_size: int = 16
    hidden: tuple[int, ...] = (128, 128)
    activation: str = "ReLU"
    dropout: float = 0.0
    batch_norm: bool = False
    loss: str = "bce_logits"
    optimizer: str = "adam"
    lr: float = 0.01
    weight_decay: float = 0.0
    epochs: int = 300
    patience: int = 20  # 0 = no early stopping
    seed: int = 0
    bug: str = "none"

    def spec(self) -> ModelSpec:
        sigmoid_head = LOSSES[self.loss].sigmoid_head and self.bug != "logits_to_bce"
        return ModelSpec(DATASETS[self.dataset].n_features, self.hidden,
                         n_outputs(self.loss, self.n_classes), self.activation, self.dropout,
                         self.batch_norm, sigmoid_head)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["hidden"] = tuple(int(h) for h in known.get("hidden", ()))
        return cls(**known)


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


@dataclass
class Restored:
    epoch: int
    val_loss_before: float
    val_loss_after: float
    val_acc_before: float
    val_acc_after: float


# fused=True: one kernel updates every parameter at once. On CPU, torch's default is a
# Python loop over the parameters (foreach and fused are only picked by default on GPUs),
# which costs more than the small network's own maths. RMSprop has no fused CPU kernel,
# so it runs foreach (one op per tensor list).
def _opt_kwargs(key: str) -> dict[str, Any]:
    return {"momentum": 0.9, "fused": True} if key == "momentum" else (
        {"foreach": True} if key == "rmsprop" else {"fused": True})


def build_optimizer(key: str, params: Any, lr: float, weight_decay: float) -> optim.Optimizer:
    """The optimizer a run trains with: the catalogue's class, run fused where it can."""
    if key not in TRAINING_OPTIMIZERS:
        raise ValueError(f"unknown optimizer {key!r}; choose one of "
                         f"{', '.join(TRAINING_OPTIMIZERS)}")
    return optimizers.build(key, params, lr, weight_decay=weight_decay, **_opt_kwargs(key))


def optimizer_code(key: str, lr: float, weight_decay: float) -> str:
    extra = "".join(f", {k}={v!r}" for k, v in _opt_kwargs(key).items())
    return (f"optim.{OPTIMIZERS[key].cls}(model.parameters(), lr={lr!r}, "
            f"weight_decay={weight_decay!r}{extra})")


def check_config(cfg: RunConfig) -> None:
    """Refuse a config that cannot run, before allocating, with what is allowed."""
    check_loss(cfg.loss, cfg.n_classes)
    if cfg.optimizer not in TRAINING_OPTIMIZERS:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}")
    if cfg.bug not in BUGS:
        raise ValueError(f"unknown bug {cfg.bug!r}")
    if cfg.bug == "logits_to_bce" and cfg.n_classes != 2:
        raise ValueError("the logits-to-BCELoss bug needs two classes")
    if not (math.isfinite(cfg.lr) and 0 < cfg.lr <= 1e3):
        raise ValueError(f"learning rate must be above 0 and at most 1000, not {cfg.lr}")
    if not (math.isfinite(cfg.weight_decay) and 0 <= cfg.weight_decay <= 1):
        raise ValueError(f"weight decay must be between 0 and 1, not {cfg.weight_decay}")
    if not 0 <= cfg.val_fraction <= 0.9:
        raise ValueError(f"validation fraction must be between 0 and 0.9, not {cfg.val_fraction}")
    if not 1 <= cfg.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS}, not {cfg.epochs}")
    if not 0 <= cfg.patience <= MAX_EPOCHS:
        raise ValueError(f"patience must be between 0 (off) and {MAX_EPOCHS}")
    if cfg.batch_size < 1:
        raise ValueError("batch size must be at least 1")


def run_split(n: int, val_fraction: float) -> tuple[int, int]:
    """(train, validation) sizes of a run; validation 0 means 'validate on the training
    data', as the lesson's XOR does."""
    n_train, n_val = split_sizes(n, val_fraction)
    if val_fraction > 0 and not (n_val >= 1 and n_train >= 2):
        raise ValueError(f"a {val_fraction:.0%} split of {n} samples leaves no room for "
                         "both a training and a validation set; use more samples")
    return n_train, n_val


class Trainer:
    """One learner's run: data, model, optimizer, history, snapshots, early stopping."""

    def __init__(self, cfg: RunConfig) -> None:
        check_config(cfg)
        self.cfg = cfg
        self.spec = cfg.spec()
        ds = make_dataset(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed, cfg.n_classes)
        n_train, n_val = run_split(len(ds), cfg.val_fraction)
        if cfg.batch_size > n_train:
            raise ValueError(f"batch size {cfg.batch_size} is larger than the {n_train} "
                             "training samples; pick at most that")
        self._shuffle = runtime.generator(cfg.seed + 1)
        perm = torch.randperm(len(ds), generator=self._shuffle)
        tr, va = perm[:n_train], (perm[n_train:] if n_val else perm[:n_train])
        y = targets_for(cfg.loss, cfg.n_classes, ds.y)
        self.X_train, self.y_train = ds.X[tr], y[tr]
        self.X_val, self.y_val = ds.X[va], y[va]
        self.labels_val = ds.y.reshape(-1).long()[va]
        self.n_train, self.n_val = n_train, len(va)
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
        self.train_seconds = 0.0
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
        self.train_seconds += time.perf_counter() - start
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
        val_loss, val_acc = self._validate(honest=self.cfg.bug != "no_eval")
        honest = self._validate(honest=True)[0] if self.cfg.bug == "no_eval" else None
        self.history.append(Epoch(self.epoch, total / n, val_loss, val_acc, grad_norm, honest))
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
                self.finished = "early_stop"
                return
        if self.epoch >= self.cfg.epochs:
            self.finished = "max_epochs"

    def _validate(self, honest: bool = True,
                  model: nn.Module | None = None) -> tuple[float, float]:
        m = model or self.model
        was_training = m.training
        if honest:
            m.eval()
        with torch.inference_mode():
            out = (self._forward if model is None else m)(self.X_val)
            loss = self.criterion(out, self.y_val).item()
            acc = (predict(out, self.spec.sigmoid_head) == self.labels_val).float().mean().item()
        m.train(was_training)
        return loss, acc

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

    def restore_best(self) -> Restored | None:
        """Load the best epoch's weights (the lesson saves them but never loads them back)
        and measure what that gains on validation."""
        if self.best_state is None or self.restored is not None:
            return self.restored
        before = self._validate()
        self.model.load_state_dict(self.best_state)
        after = self._validate()
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

    def metrics_at(self, epoch: int) -> Epoch | None:
        return self.history[epoch - 1] if 1 <= epoch <= len(self.history) else None

    def evaluate_at(self, epoch: int) -> tuple[float, float]:
        """Validation loss and accuracy of the snapshot shown for `epoch` (eval mode)."""
        return self._validate(model=self.model_at(epoch))

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

    def history_columns(self) -> dict[str, list[float]]:
        return {"epoch": [h.epoch for h in self.history],
                "train_loss": [h.train_loss for h in self.history],
                "val_loss": [h.val_loss for h in self.history],
                "val_acc": [h.val_acc for h in self.history],
                "grad_norm": [h.grad_norm for h in self.history]}

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
        t.history = [Epoch(int(e), a, b, c, d) for e, a, b, c, d in
                     zip(h["epoch"], h["train_loss"], h["val_loss"], h["val_acc"],
                         h["grad_norm"], strict=True)]
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


def _explain_error(exc: RuntimeError) -> str:
    text = str(exc).splitlines()[0]
    if "between 0 and 1" in text:
        return ("nn.BCELoss expects probabilities in [0, 1], but the model's last layer is "
                "a plain nn.Linear, whose raw scores (logits) range over all numbers. PyTorch "
                f"refused: \"{text}\". Fix: end the model with nn.Sigmoid(), or better, keep "
                "the raw scores and use nn.BCEWithLogitsLoss, which applies the sigmoid inside "
                "the loss in a numerically safe way.")
    return f"PyTorch stopped the step: {text}"


COMPARE: dict[str, str] = {
    "off": "off",
    "act": "Tanh vs LeakyReLU (practice 1)",
    "reg": "without vs with dropout 0.3 + batch norm (practice 3)",
}


def compare_configs(cfg: RunConfig, mode: str) -> list[tuple[str, RunConfig]]:
    """The runs to train side by side: one for 'off', two otherwise (same data, same seed)."""
    if mode == "act":
        return [("Tanh", replace(cfg, activation="Tanh")),
                ("LeakyReLU", replace(cfg, activation="LeakyReLU"))]
    if mode == "reg":
        return [("plain", replace(cfg, dropout=0.0, batch_norm=False)),
                ("dropout 0.3 + batch norm", replace(cfg, dropout=0.3, batch_norm=True))]
    return [("", cfg)]


@dataclass(frozen=True)
class Preset:
    label: str
    cfg: RunConfig
    compare: str = "off"
    speed: int = 5
    note: str = ""


_XOR = RunConfig(dataset="xor", n_samples=4, noise=0.0, val_fraction=0.0, batch_size=4,
                 hidden=(4,), loss="sigmoid_bce", optimizer="sgd", lr=0.5, epochs=2000,
                 patience=0)
_PIPELINE = RunConfig(dataset="sum10", n_samples=1000, noise=0.0, val_fraction=0.2,
                      batch_size=32, hidden=(64, 32), dropout=0.2, loss="sigmoid_bce",
                      optimizer="adam", lr=1e-3, epochs=100, patience=10)
PRESETS: dict[str, Preset] = {
    "overfit": Preset("Overfit, then stop early", RunConfig(), speed=2,
                      note="80 noisy points, a 128-128 network: it memorises the noise, "
                           "validation loss turns up, early stopping steps in."),
    "xor": Preset("Lesson: XOR", _XOR, speed=100,
                  note="The lesson's 2-4-1 network, SGD lr 0.5, 2000 full-batch epochs, "
                       "checked on the same four points it trains on."),
    "spiral": Preset("Lesson: spiral", RunConfig(
        dataset="spiral", n_samples=400, noise=0.0, val_fraction=0.0, batch_size=32,
        hidden=(64, 32), loss="sigmoid_bce", optimizer="adam", lr=0.01, epochs=50, patience=0),
        speed=5, note="The lesson's DataLoader run: 400 spiral points, 64-32, Adam 0.01, "
                      "batches of 32, 50 epochs (no validation split, as in the lesson)."),
    "pipeline": Preset("Lesson: complete pipeline", _PIPELINE, speed=5,
                       note="The lesson's pipeline: sum of 10 features, 80/20 split, 64-32 with "
                            "dropout 0.2, Adam 1e-3, patience 10. Its data is almost linear, "
                            "so early stopping rarely fires within 100 epochs."),
    "p1": Preset("Practice 1: Tanh vs LeakyReLU", replace(_XOR, epochs=1000), compare="act",
                 speed=50, note="The XOR network twice, same seed, only the activation differs."),
    "p2": Preset("Practice 2: 3-class spiral", RunConfig(
        dataset="spiral_k", n_samples=600, noise=0.03, n_classes=3, val_fraction=0.3,
        batch_size=32, hidden=(64, 64), loss="cross_entropy", lr=0.01, epochs=200,
        patience=25), speed=5, note="Three arms, three outputs, CrossEntropyLoss."),
    "p3": Preset("Practice 3: with vs without regularisation", RunConfig(epochs=150),
                 compare="reg", speed=2,
                 note="The overfitting run twice: plain, and with dropout 0.3 + batch norm."),
    "p4": Preset("Practice 4: focal loss", RunConfig(
        dataset="blobs", n_samples=400, noise=0.9, n_classes=3, val_fraction=0.3,
        batch_size=32, hidden=(32, 32), loss="focal", lr=0.01, epochs=150, patience=20),
        speed=5, note="Overlapping blobs trained with a focal loss written as an nn.Module."),
}
BREAK_PRESETS: dict[str, Preset] = {
    "nan": Preset("Learning rate 10: the loss blows up", RunConfig(optimizer="sgd", lr=10.0,
                                                                   patience=0), speed=1),
    "no_zero_grad": Preset("Forget zero_grad()", RunConfig(optimizer="sgd", lr=0.05,
                                                           bug="no_zero_grad", patience=0,
                                                           epochs=60), speed=2),
    "no_eval": Preset("Forget model.eval()", replace(_PIPELINE, dropout=0.5, bug="no_eval",
                                                     epochs=40, patience=0), speed=2),
    "logits_to_bce": Preset("Logits into BCELoss", RunConfig(loss="bce_logits",
                                                             bug="logits_to_bce"), speed=1),
}
