"""The demos' hand computations agree with the modules they explain."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ml101.layers import demos


@pytest.mark.parametrize("layer", ["ReLU", "Sigmoid", "Tanh", "LeakyReLU"])
def test_activation_derivative_is_autograds(layer: str) -> None:
    curve = demos.activation_curve(layer, {"negative_slope": 0.1} if layer == "LeakyReLU" else {})
    x, f, df = curve["x"].to_numpy(), curve["f(x)"].to_numpy(), curve["f'(x)"].to_numpy()
    expected = {"ReLU": (x > 0).astype(float), "Sigmoid": f * (1 - f), "Tanh": 1 - f**2,
                "LeakyReLU": np.where(x > 0, 1.0, 0.1)}[layer]
    assert np.allclose(df, expected)


@pytest.mark.parametrize(("op", "k", "s", "p", "d"), [("conv", 3, 1, 0, 1), ("conv", 3, 2, 1, 2),
                                                      ("max", 2, 2, 0, 1), ("max", 3, 2, 1, 1)])
def test_every_window_position_by_hand_equals_torch(op: str, k: int, s: int, p: int, d: int
                                                    ) -> None:
    first = demos.slide(op, k, s, p, d, 0, "sharpen")
    for pos in range(first.n_positions):
        w = demos.slide(op, k, s, p, d, pos, "sharpen")
        assert w.manual == pytest.approx(w.torch_value, abs=1e-5)


def test_dropout_mask_and_scaling() -> None:
    d = demos.dropout_demo(0.25, seed=3)
    kept = d.train_out[d.train_out != 0]
    assert np.allclose(kept, 1 / 0.75)
    assert np.array_equal(d.eval_out, np.ones_like(d.eval_out))
    assert d.kept_fraction == pytest.approx((d.train_out != 0).mean())


def test_batchnorm_running_stats_follow_the_formula() -> None:
    d = demos.batchnorm_demo(5, 0.1, True, steps=200, seed=0)
    assert d.recurrence_error < 1e-5
    last = d.history[d.history["step"] == 200]
    assert np.allclose(last["running_mean"], 3.0, atol=0.5)
    assert np.allclose(last["running_var"], 4.0, atol=1.5)
    assert np.allclose(d.train_mean, 0, atol=1e-5)
    assert np.allclose(d.train_std, 1, atol=1e-3)


@pytest.mark.parametrize(("bd", "bf"), [(False, False), (False, True), (True, False)])
def test_lstm_step_by_step_matches_whole_sequence(bd: bool, bf: bool) -> None:
    params = {"input_size": 4, "hidden_size": 6, "num_layers": 2, "bidirectional": bd,
              "batch_first": bf}
    d = demos.lstm_demo(params, seq_len=5, batch=3, seed=1)
    assert d.h_n_shape == ((4 if bd else 2), 3, 6)
    assert d.output_shape == ((3, 5) if bf else (5, 3)) + ((12 if bd else 6),)
    assert d.last_step_vs_h_n < 1e-6
    if bd:
        assert d.first_step_vs_h_n_back < 1e-6
    else:
        assert d.max_step_diff < 1e-6


def test_softmax_sums_to_one_along_dim() -> None:
    for dim in (0, 1, -1):
        s = demos.softmax_demo(dim, seed=0)
        assert np.allclose(s.sums, 1)
        assert np.allclose(s.probs, torch.softmax(torch.from_numpy(s.logits), dim).numpy())


def test_charts_are_strict_json_with_the_numbers_shown() -> None:
    """Specs go to the browser as JSON: no NaN (padding is null and labelled "pad"),
    every cell present, highlighted cells flagged."""
    w = demos.slide("conv", 3, 1, 1, 1, 0)
    spec = json.loads(json.dumps(demos.heatmap(w.padded, "in", w.cells), allow_nan=False))
    cells = spec["layer"][0]["data"]["values"]
    assert len(cells) == 10 * 10 and spec["width"] == 10 * 34
    corner = cells[0]
    assert corner["v"] is None and corner["label"] == "pad" and corner["hi"]
    assert sum(c["hi"] for c in cells) == 9
    inside = next(c for c in cells if c["row"] == 3 and c["col"] == 3)
    assert inside["v"] == float(w.padded[3, 3]) and inside["label"] == f"{w.padded[3, 3]:.2f}"
    curve = demos.activation_curve("Tanh", {})
    act = demos.activation_chart(curve, "t")["layer"][0]["data"]["values"]
    assert len(act) == 2 * len(curve) and {r["curve"] for r in act} == {"f(x)", "f'(x)"}
    bn = demos.batchnorm_demo(3, 0.1, True, 5, 0)
    json.dumps(demos.batchnorm_chart(bn), allow_nan=False)
    lstm = demos.lstm_demo({"input_size": 3, "hidden_size": 5, "num_layers": 1}, 4, 2, 0)
    trace = demos.lstm_chart(lstm)["layer"][0]["data"]["values"]
    assert len(trace) == 4 * 4 and json.dumps(trace, allow_nan=False)
