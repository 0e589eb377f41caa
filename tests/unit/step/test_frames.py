"""The frames walk the step in the loop's order, and each shows only what has happened."""

from __future__ import annotations

import pytest
import torch

from ml101.step.frames import GRAD, STAGES, Stage, blocks, first_frame, frames, scene, title
from tests.unit.step.helpers import SETTINGS, recorded


def test_the_lesson_step_has_twenty_frames_in_five_stages() -> None:
    rec = recorded("lesson")
    fs = frames(rec)
    assert len(fs) == 2 + 4 + 1 + 11 + 2 == 20
    assert [f.stage for f in fs] == sorted((f.stage for f in fs), key=STAGES.index)
    assert first_frame(rec, Stage.BACKWARD) == 7


@pytest.mark.parametrize("name", SETTINGS)
def test_every_block_is_shown_in_every_frame(name: str) -> None:
    rec = recorded(name)
    names = {b.name for b in blocks(rec)}
    for k in range(len(frames(rec))):
        sc = scene(rec, k)
        assert set(sc.shown) == names
        assert sc.lit <= names, sc.lit - names
        assert title(rec, k) == sc.title


def test_forward_fills_the_layers_one_by_one() -> None:
    rec = recorded("lesson")
    start = first_frame(rec, Stage.FORWARD)
    for i, p in enumerate(rec.layers):
        sc = scene(rec, start + i)
        assert torch.equal(sc.shown[p.name].values, p.output)
        later = [q.name for q in rec.layers[i + 1:]]
        assert all(sc.shown[n].values is None for n in later)
        assert sc.shown["L"].values is None
    assert "z1 = x @ W1.T + b1" in title(rec, start)


def test_zero_grad_shows_the_old_gradients_then_none() -> None:
    rec = recorded("lesson")
    left, zeroed = scene(rec, 0), scene(rec, 1)
    assert torch.equal(left.shown[GRAD + "W1.T"].values, rec.grads_left["W1"].T)
    assert zeroed.shown[GRAD + "W1.T"].values is None
    assert zeroed.shown[GRAD + "W1.T"].note == "None"
    first = recorded("lesson", done=0)
    assert scene(first, 0).shown[GRAD + "b1"].note == "None"  # a fresh model: None
    assert "fresh model" in title(first, 0)


def test_backward_fills_gradients_in_the_engines_order() -> None:
    rec = recorded("lesson")
    start = first_frame(rec, Stage.BACKWARD)
    for i, r in enumerate(rec.nodes):
        sc = scene(rec, start + i)
        if r.param:
            block = GRAD + r.param + (".T" if r.param.startswith("W") else "")
            assert sc.lit == {block}
            g = rec.grads[r.param]
            assert torch.equal(sc.shown[block].values, g.T if g.dim() == 2 else g.reshape(1, -1))
        elif r.makes and not r.makes.endswith(".T"):
            assert torch.equal(sc.shown[GRAD + r.makes].values.reshape(r.arriving.shape),
                               r.arriving)
    before = scene(rec, start)
    assert before.shown[GRAD + "z1"].values is None  # the first layer's gradient comes last


def test_step_shows_the_update_then_the_new_weights() -> None:
    rec = recorded("moons-adam")
    n = len(frames(rec))
    update, new = scene(rec, n - 2), scene(rec, n - 1)
    assert torch.equal(update.shown[GRAD + "W1.T"].values, rec.update("W1").T)
    assert torch.equal(update.shown["W1.T"].values, rec.params_before["W1"].T)
    assert torch.equal(new.shown["W1.T"].values, rec.params_after["W1"].T)
    assert float(new.shown["L"].values) == rec.loss_after
    assert "→" in new.title
