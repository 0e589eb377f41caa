"""A run serves the batches a plain DataLoader would, and a position is the same however
it was reached."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from ml101.step.run import Run, grid_points
from ml101.step.settings import StepSettings
from tests.unit.step.helpers import SETTINGS


@pytest.mark.parametrize("name", ["lesson", "blobs-ce-momentum", "circles-focal-adamw"])
def test_batches_are_a_plain_dataloaders(name: str) -> None:
    s = SETTINGS[name]
    run = Run(s)
    plain = DataLoader(TensorDataset(run.X, run.y), batch_size=s.batch_size,
                       shuffle=s.shuffle, generator=torch.Generator().manual_seed(s.seed))
    expected = [(xb, yb) for _ in range(3) for xb, yb in plain]
    for xb, yb in expected:
        batch = next(run._stream)
        assert torch.equal(batch.x, xb) and torch.equal(batch.y, yb)
        assert torch.equal(run.X[batch.rows], xb)


def test_epochs_and_batches_are_counted_as_a_loop_counts_them() -> None:
    run = Run(StepSettings(dataset="moons", n_samples=10, batch_size=4))
    seen = [(b.number, b.epoch, b.index, b.per_epoch, len(b.x))
            for b in (next(run._stream) for _ in range(4))]
    assert seen == [(1, 1, 1, 3, 4), (2, 1, 2, 3, 4), (3, 1, 3, 3, 2), (4, 2, 1, 3, 4)]


def test_a_position_is_the_same_reached_step_by_step_jumped_to_or_replayed() -> None:
    s = SETTINGS["moons-adam"]
    walked = Run(s)
    for done in range(6):
        walked.go_to(done)
    jumped = Run(s).go_to(5)
    back = Run(s)
    back.go_to(9)
    replayed = back.go_to(5)  # behind the run: it starts over
    for rec in (jumped, replayed):
        assert rec.batch.number == walked.record.batch.number == 6
        assert torch.equal(rec.batch.x, walked.record.batch.x)
        for n, p in rec.params_after.items():
            assert torch.equal(p, walked.record.params_after[n])
    assert walked.losses == back.losses[:6]
    assert len(walked.losses) == 6


def test_the_same_position_is_not_recomputed() -> None:
    run = Run(SETTINGS["lesson"])
    rec = run.go_to(3)
    assert run.go_to(3) is rec


def test_the_grid_covers_the_data() -> None:
    X = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    pts, xs, ys = grid_points(X, res=5)
    assert pts.shape == (25, 2)
    assert xs[0] < 0 < 1 < xs[-1] and ys[0] < 0 < 2 < ys[-1]
    assert torch.equal(pts[1], torch.stack([xs[1], ys[0]]))  # x varies fastest


def test_regions_are_class_probabilities() -> None:
    run = Run(SETTINGS["blobs-ce-momentum"])
    run.go_to(0)
    assert run.regions.shape == (len(run.grid), 3)
    assert torch.allclose(run.regions.sum(1), torch.ones(len(run.grid)))
