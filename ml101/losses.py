"""The losses a learner can train with, and what each expects of the model's output.

Two classes: `BCEWithLogitsLoss` on raw scores (the safe form), or the lesson's
`Sigmoid` head + `BCELoss` (same maths, weaker numerics). Several classes:
`CrossEntropyLoss` on raw scores. And a focal loss written by hand, the custom loss
of practice problem 4, which down-weights examples the model already gets right.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class LossInfo:
    key: str
    label: str
    binary_only: bool
    sigmoid_head: bool  # the model must end in nn.Sigmoid()
    code: str  # how generated code creates it


LOSSES: dict[str, LossInfo] = {
    "bce_logits": LossInfo("bce_logits", "BCEWithLogitsLoss (2 classes, raw scores)", True,
                           False, "nn.BCEWithLogitsLoss()"),
    "sigmoid_bce": LossInfo("sigmoid_bce", "Sigmoid head + BCELoss (the lesson's form)", True,
                            True, "nn.BCELoss()"),
    "cross_entropy": LossInfo("cross_entropy", "CrossEntropyLoss (any number of classes)",
                              False, False, "nn.CrossEntropyLoss()"),
    "focal": LossInfo("focal", "Focal loss (custom, gamma = 2)", False, False,
                      "FocalLoss(gamma=2.0)"),
}


class FocalLoss(nn.Module):
    """Focal loss (Lin et al., 2017): cross-entropy scaled by (1 - p_true)^gamma.

    Raw scores in. One output column means two classes with float 0/1 targets of shape
    [N, 1]; several columns mean integer class targets of shape [N]. gamma = 0 is plain
    cross-entropy; larger gamma lets easy, confident examples count for less."""

    def __init__(self, gamma: float = 2.0) -> None:
        super().__init__()
        self.gamma = gamma

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:
            ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        else:
            ce = F.cross_entropy(logits, target, reduction="none")
        p_true = torch.exp(-ce)  # the probability given to the right class
        return ((1 - p_true) ** self.gamma * ce).mean()


FOCAL_SOURCE = '''class FocalLoss(nn.Module):
    """Cross-entropy scaled by (1 - p_true)^gamma: easy examples count for less."""

    def __init__(self, gamma=2.0):
        super().__init__()
        self.gamma = gamma

    def forward(self, logits, target):
        if logits.shape[1] == 1:
            ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        else:
            ce = F.cross_entropy(logits, target, reduction="none")
        p_true = torch.exp(-ce)
        return ((1 - p_true) ** self.gamma * ce).mean()'''


def check_loss(key: str, n_classes: int) -> None:
    """Refuse a loss that cannot work with this many classes, saying what to pick instead."""
    if key not in LOSSES:
        raise ValueError(f"unknown loss {key!r}; choose one of {', '.join(LOSSES)}")
    if LOSSES[key].binary_only and n_classes != 2:
        raise ValueError(f"{LOSSES[key].label} handles two classes; this data has "
                         f"{n_classes}: use CrossEntropyLoss or the focal loss")


def n_outputs(key: str, n_classes: int) -> int:
    """Output columns: one score for the binary losses, one per class otherwise."""
    return 1 if LOSSES[key].binary_only or (key == "focal" and n_classes == 2) else n_classes


def make_loss(key: str) -> nn.Module:
    return {"bce_logits": nn.BCEWithLogitsLoss, "sigmoid_bce": nn.BCELoss,
            "cross_entropy": nn.CrossEntropyLoss, "focal": FocalLoss}[key]()


def targets_for(key: str, n_classes: int, y: torch.Tensor) -> torch.Tensor:
    """The labels in the shape and dtype the loss expects: float [N, 1] or int64 [N]."""
    if n_outputs(key, n_classes) == 1:
        return y.reshape(-1, 1).float()
    return y.reshape(-1).long()


def predict(output: torch.Tensor, sigmoid_head: bool) -> torch.Tensor:
    """Predicted class per row (int64 [N]) from the model's output."""
    if output.shape[1] == 1:
        return (output.reshape(-1) > (0.5 if sigmoid_head else 0.0)).long()
    return output.argmax(dim=1)


def class_probabilities(output: torch.Tensor, sigmoid_head: bool) -> torch.Tensor:
    """Probabilities per class, shape [N, k] (k = 2 for one output column)."""
    if output.shape[1] == 1:
        p1 = output.reshape(-1) if sigmoid_head else torch.sigmoid(output.reshape(-1))
        return torch.stack([1 - p1, p1], dim=1)
    return torch.softmax(output, dim=1)


def saturation_demo(logit: float = 20.0) -> dict[str, float]:
    """A confident wrong answer (score `logit`, true label 0) under both binary forms.

    In float32, sigmoid(20) rounds to exactly 1.0, so BCELoss sees log(1 - 1) = -inf,
    clamps it to -100 and its gradient through the sigmoid is exactly 0: the model gets
    no signal to fix its worst mistakes. BCEWithLogitsLoss computes the same quantity
    from the raw score with the log-sum-exp trick: the true loss and a full gradient."""
    target = torch.zeros(1, 1)
    z1 = torch.tensor([[logit]], requires_grad=True)
    p = torch.sigmoid(z1)
    naive = F.binary_cross_entropy(p, target)
    (naive_grad,) = torch.autograd.grad(naive, z1)
    z2 = torch.tensor([[logit]], requires_grad=True)
    safe = F.binary_cross_entropy_with_logits(z2, target)
    (safe_grad,) = torch.autograd.grad(safe, z2)
    return {"sigmoid": p.item(), "bce_loss": naive.item(), "bce_grad": naive_grad.item(),
            "logits_loss": safe.item(), "logits_grad": safe_grad.item()}
