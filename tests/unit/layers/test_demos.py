"""The demos' hand computations agree with the modules they explain."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml101.layers import demos


def test_linear_demo_is_the_seeded_layer_on_a_seeded_input() -> None:
    """The picture's weights are the ones torch.manual_seed(seed) then nn.Linear draws, and
    y is x @ W.T + b for the input drawn next."""
    d = demos.linear_demo({"in_features": 10, "out_features": 5, "bias": True}, seed=4)
    torch.manual_seed(4)
    layer = torch.nn.Linear(10, 5)
    x = torch.randn(demos.LINEAR_ROWS, 10)
    assert np.array_equal(d.weight, layer.weight.detach().numpy())
    assert np.array_equal(d.x, x.numpy())
    assert np.allclose(d.y, d.x @ d.weight.T + d.bias, atol=1e-6)
    no_bias = demos.linear_demo({"in_features": 3, "out_features": 2, "bias": False}, 0)
    assert no_bias.bias is None and no_bias.y.shape == (demos.LINEAR_ROWS, 2)
    with pytest.raises(ValueError, match="too big"):
        demos.linear_demo({"in_features": 4096, "out_features": 4096, "bias": True}, 0)


def test_activation_grid_has_an_exact_zero() -> None:
    curve = demos.activation_curve("Sigmoid", {})
    assert len(curve) == 2 * demos.CURVE_REACH * demos.CURVE_PER_UNIT + 1
    assert curve["x"].iloc[len(curve) // 2] == 0.0
    assert curve["x"].min() == -demos.CURVE_REACH and curve["x"].max() == demos.CURVE_REACH


@pytest.mark.parametrize(("shape", "bf", "size"), [((7, 3, 10), False, (7, 3, False)),
                                                   ((3, 7, 10), True, (7, 3, False)),
                                                   ((40, 9, 10), False, (12, 4, True)),
                                                   ((5, 10), False, (5, 1, False))])
def test_lstm_demo_size_caps_long_inputs(shape: tuple, bf: bool, size: tuple) -> None:
    assert demos.lstm_demo_size({"batch_first": bf}, shape) == size


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
    assert d.train_mean == pytest.approx(d.train_out.mean())


def test_batchnorm_running_stats_follow_the_formula() -> None:
    d = demos.batchnorm_demo(5, 0.1, True, steps=200, seed=0)
    assert d.recurrence_error < 1e-5
    assert d.n_features == demos.BN_SHOWN  # 4 of the layer's 5 features are reported
    assert set(d.history["feature"]) == set(range(demos.BN_SHOWN))
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
