"""The hand-written NumPy backprop equals autograd on random networks (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ml101.twin.numpy_net import DenseLayer, NeuralNetwork


def torch_copy(net: NeuralNetwork) -> nn.Sequential:
    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "linear": nn.Identity}
    mods: list[nn.Module] = []
    for layer in net.layers:
        lin = nn.Linear(layer.W.shape[1], layer.W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W))
            lin.bias.copy_(torch.from_numpy(layer.b.ravel()))
        mods += [lin, acts[layer.activation]()]
    return nn.Sequential(*mods)


@settings(max_examples=40, deadline=None)
@given(widths=st.lists(st.integers(1, 8), min_size=1, max_size=4),
       n_in=st.integers(1, 5), n_out=st.integers(1, 3), m=st.integers(1, 16),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
       loss=st.sampled_from(["binary_crossentropy", "mse"]), seed=st.integers(0, 2**31))
def test_manual_gradients_equal_autograd(widths: list[int], n_in: int, n_out: int, m: int,
                                         hidden: str, loss: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [n_in, *widths, n_out]
    net = NeuralNetwork(loss=loss)
    for i in range(len(sizes) - 1):
        last = i == len(sizes) - 2
        net.add(DenseLayer(sizes[i], sizes[i + 1],
                           activation="sigmoid" if last else hidden, rng=rng))
    for layer in net.layers:  # non-zero biases so their gradients are exercised too
        layer.b = rng.standard_normal(layer.b.shape) * 0.1
    X = rng.standard_normal((n_in, m))
    Y = (rng.random((n_out, m)) > 0.5).astype(np.float64)
    net.backward(net.forward(X), Y)

    model = torch_copy(net)
    Xt, Yt = torch.from_numpy(X.T.copy()), torch.from_numpy(Y.T.copy())
    crit = nn.BCELoss() if loss == "binary_crossentropy" else nn.MSELoss()
    out = model(Xt)
    value = crit(out, Yt)
    value.backward()
    assert net.compute_loss(out.detach().numpy().T, Y) == pytest.approx(value.item(), abs=1e-12)
    linears = [mod for mod in model if isinstance(mod, nn.Linear)]
    for layer, lin in zip(net.layers, linears, strict=True):
        scale = 1 + float(lin.weight.grad.abs().max())
        assert np.abs(layer.dW - lin.weight.grad.numpy()).max() < 1e-10 * scale
        assert np.abs(layer.db.ravel() - lin.bias.grad.numpy()).max() < 1e-10 * scale


def test_layout_samples_along_axis_1() -> None:
    layer = DenseLayer(3, 2, activation="linear")
    out = layer.forward(np.ones((3, 7)))
    assert out.shape == (2, 7)
    assert layer.W.shape == (2, 3) and layer.b.shape == (2, 1)


def test_fit_learns_xor() -> None:
    rng = np.random.default_rng(1)
    net = NeuralNetwork()
    net.add(DenseLayer(2, 8, "tanh", rng=rng))
    net.add(DenseLayer(8, 1, "sigmoid", rng=rng))
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
    Y = np.array([[0, 1, 1, 0]], dtype=float)
    losses = net.fit(X, Y, epochs=3000, learning_rate=0.5)
    assert losses[-1] < 0.05 < losses[0]
    assert ((net.predict(X) > 0.5) == Y).all()


def test_bce_clips_like_pytorch() -> None:
    net = NeuralNetwork()
    y_hat, y = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    expected = nn.BCELoss()(torch.tensor([0.0, 1.0], dtype=torch.float64),
                            torch.tensor([1.0, 0.0], dtype=torch.float64)).item()
    assert net.compute_loss(y_hat, y) == expected == 100.0
