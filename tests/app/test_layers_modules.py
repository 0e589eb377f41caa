"""AppTest: the Layers and modules page shows PyTorch's own shapes and counts, a picture
of what every layer does, and code that prints the picture's numbers."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import torch

from ml101 import inputs
from ml101.layers import catalog as layers
from ml101.layers import demos, simplenet
from tests.conftest import OpenPage, assert_clean, shown_text

URL = "layers"


def page_code(at) -> str:
    """The page's "Show the code" script: its last Python code block (the sidebar's
    "copy this view as a scene" block is TOML)."""
    return [c for c in at.code if c.language == "python"][-1].value


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def picture(at) -> Any:
    """The block keyed ly_picture: the page's main picture."""
    stack = [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None) == "ly_picture":
            return node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    raise AssertionError("no ly_picture on the page")


def agreement(at) -> dict[str, dict[str, str]]:
    """The SimpleNet tab's table: both forms' outputs before and after sharing weights."""
    return at.table[0].value.to_dict()


def run_code(at) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(page_code(at), {"__name__": "generated"})
    return buf.getvalue()


def test_every_layer_shape_and_count_against_pytorch(open_app: OpenPage) -> None:
    at = open_app(URL)
    for layer in layers.LAYERS:
        at.selectbox(key="ly_layer").select(layer).run()
        assert_clean(at)
        params = layers.defaults(layer)
        shape = inputs.parse_shape(layers.DEFAULT_INPUT[layer], **layers.SHAPE_LIMITS)
        real = layers.build(layer, params, device="cpu")
        with torch.no_grad():
            y = real(torch.randn(shape))
        out = y[0] if layer == "LSTM" else y
        shown = metrics(at)
        assert shown["Output shape"] == str(tuple(out.shape)), layer
        assert shown["Trainable parameters"] == f"{sum(p.numel() for p in real.parameters()):,}"
        if layer == "LSTM":
            assert shown["h_n shape"] == str(tuple(y[1][0].shape))
        # every layer draws its picture on load, Linear (the default) included
        assert picture(at).get("vega_lite_chart"), layer


def test_shapes_print_as_python_prints_them(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="ReLU", ly_relu_x="4")
    assert_clean(at)
    assert metrics(at)["Input shape"] == "(4,)" == metrics(at)["Output shape"]
    at = open_app(URL, ly_lin_in="4", ly_lin_x="4")
    assert metrics(at)["Output shape"] == "(5,)"
    assert any("(4,)" in latex.value for latex in at.latex)


def test_changing_hyperparameters_and_bad_shapes(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Conv2d")
    at.number_input(key="ly_conv_s").set_value(2).run()
    at.number_input(key="ly_conv_p").set_value(1).run()
    shown = metrics(at)
    assert shown["Output shape"] == "(1, 16, 14, 14)"  # floor((28 + 2 - 2 - 1) / 2) + 1
    assert any("14" in latex.value for latex in at.latex)
    at.text_input(key="ly_conv_x").input("1, 1, 28, 28").run()
    assert at.error and "needs 3 channels" in at.error[0].value
    assert at.error[0].value.endswith(f"Allowed: Conv2d takes {layers.INPUT_HINT['Conv2d']}.")
    assert not at.exception
    at.text_input(key="ly_conv_x").input("1, 3, a28").run()
    assert at.error and "cannot appear in a shape" in at.error[0].value
    at.text_input(key="ly_conv_x").input("1, 3, 28, 28").run()
    assert_clean(at)


def test_rounding_is_told_per_layer(open_app: OpenPage) -> None:
    """Conv2d has no ceil_mode; only the pooling layer's note offers it."""
    conv = shown_text(open_app(URL, ly_layer="Conv2d"))
    assert "ceil_mode" not in conv and "always rounds down" in conv
    assert "ceil_mode=True" in shown_text(open_app(URL, ly_layer="MaxPool2d"))


def test_conv_window_by_hand_equals_pytorch(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Conv2d", ly_pos="9")
    assert_clean(at)
    text = shown_text(at)
    line = next(s for s in text.splitlines() if s.startswith("Output (1, 3)"))
    mine = line.split("= **")[1].split("**")[0]
    torch_value = line.split("PyTorch computed **")[1].split("**")[0]
    assert mine == torch_value
    assert f"Output (1, 3) by hand: {mine}; PyTorch: {torch_value}" in run_code(at)


def test_linear_picture_and_its_code(open_app: OpenPage) -> None:
    at = open_app(URL, ly_seed="3")
    assert_clean(at)
    d = demos.linear_demo(layers.defaults("Linear"), 3)
    assert f"y[0, 0] = {float(d.y[0, 0]):.4f}" in shown_text(at)
    assert f"{float(d.y[0, 0]):.4f}" in run_code(at).split("y =")[1]


def test_dropout_and_batchnorm_views(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Dropout", ly_drop_p="0.25")
    assert_clean(at)
    text = shown_text(at)
    assert "1/(1−p) = **1.3333**" in text
    kept = text.split("Kept **")[1].split("**")[0]
    assert f"Kept {kept} of the elements" in run_code(at)  # the code prints the page's share
    at = open_app(URL, ly_layer="BatchNorm1d", ly_bn_steps="5")
    assert_clean(at)
    text = shown_text(at)
    assert "max difference" in text
    err = text.split("buffers: max difference ")[1].split(".\n")[0].rstrip(".")
    assert f"max difference {err}" in run_code(at)


def test_softmax_sums_in_the_picture_and_the_code(open_app: OpenPage) -> None:
    at = open_app(URL, ly_layer="Softmax", ly_sm_dim="0", ly_seed="2")
    assert_clean(at)
    sums = ", ".join(f"{v:.6f}" for v in demos.softmax_demo(0, 2).sums)
    assert f"Each column sums to 1: {sums}" in shown_text(at)
    assert f"sums: {sums}" in run_code(at)


def test_deep_link_and_simplenet_tab(open_app: OpenPage) -> None:
    at = open_app(URL, ly_tab="SimpleNet: Module vs Sequential", ly_seed="0")
    assert_clean(at)
    text = shown_text(at)
    assert "**17**" in text
    table = agreement(at)
    assert table["max |net(x) − seq(x)|"]["after copying net's weights into seq"] == "0"
    assert table["torch.equal(net(x), seq(x))"]["after copying net's weights into seq"] == (
        "True")
    assert table["torch.equal(net(x), seq(x))"]["own random weights"] == "False"
    assert picture(at).get("code")  # the two printed networks are this tab's picture
    at.text_input(key="ly_spec").input("2-x-1").run()
    assert at.error and "not a whole number" in at.error[0].value
    assert not at.exception


@pytest.mark.parametrize("spec", ["2-4-1", "3-8-8-2"])
def test_generated_code_reproduces_the_page(open_app: OpenPage, spec: str) -> None:
    at = open_app(URL, ly_tab="SimpleNet: Module vs Sequential", ly_spec=spec, ly_seed="7")
    out = run_code(at)
    cmp = simplenet.compare(simplenet.parse_spec(spec), "ReLU", "Sigmoid", 7)
    assert f"before copying: {cmp.diff_before}" in out
    assert f"{cmp.diff_before:.6f}" == agreement(at)["max |net(x) − seq(x)|"][
        "own random weights"]
    assert f"parameters: {cmp.n_params}" in out and f"**{cmp.n_params:,}**" in shown_text(at)
