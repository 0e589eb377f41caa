"""The three ways to save, live: round trip, refused pickle, exact resume; and its script
under the name the NumPy vs PyTorch page imports (`saving.code_for(seed)`)."""

from __future__ import annotations

import contextlib
import io

from ml101.training import saving as model_saving


def test_three_ways() -> None:
    rep = model_saving.three_ways(seed=0)
    assert rep.state_equal and rep.first_weights == rep.loaded_weights
    assert rep.state_keys == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert rep.pickle_error_type == "UnpicklingError"
    assert "weights_only" in rep.pickle_error or "Weights only" in rep.pickle_error
    assert "\x1b" not in rep.pickle_error
    assert rep.ckpt_keys == ["epoch", "model_state_dict", "optimizer_state_dict", "loss"]
    assert rep.resumed_loss == rep.uninterrupted_loss
    assert rep.fresh_optimizer_loss != rep.uninterrupted_loss


def test_generated_code_matches() -> None:
    rep = model_saving.three_ways(seed=4)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(model_saving.code_for(seed=4), {"__name__": "generated"})
    out = buf.getvalue()
    assert "state_dict round trip equal: True" in out
    assert "whole-model load refused:" in out
    assert f"uninterrupted: {rep.uninterrupted_loss}" in out
    assert f"resumed from checkpoint: {rep.resumed_loss}" in out
    assert f"weights only, fresh optimizer: {rep.fresh_optimizer_loss}" in out
