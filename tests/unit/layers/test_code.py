"""Every "Show the code" script of the Layers page prints the numbers the page shows."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101 import inputs
from ml101.layers import catalog, demos, simplenet
from ml101.layers.code import code_for
from ml101.layers.demos import LayerSetup


def run(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    return buf.getvalue()


def setup_for(layer: str, seed: int = 0, shape: tuple[int, ...] | None = None,
              **params: object) -> LayerSetup:
    probe = catalog.probe(layer, {**catalog.defaults(layer), **params},
                          shape or inputs.parse_shape(catalog.DEFAULT_INPUT[layer],
                                                      **catalog.SHAPE_LIMITS))
    return LayerSetup(layer, tuple(probe.params.items()), probe.in_shape, seed)


@pytest.mark.parametrize("layer", catalog.LAYERS)
def test_script_prints_the_shapes_and_counts(layer: str) -> None:
    s = setup_for(layer, seed=3)
    probe = catalog.probe(layer, s.args, s.shape)
    out = run(code_for(s))
    assert f"output {probe.outputs['output']}" in out
    assert f"total trainable parameters: {probe.n_params}" in out
    assert out.startswith(probe.repr)  # print(layer) first, as the page shows it


def numbers_after(out: str, label: str) -> np.ndarray:
    """The numbers of the first tensor printed after `label`."""
    rest = out.split(label, 1)[1]
    start = rest.index("tensor(")
    text = rest[start:rest.index("])", start)]
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?", text)])


def test_linear_script_prints_the_pictures_weights_input_and_output() -> None:
    s = setup_for("Linear", seed=5)
    d = demos.linear_demo(s.args, s.seed)
    out = run(code_for(s))
    assert np.allclose(numbers_after(out, "W.T ="), d.weight.T.ravel(), atol=5e-5)
    assert np.allclose(numbers_after(out, "x ="), d.x.ravel(), atol=5e-5)
    assert np.allclose(numbers_after(out, "y ="), d.y.ravel(), atol=5e-5)


def test_linear_script_prints_the_shown_corner_of_a_big_layer() -> None:
    s = setup_for("Linear", seed=1, shape=(2, 40), in_features=40, out_features=30)
    d = demos.linear_demo(s.args, s.seed)
    out = run(code_for(s))
    n = demos.SHOWN
    assert np.allclose(numbers_after(out, "y ="), d.y[:, :n].ravel(), atol=5e-5)
    assert np.allclose(numbers_after(out, "b ="), d.bias[:n], atol=5e-5)


@pytest.mark.parametrize(("layer", "kernel", "params"), [
    ("Conv2d", "vertical edges", {}), ("Conv2d", "blur", {"stride": 2, "padding": 1}),
    ("Conv2d", "random", {"dilation": 2, "kernel_size": 2}), ("Conv2d", "sharpen", {}),
    ("MaxPool2d", "", {}), ("MaxPool2d", "", {"kernel_size": 3, "padding": 1,
                                               "ceil_mode": True}),
])
def test_window_script_prints_the_windows_value(layer: str, kernel: str, params: dict
                                                ) -> None:
    base = setup_for(layer, seed=2, **params)
    s = LayerSetup(layer, base.params, base.shape, 2, kernel or demos.KERNELS[0], position=4)
    p = s.args
    w = demos.slide("conv" if layer == "Conv2d" else "max", p["kernel_size"], p["stride"],
                    p["padding"], p["dilation"], 4, s.kernel, 2, bool(p.get("ceil_mode")))
    out = run(code_for(s))
    assert (f"Output ({w.i}, {w.j}) by hand: {w.manual:.4f}; PyTorch: {w.torch_value:.4f}"
            in out)


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.95])
def test_dropout_script_prints_the_kept_share(p: float) -> None:
    s = setup_for("Dropout", seed=7, p=p)
    d = demos.dropout_demo(p, 7)
    out = run(code_for(s))
    assert (f"Kept {d.kept_fraction:.1%} of the elements (expected {1 - p:.0%}), each "
            f"multiplied by 1/(1-p) = {d.scale:.4f}; mean {d.train_mean:.4f}." in out)
    assert "eval() changes nothing: True" in out


@pytest.mark.parametrize(("nf", "momentum", "steps"), [(5, 0.1, 30), (2, 0.5, 3), (7, 0.0, 1)])
def test_batchnorm_script_prints_the_statistics(nf: int, momentum: float, steps: int) -> None:
    base = setup_for("BatchNorm1d", seed=4, shape=(8, nf), num_features=nf, momentum=momentum)
    s = LayerSetup("BatchNorm1d", base.params, base.shape, 4, steps=steps)
    d = demos.batchnorm_demo(nf, momentum, True, steps, 4)
    out = run(code_for(s))
    assert f"max difference {d.recurrence_error:.2e}" in out
    assert np.allclose(numbers_after(out, "running_mean"), d.running_mean, atol=5e-5)
    assert np.allclose(numbers_after(out, "eval():  mean"), d.eval_mean, atol=5e-5)


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_softmax_script_prints_the_sums(dim: int) -> None:
    s = setup_for("Softmax", seed=9, dim=dim)
    sm = demos.softmax_demo(dim, 9)
    out = run(code_for(s))
    assert "sums: " + ", ".join(f"{v:.6f}" for v in sm.sums) in out
    assert np.allclose(numbers_after(out, "softmax"), sm.probs.ravel(), atol=5e-5)


@pytest.mark.parametrize(("bf", "bd"), [(False, False), (True, False), (False, True)])
def test_lstm_script_prints_the_step_by_step_check(bf: bool, bd: bool) -> None:
    shape = (3, 7, 10) if bf else (7, 3, 10)
    s = setup_for("LSTM", seed=1, shape=shape, batch_first=bf, bidirectional=bd)
    seq, batch, _ = demos.lstm_demo_size(s.args, shape)
    d = demos.lstm_demo(s.args, seq, batch, 1)
    out = run(code_for(s))
    if bd:
        assert (f"forward half of the last output vs h_n[-2]: {d.last_step_vs_h_n:.1e}; "
                f"backward half of the first output vs h_n[-1]: "
                f"{d.first_step_vs_h_n_back:.1e}" in out)
    else:
        assert (f"max difference {d.max_step_diff:.1e}; last output vs h_n[-1]: "
                f"{d.last_step_vs_h_n:.1e}" in out)


@pytest.mark.parametrize("layer", ["ReLU", "Sigmoid", "Tanh", "LeakyReLU"])
def test_activation_script_prints_the_slopes(layer: str) -> None:
    s = setup_for(layer)
    curve = demos.activation_curve(layer, s.args)
    slope = curve["f'(x)"]
    top = int(slope.values.argmax())
    out = run(code_for(s))
    assert (f"Largest slope on this range: {slope.iloc[top]:.4f} at x = "
            f"{curve['x'].iloc[top]:.2f}; smallest: {slope.min():.4f}." in out)


def test_huge_inputs_are_probed_on_meta_in_the_script_too() -> None:
    s = setup_for("Linear", shape=(100_000, 4096), in_features=4096, out_features=4096)
    code = code_for(s)
    assert "device='meta'" in code and "W.T" not in code  # no live picture for 16.8 M weights
    assert "output (100000, 4096)" in run(code)


@pytest.mark.parametrize("spec", ["2-4-1", "2-16-16-1", "3-1"])
def test_simplenet_script_prints_the_page_numbers(spec: str) -> None:
    sizes = simplenet.parse_spec(spec)
    cmp = simplenet.compare(sizes, "Tanh", "Sigmoid", seed=5)
    out = run(code_for(cmp))
    assert str(cmp.net) in out
    assert f"parameters: {cmp.n_params}" in out
    assert f"before copying: {cmp.diff_before}" in out
    assert "identical: True" in out
    assert str(cmp.out_net.squeeze(-1).tolist()) in out


@settings(max_examples=15, deadline=None)
@given(layer=st.sampled_from(catalog.LAYERS), seed=st.integers(0, 2**31 - 1))
def test_any_seed_gives_a_runnable_script(layer: str, seed: int) -> None:
    assert "total trainable parameters" in run(code_for(setup_for(layer, seed)))


def test_code_for_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError):
        code_for(3)
