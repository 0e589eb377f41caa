"""What defines a run: every setting in one frozen `RunConfig`, the checks that refuse a
run before anything is allocated, the optimizer policy, and the side-by-side modes.

Equal configs give equal numbers, so a config is the key a page keeps a run under and
the input `code.code_for` turns into a script.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from torch import optim

from ml101 import optimizers
from ml101.datasets import DATASETS, split_sizes
from ml101.losses import LOSSES, check_loss, n_outputs
from ml101.models import ModelSpec
from ml101.own_data import SOURCES, OwnData, from_portable, portable

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
COMPARE: dict[str, str] = {
    "off": "off",
    "act": "Tanh vs LeakyReLU (practice 1)",
    "reg": "without vs with dropout 0.3 + batch norm (practice 3)",
    "loss": "cross-entropy vs focal loss (practice 4)",
}
MAX_EPOCHS = 5000


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
    restore_best: bool = False  # load the best epoch's weights when training ends
    own: OwnData | None = None  # the learner's table, for the sources "csv" and "draw"
    standardize: bool = False  # scale each feature by the training rows' mean and std

    @property
    def n_features(self) -> int:
        return self.own.n_features if self.own is not None else \
            DATASETS[self.dataset].n_features

    def spec(self) -> ModelSpec:
        sigmoid_head = LOSSES[self.loss].sigmoid_head and self.bug != "logits_to_bce"
        return ModelSpec(self.n_features, self.hidden,
                         n_outputs(self.loss, self.n_classes), self.activation, self.dropout,
                         self.batch_norm, sigmoid_head)

    def to_dict(self) -> dict[str, Any]:
        """Plain values only (a checkpoint loads with weights_only=True); a learner's
        table travels as its file's bytes."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["hidden"] = list(self.hidden)
        d["own"] = None if self.own is None else portable(self.own)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["hidden"] = tuple(int(h) for h in known.get("hidden", ()))
        if known.get("own") is not None:
            known["own"] = from_portable(known["own"])
        return cls(**known)


def with_own(cfg: RunConfig, own: OwnData) -> RunConfig:
    """`cfg` training on a learner's table: its size and classes come from the table."""
    return replace(cfg, dataset=own.source, own=own, n_samples=len(own), noise=0.0,
                   n_classes=own.n_classes)


# On CPU torch.optim's default is a Python loop over the parameters (it picks foreach by
# itself only on GPUs, and fused only when asked), which costs more than the small
# network's own maths. fused=True runs one kernel for all parameters; RMSprop has no fused
# kernel, so it runs foreach=True (one op per list of tensors).
def optimizer_kwargs(key: str) -> dict[str, Any]:
    """The keyword arguments a run's optimizer is built with, beyond lr and weight decay."""
    if key == "rmsprop":
        return {"foreach": True}
    return {"momentum": 0.9, "fused": True} if key == "momentum" else {"fused": True}


def build_optimizer(key: str, params: Any, lr: float, weight_decay: float) -> optim.Optimizer:
    """The optimizer a run trains with: the catalogue's class, run fused where it can."""
    if key not in TRAINING_OPTIMIZERS:
        raise ValueError(f"unknown optimizer {key!r}; choose one of "
                         f"{', '.join(TRAINING_OPTIMIZERS)}")
    return optimizers.build(key, params, lr, weight_decay=weight_decay, **optimizer_kwargs(key))


def check_config(cfg: RunConfig) -> None:
    """Refuse a config that cannot run, before allocating, with what is allowed."""
    if (cfg.dataset in SOURCES) != (cfg.own is not None) or (
            cfg.own is not None and (cfg.own.source, len(cfg.own), cfg.own.n_classes)
            != (cfg.dataset, cfg.n_samples, cfg.n_classes)):
        raise ValueError(f"the dataset {cfg.dataset!r} and the table given do not agree")
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


def compare_configs(cfg: RunConfig, mode: str) -> list[tuple[str, RunConfig]]:
    """The runs to train side by side: one for 'off', two otherwise (same data, same seed,
    so the same starting weights wherever the two networks have the same shape)."""
    if mode == "act":
        return [("Tanh", replace(cfg, activation="Tanh")),
                ("LeakyReLU", replace(cfg, activation="LeakyReLU"))]
    if mode == "reg":
        return [("plain", replace(cfg, dropout=0.0, batch_norm=False)),
                ("dropout 0.3 + batch norm", replace(cfg, dropout=0.3, batch_norm=True))]
    if mode == "loss":
        plain = "bce_logits" if cfg.n_classes == 2 else "cross_entropy"
        return [("cross-entropy", replace(cfg, loss=plain)),
                ("focal loss", replace(cfg, loss="focal"))]
    return [("", cfg)]
