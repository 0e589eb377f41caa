"""A neural network from scratch in NumPy, in the style of lesson 4.

Samples run along axis 1: X has shape (features, samples) and a layer computes
Z = W @ A_prev + b with W of shape (n_out, n_in) and b of shape (n_out, 1).
PyTorch puts samples along axis 0 instead (x @ W.T + b); the weights themselves have
the same shape in both, which is why they copy across unchanged.

Backward passes are written by hand. The loss gradient carries the 1/m of the mean,
so dW = dZ @ A_prev.T is already the gradient of the mean loss, as PyTorch's is.
"""

from __future__ import annotations

import numpy as np

DENSE_ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "tanh", "linear")
LOSSES: tuple[str, ...] = ("binary_crossentropy", "mse")
_BCE_EPS = 1e-12  # PyTorch's BCELoss clamps its denominator and its logs the same way


def _activate(z: np.ndarray, kind: str) -> np.ndarray:
    if kind == "relu":
        return np.maximum(z, 0)
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if kind == "tanh":
        return np.tanh(z)
    return z


def _activation_grad(z: np.ndarray, a: np.ndarray, kind: str) -> np.ndarray:
    """dA/dZ, element-wise, from the values the forward pass kept."""
    if kind == "relu":
        return (z > 0).astype(z.dtype)
    if kind == "sigmoid":
        return a * (1 - a)
    if kind == "tanh":
        return 1 - a * a
    return np.ones_like(z)


class DenseLayer:
    """One fully connected layer: A = g(W @ A_prev + b), samples along axis 1."""

    def __init__(self, n_in: int, n_out: int, activation: str = "relu",
                 rng: np.random.Generator | None = None, dtype: type = np.float64):
        if activation not in DENSE_ACTIVATIONS:
            raise ValueError(f"activation must be one of {DENSE_ACTIVATIONS}")
        rng = rng if rng is not None else np.random.default_rng(0)
        scale = np.sqrt(2.0 / n_in) if activation == "relu" else np.sqrt(1.0 / n_in)
        self.W = (rng.standard_normal((n_out, n_in)) * scale).astype(dtype)  # He / Xavier
        self.b = np.zeros((n_out, 1), dtype=dtype)
        self.activation = activation

    def forward(self, A_prev: np.ndarray) -> np.ndarray:
        self.A_prev = A_prev
        self.Z = self.W @ A_prev + self.b
        self.A = _activate(self.Z, self.activation)
        return self.A

    def backward(self, dA: np.ndarray) -> np.ndarray:
        """Store dW and db; return dA_prev for the layer below."""
        dZ = dA * _activation_grad(self.Z, self.A, self.activation)
        self.dW = dZ @ self.A_prev.T
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ

    def update(self, learning_rate: float) -> None:
        self.W -= learning_rate * self.dW
        self.b -= learning_rate * self.db


class NeuralNetwork:
    """A stack of DenseLayers trained by full-batch gradient descent."""

    def __init__(self, loss: str = "binary_crossentropy"):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}")
        self.loss = loss
        self.layers: list[DenseLayer] = []

    def add(self, layer: DenseLayer) -> None:
        self.layers.append(layer)

    def forward(self, X: np.ndarray) -> np.ndarray:
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def compute_loss(self, Y_hat: np.ndarray, Y: np.ndarray) -> float:
        if self.loss == "mse":
            return float(np.mean((Y_hat - Y) ** 2))
        with np.errstate(divide="ignore"):  # log(0) = -inf, clipped to -100 as PyTorch does
            log_p = np.maximum(np.log(Y_hat), -100.0)
            log_q = np.maximum(np.log(1 - Y_hat), -100.0)
        return float(-np.mean(Y * log_p + (1 - Y) * log_q))

    def loss_grad(self, Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """d(mean loss)/dY_hat: the 1/m of the mean lives here."""
        if self.loss == "mse":
            return 2 * (Y_hat - Y) / Y_hat.size
        return (Y_hat - Y) / np.maximum(Y_hat * (1 - Y_hat), _BCE_EPS) / Y_hat.size

    def backward(self, Y_hat: np.ndarray, Y: np.ndarray) -> None:
        dA = self.loss_grad(Y_hat, Y)
        for layer in reversed(self.layers):
            dA = layer.backward(dA)

    def update(self, learning_rate: float) -> None:
        for layer in self.layers:
            layer.update(learning_rate)

    def fit(self, X: np.ndarray, Y: np.ndarray, epochs: int, learning_rate: float
            ) -> list[float]:
        """Forward, loss, backward, update, `epochs` times; the loss before each update."""
        losses = []
        for _ in range(epochs):
            Y_hat = self.forward(X)
            losses.append(self.compute_loss(Y_hat, Y))
            self.backward(Y_hat, Y)
            self.update(learning_rate)
        return losses

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)
