"""The shape rules and parameter formulas against real PyTorch modules, and the page's
shape limits on the shared parser."""

from __future__ import annotations

import math
import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101 import inputs
from ml101.layers import catalog as layers


def parse(text: str) -> tuple[int, ...]:
    """The page's input shape: the shared parser under the layers' limits."""
    return inputs.parse_shape(text, **layers.SHAPE_LIMITS)


@pytest.mark.parametrize("layer", layers.LAYERS)
def test_default_view_matches_real_cpu_modules(layer: str) -> None:
    """Meta-device answers equal what a real module does to a real tensor."""
    params = layers.defaults(layer)
    shape = parse(layers.DEFAULT_INPUT[layer])
    probe = layers.probe(layer, params, shape)
    real = layers.build(layer, params, device="cpu")
    y = real(torch.randn(shape))
    got = y[0].shape if layer == "LSTM" else y.shape
    assert probe.outputs["output"] == tuple(got)
    assert probe.n_params == sum(p.numel() for p in real.parameters())
    assert probe.n_params == layers.count_formula(layer, params)[0]


def test_lesson_numbers() -> None:
    assert layers.probe("Linear", layers.defaults("Linear"), (8, 10)).n_params == 55
    conv = layers.probe("Conv2d", layers.defaults("Conv2d"), (1, 3, 28, 28))
    assert conv.outputs["output"] == (1, 16, 26, 26)
    assert dict((t.name, t.shape) for t in conv.tensors)["weight"] == (16, 3, 3, 3)
    lstm = layers.probe("LSTM", layers.defaults("LSTM"), (7, 3, 10))
    assert lstm.outputs == {"output": (7, 3, 20), "h_n": (2, 3, 20), "c_n": (2, 3, 20)}
    assert lstm.n_params == 5920


@pytest.mark.parametrize("bd", [False, True])
def test_small_lstm_runs_on_cpu_with_the_meta_answer(bd: bool) -> None:
    """The CPU shortcut for small LSTMs gives what the meta device gives (which PyTorch
    works out a time step at a time in Python, ~6 ms a step); a big LSTM still goes to
    the meta device (no memory for its weights)."""
    params = {**layers.defaults("LSTM"), "bidirectional": bd, "batch_first": True}
    shape = (3, 40, 10)
    assert layers.probe_device("LSTM", params, shape) == "cpu"
    fast = layers.probe("LSTM", params, shape)
    meta = layers.build("LSTM", params)(torch.empty(shape, device="meta"))
    assert fast.outputs == {"output": tuple(meta[0].shape), "h_n": tuple(meta[1][0].shape),
                            "c_n": tuple(meta[1][1].shape)}
    huge = {**params, "hidden_size": 1024, "num_layers": 4}
    assert layers.probe_device("LSTM", huge, (1, 2, 10)) == "meta"
    assert layers.probe("LSTM", huge, (1, 2, 10)).n_params == layers.count_formula(
        "LSTM", huge)[0]
    assert layers.probe_device("Conv2d", layers.defaults("Conv2d"), (1, 3, 28, 28)) == "meta"


def test_probe_cache_hands_out_copies() -> None:
    first = layers.probe("Linear", layers.defaults("Linear"), (8, 10))
    first.params["out_features"] = 99
    assert layers.probe("Linear", layers.defaults("Linear"), (8, 10)).params["out_features"] == 5


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 20), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3), ceil_mode=st.booleans(), pool=st.booleans())
def test_window_rule_equals_pytorch(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool,
                                    pool: bool) -> None:
    """Either our rule and PyTorch agree on the shape, or both refuse."""
    layer = "MaxPool2d" if pool else "Conv2d"
    params = {"kernel_size": k, "stride": s, "padding": p, "dilation": d}
    if pool:
        params["ceil_mode"] = ceil_mode
    else:
        params |= {"in_channels": 2, "out_channels": 3}
    shape = (1, 2, size, size + 1)
    try:
        predicted = layers.predict(layer, params, shape)[0]["output"]
    except layers.LayerError:
        predicted = None
    module = layers.build(layer, params, device="cpu")
    try:
        real = tuple(module(torch.zeros(shape)).shape)
    except RuntimeError:
        real = None
    assert predicted == real


@settings(max_examples=40, deadline=None)
@given(i=st.integers(1, 12), h=st.integers(1, 12), n=st.integers(1, 3), bd=st.booleans(),
       bf=st.booleans())
def test_lstm_count_formula(i: int, h: int, n: int, bd: bool, bf: bool) -> None:
    params = {"input_size": i, "hidden_size": h, "num_layers": n, "bidirectional": bd,
              "batch_first": bf}
    real = layers.build("LSTM", params, device="cpu")
    assert layers.count_formula("LSTM", params)[0] == sum(p.numel() for p in real.parameters())


@pytest.mark.parametrize(("layer", "shape", "words"), [
    ("Linear", (3, 4), "last dimension to be 10"),
    ("Conv2d", (1, 1, 28, 28), "needs 3 channels"),
    ("Conv2d", (3, 2, 2), "does not fit"),
    ("Conv2d", (2, 28, 28, 3, 1), "4-D"),
    ("MaxPool2d", (1, 1, 1, 1), "does not fit"),
    ("BatchNorm1d", (1, 5), "more than one value per channel"),
    ("LSTM", (7, 3, 4), "input_size=10"),
    ("Softmax", (4,), "dim=1 does not exist"),
])
def test_shapes_that_do_not_fit_say_why(layer: str, shape: tuple, words: str) -> None:
    """A layer that does not fit its input is a LayerError (an InputError, like every
    parser's): the problem in words, then what the layer takes."""
    with pytest.raises(layers.LayerError, match=words) as caught:
        layers.probe(layer, layers.defaults(layer), shape)
    assert isinstance(caught.value, inputs.InputError)
    assert str(caught.value).endswith(f"Allowed: {layer} takes {layers.INPUT_HINT[layer]}.")


def test_shapes_in_messages_print_as_python_does() -> None:
    with pytest.raises(layers.LayerError, match=r"your input \(4,\) ends in 4"):
        layers.probe("Linear", layers.defaults("Linear"), (4,))


def test_arguments_out_of_range_say_the_range() -> None:
    with pytest.raises(layers.LayerError, match="kernel_size from 1 to 11"):
        layers.probe("Conv2d", {**layers.defaults("Conv2d"), "kernel_size": 12}, (1, 3, 28, 28))


def test_rounding_notes_hold_for_pytorch() -> None:
    """Conv2d has no ceil_mode (only pooling does): its note must not offer one. MaxPool2d's
    ceil_mode rounds 5 positions of a 2-wide, stride-2 window up to 3 instead of 2."""
    with pytest.raises(TypeError, match="ceil_mode"):
        torch.nn.Conv2d(3, 16, 3, ceil_mode=True)
    assert "ceil_mode" not in layers.ROUNDING["Conv2d"]
    assert "down" in layers.ROUNDING["Conv2d"]
    x = torch.zeros(1, 1, 5, 5)
    assert torch.nn.MaxPool2d(2, 2)(x).shape[-1] == 2
    assert torch.nn.MaxPool2d(2, 2, ceil_mode=True)(x).shape[-1] == 3
    assert "ceil_mode=True" in layers.ROUNDING["MaxPool2d"]


def test_huge_layers_cost_nothing() -> None:
    t = time.perf_counter()
    probe = layers.probe("Linear", {"in_features": 4096, "out_features": 4096}, (100_000, 4096))
    assert probe.n_params == 4096 * 4096 + 4096
    assert time.perf_counter() - t < 2


@pytest.mark.parametrize(("text", "shape"), [("8, 3, 28, 28", (8, 3, 28, 28)),
                                              ("(8,)", (8,)), ("[2, 4]", (2, 4)),
                                              ("2x3", (2, 3)), ("100000, 4096", (100000, 4096))])
def test_parse_shape(text: str, shape: tuple) -> None:
    assert parse(text) == shape


@pytest.mark.parametrize("text", ["a, b", "0, 3", "-1, 2", "1e3", "1,2,3,4,5,6",
                                  "100000, 100000", "²", "__import__('os')"])
def test_parse_shape_refuses(text: str) -> None:
    with pytest.raises(inputs.ShapeError):
        parse(text)


@settings(max_examples=300, deadline=200)
@given(st.one_of(st.text(max_size=300),
                 st.lists(st.integers(-5, 10**7), max_size=7).map(
                     lambda v: ", ".join(map(str, v)))))
def test_parse_shape_value_or_clear_error(text: str) -> None:
    try:
        shape = parse(text)
    except inputs.InputError as exc:
        assert str(exc)
    else:
        assert len(shape) <= layers.SHAPE_LIMITS["max_dims"]
        assert all(d >= 1 for d in shape)
        assert math.prod(shape) <= layers.SHAPE_LIMITS["max_elements"]
