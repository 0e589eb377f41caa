"""One learner's run: the data, the network, the loss, the optimizer and the DataLoader of
a `StepSettings`, moved forward one training step at a time.

The page shows step `done + 1` in full (`record_step`); every step before it is the
lesson's loop run plainly. A position is reached by replaying from the start, so a link
with the same settings and step shows the same numbers, and so does the exported code.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from ml101 import datasets, losses, models, optimizers, runtime
from ml101.step.record import Batch, StepRecord, record_step
from ml101.step.settings import StepSettings

GRID = 24  # cells per side of the decision map behind the points


def loss_terms(key: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Each sample's loss, unreduced: the loss the page shows is their mean."""
    if key == "sigmoid_bce":
        return F.binary_cross_entropy(output, target, reduction="none")
    if key == "bce_logits":
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    ce = (F.binary_cross_entropy_with_logits(output, target, reduction="none")
          if output.shape[1] == 1 else F.cross_entropy(output, target, reduction="none"))
    if key == "cross_entropy":
        return ce
    return (1 - torch.exp(-ce)) ** losses.FocalLoss().gamma * ce  # focal


def grid_points(X: torch.Tensor, res: int = GRID) -> tuple[torch.Tensor, torch.Tensor,
                                                            torch.Tensor]:
    """A res x res grid over the data with a margin: (points, xs, ys), x varying fastest."""
    lo, hi = X.min(0).values, X.max(0).values
    pad = 0.15 * (hi - lo) + 0.1
    xs = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), res)
    ys = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), res)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1), xs, ys


class Run:
    """The run of one `StepSettings`, positioned at a training step."""

    def __init__(self, settings: StepSettings) -> None:
        self.settings = settings
        s = settings
        data = datasets.make_dataset(s.dataset, None if s.dataset == "xor" else s.n_samples,
                                     s.noise, s.seed)
        self.X = data.X
        self.labels = data.y.reshape(-1).long()
        self.y = losses.targets_for(s.loss, s.n_classes, data.y)
        with runtime.seeded(s.seed):
            self.model = models.as_sequential(s.spec())
        self.loss_fn = losses.make_loss(s.loss)
        self.optimizer = optimizers.build(s.optimizer, self.model.parameters(), lr=s.lr,
                                          **s.hyper())
        rows = torch.arange(len(self.X))
        self.loader = DataLoader(TensorDataset(self.X, self.y, rows), batch_size=s.batch_size,
                                 shuffle=s.shuffle, generator=runtime.generator(s.seed))
        self.grid, self.grid_xs, self.grid_ys = grid_points(self.X)
        self._stream = self._batches()
        self.taken = 0  # optimizer steps applied so far
        self.losses: list[float] = []  # each step's batch loss, before its update
        self.record: StepRecord | None = None
        self.regions = self._regions()  # class probabilities on the grid, before the step

    def _regions(self) -> torch.Tensor:
        with torch.no_grad():
            return losses.class_probabilities(self.model(self.grid),
                                              self.settings.spec().sigmoid_head)

    @property
    def per_epoch(self) -> int:
        return len(self.loader)

    def _batches(self) -> Iterator[Batch]:
        """One epoch after another, as `for epoch ...: for xb, yb in loader` serves them."""
        epoch, number = 0, 0
        while True:
            epoch += 1
            for index, (xb, yb, rows) in enumerate(self.loader, start=1):
                number += 1
                yield Batch(number, epoch, index, self.per_epoch, rows, xb, yb)

    def _plain_step(self) -> None:
        batch = next(self._stream)
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(batch.x), batch.y)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        self.taken += 1

    def go_to(self, done: int) -> StepRecord:
        """The record of step `done + 1`, after `done` plain steps (replayed from the start
        when the run is already past them)."""
        if self.record is not None and self.record.batch.number == done + 1:
            return self.record
        if self.taken > done:
            self.__init__(self.settings)  # type: ignore[misc]
        while self.taken < done:
            self._plain_step()
        self.regions = self._regions()
        self.record = record_step(
            self.model, self.loss_fn, self.optimizer, next(self._stream),
            lambda out, target: loss_terms(self.settings.loss, out, target))
        self.losses.append(self.record.loss)
        self.taken += 1
        return self.record
