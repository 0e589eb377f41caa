"""The NumPy vs PyTorch scripts run and print the page's numbers."""

from __future__ import annotations

import contextlib
import io

import pytest

from ml101.twin import pair
from ml101.twin.code import code_for
from ml101.twin.numpy_net import NeuralNetwork


def run(code: str) -> dict[str, str]:
    """Each printed line, keyed by the text before its first colon."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    return {ln.split(":")[0]: ln.split(":", 1)[1].strip() for ln in buf.getvalue().splitlines()}


def test_generated_code_prints_the_page_numbers() -> None:
    s = pair.setup("moons", 60, 0.1, (2, 6, 1), "relu", 50, 0.4, 3)
    X, y = pair.load_data(s)
    r = pair.train_side_by_side(s, X, y)
    out = pair.outcome(r, X, y)
    lines = run(code_for(s))
    first = [float(v) for v in lines["first loss"].split()]
    final = [float(v) for v in lines["final loss"].split()]
    # the same numbers up to float64 rounding noise (BLAS may take another path per run)
    assert first == pytest.approx([r.losses_np[0], r.losses_torch[0]], abs=1e-12)
    assert final == pytest.approx([r.losses_np[-1], r.losses_torch[-1]], abs=1e-12)
    assert float(lines["largest per-step loss difference"]) < 1e-12
    assert lines["accuracy"] == (f"{out.correct} of {out.n} training points right "
                                 f"({out.accuracy:.1%})")


def test_the_unlucky_seeds_script_names_its_dead_units() -> None:
    s = pair.setup("xor", 4, 0.0, (2, 4, 1), "relu", 2000, 0.5, 1)
    lines = run(code_for(s))
    assert lines["accuracy"] == "3 of 4 training points right (75.0%)"
    assert lines["hidden layer 1"] == "dead units [1, 2, 4]"


def test_smooth_activations_print_no_dead_units() -> None:
    s = pair.setup("xor", 4, 0.0, (2, 4, 1), "tanh", 100, 0.5, 0)
    assert "hidden layer 1" not in run(code_for(s))


def test_each_side_alone() -> None:
    """The code tab's two listings: the NumPy network as it runs here, and the PyTorch
    side in the model's precision."""
    numpy_side = code_for(NeuralNetwork())
    assert numpy_side.startswith("import numpy") and "class DenseLayer" in numpy_side
    s = pair.setup("xor", 4, 0.0, (2, 4, 1), "relu", 10, 0.5, 0, "float32")
    torch_side = code_for(pair.initial_model(s))
    assert "torch.float32" in torch_side and "def train_torch" in torch_side
    with pytest.raises(TypeError):
        code_for("a script")
