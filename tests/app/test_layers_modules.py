"""AppTest: the Layers and modules page shows PyTorch's own shapes and counts."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

from ml101.layers import catalog as layers
from ml101.layers import simplenet
from tests.conftest import OpenPage, assert_clean, shown_text

URL = "layers"
ABBR = {"Linear": "lin", "Conv2d": "conv", "MaxPool2d": "pool", "BatchNorm1d": "bn",
        "Dropout": "drop", "LSTM": "lstm", "ReLU": "relu", "Sigmoid": "sig", "Tanh": "tanh",
        "LeakyReLU": "lrelu", "Softmax": "sm"}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_layer_shape_and_count_against_pytorch(open_app: OpenPage) -> None:
    at = open_app(URL)
    for layer in layers.LAYERS:
        at.selectbox(key="ly_layer").select(layer).run()
        assert_clean(at)
        params = layers.defaults(layer)
        shape = layers.parse_shape(layers.DEFAULT_INPUT[layer])
        real = layers.build(layer, params, device="cpu")
        with torch.no_grad():
            y = real(torch.randn(shape))
        out = y[0] if layer == "LSTM" else y
        shown = metrics(at)
        assert shown["output shape"] == str(tuple(out.shape)).replace(",)", ")"), layer
        assert shown["Trainable parameters"] == f"{sum(p.numel() for p in real.parameters()):,}"
        if layer == "LSTM":
            assert shown["h_n shape"] == str(tuple(y[1][0].shape))


def test_changing_hyperparameters_and_bad_shapes(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Conv2d")
    at.number_input(key="ly_conv_s").set_value(2).run()
    at.number_input(key="ly_conv_p").set_value(1).run()
    shown = metrics(at)
    assert shown["output shape"] == "(1, 16, 14, 14)"  # floor((28 + 2 - 2 - 1) / 2) + 1
    assert any("14" in latex.value for latex in at.latex)
    at.text_input(key="ly_conv_x").input("1, 1, 28, 28").run()
    assert at.error and "needs 3 channels" in at.error[0].value
    assert not at.exception
    at.text_input(key="ly_conv_x").input("1, 3, 28, 28").run()
    assert_clean(at)


def test_conv_window_by_hand_equals_pytorch(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Conv2d", ly_pos="9")
    assert_clean(at)
    text = shown_text(at)
    line = next(s for s in text.splitlines() if s.startswith("Output (1, 3)"))
    mine = line.split("= **")[1].split("**")[0]
    torch_value = line.split("PyTorch computed **")[1].split("**")[0]
    assert mine == torch_value


def test_dropout_and_batchnorm_views(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Dropout", ly_drop_p="0.25")
    assert_clean(at)
    assert "1/(1−p) = **1.3333**" in shown_text(at)
    at = open_app(URL, ly_layer="BatchNorm1d", ly_bn_steps="5")
    assert_clean(at)
    assert "max difference" in shown_text(at)


def test_deep_link_and_simplenet_tab(open_app: OpenPage) -> None:
    at = open_app(URL, ly_tab="SimpleNet: Module vs Sequential", ly_seed="0")
    assert_clean(at)
    text = shown_text(at)
    assert "**17**" in text
    assert metrics(at)["After copying net's weights into seq"] == "0"
    assert metrics(at)["torch.equal(net(x), seq(x))"] == "True"
    at.text_input(key="ly_spec").input("2-x-1").run()
    assert at.error and "not a whole number" in at.error[0].value


@pytest.mark.parametrize("spec", ["2-4-1", "3-8-8-2"])
def test_generated_code_reproduces_the_page(open_app: OpenPage, spec: str) -> None:
    at = open_app(URL, ly_tab="SimpleNet: Module vs Sequential", ly_spec=spec, ly_seed="7")
    code = at.code[-1].value
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})
    out = buf.getvalue()
    cmp = simplenet.compare(simplenet.parse_spec(spec), "ReLU", "Sigmoid", 7)
    assert f"before copying: {cmp.diff_before}" in out
    assert f"{cmp.diff_before:.6f}" == metrics(at)["Max |net(x) − seq(x)|, own random weights"]
    assert f"parameters: {cmp.n_params}" in out and f"**{cmp.n_params:,}**" in shown_text(at)
