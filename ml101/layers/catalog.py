"""The lesson's common layers: what goes in, what comes out, and what each one holds.

Shapes and parameters come from real `torch.nn` modules built on the `meta` device,
so PyTorch's own shape logic answers without allocating a byte; a layer of any size
can be asked about. (A small LSTM runs on the CPU instead: PyTorch works a meta LSTM
out one time step at a time in Python, ~6 ms a step, where the real one takes
microseconds.) Before that, the rules are checked here so that a shape that does
not fit gets a message in words (which dimension, what was expected), not PyTorch's
terse one. The conv/pool output formula is the one in PyTorch's documentation.

Input shapes are read by the shared `inputs.parse_shape` under `SHAPE_LIMITS`; a layer
that does not fit the shape it was given raises `LayerError`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from ml101.inputs import InputError, fmt_shape

LAYERS: tuple[str, ...] = (
    "Linear", "Conv2d", "MaxPool2d", "BatchNorm1d", "Dropout", "LSTM",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax",
)
ACTIVATION_LAYERS: tuple[str, ...] = ("ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax")

# What `inputs.parse_shape` accepts here: big shapes are only ever probed on the meta
# device, so a billion elements cost nothing; every size is at least 1.
SHAPE_LIMITS: dict[str, int] = {"max_dims": 5, "max_elements": 10**9, "min_size": 1}
REAL_LSTM_WORK = 5_000_000  # multiply-adds: an LSTM this small runs for real in ~1 ms


class LayerError(InputError):
    """A layer that cannot take this input shape or these arguments: which dimension,
    what it expected; `allowed` says what the layer takes."""


@dataclass(frozen=True)
class HyperParam:
    name: str  # the constructor argument
    short: str  # URL key suffix
    kind: str  # "int", "float" or "bool"
    default: Any
    lo: float = 0
    hi: float = 0
    help: str = ""


def _i(name: str, short: str, default: int, lo: int, hi: int, help: str = "") -> HyperParam:
    return HyperParam(name, short, "int", default, lo, hi, help)


def _f(name: str, short: str, default: float, lo: float, hi: float, help: str = "") -> HyperParam:
    return HyperParam(name, short, "float", default, lo, hi, help)


def _b(name: str, short: str, default: bool, help: str = "") -> HyperParam:
    return HyperParam(name, short, "bool", default, help=help)


HYPERPARAMS: dict[str, tuple[HyperParam, ...]] = {
    "Linear": (_i("in_features", "in", 10, 1, 4096), _i("out_features", "out", 5, 1, 4096),
               _b("bias", "b", True)),
    "Conv2d": (_i("in_channels", "ci", 3, 1, 512), _i("out_channels", "co", 16, 1, 512),
               _i("kernel_size", "k", 3, 1, 11), _i("stride", "s", 1, 1, 5),
               _i("padding", "p", 0, 0, 5), _i("dilation", "d", 1, 1, 3),
               _b("bias", "b", True)),
    "MaxPool2d": (_i("kernel_size", "k", 2, 1, 8), _i("stride", "s", 2, 1, 8,
                                                       "PyTorch's default is the kernel size."),
                  _i("padding", "p", 0, 0, 4), _i("dilation", "d", 1, 1, 3),
                  _b("ceil_mode", "cm", False, "Round the output size up instead of down.")),
    "BatchNorm1d": (_i("num_features", "nf", 5, 1, 4096),
                    _f("momentum", "m", 0.1, 0.0, 1.0, "Weight of each new batch in the "
                       "running statistics."),
                    _b("affine", "af", True, "Learn a scale (weight) and shift (bias).")),
    "Dropout": (_f("p", "p", 0.5, 0.0, 0.95, "Probability that each element is zeroed."),),
    "LSTM": (_i("input_size", "in", 10, 1, 1024), _i("hidden_size", "h", 20, 1, 1024),
             _i("num_layers", "nl", 2, 1, 4), _b("batch_first", "bf", False),
             _b("bidirectional", "bd", False)),
    "ReLU": (),
    "Sigmoid": (),
    "Tanh": (),
    "LeakyReLU": (_f("negative_slope", "ns", 0.01, 0.0, 1.0),),
    "Softmax": (_i("dim", "dim", 1, -5, 4, "The dimension whose entries are made to sum to 1."),),
}

# What a learner feeds each layer by default: the lesson's own examples.
DEFAULT_INPUT: dict[str, str] = {
    "Linear": "8, 10", "Conv2d": "1, 3, 28, 28", "MaxPool2d": "1, 16, 26, 26",
    "BatchNorm1d": "8, 5", "Dropout": "4, 8", "LSTM": "7, 3, 10", "ReLU": "4, 8",
    "Sigmoid": "4, 8", "Tanh": "4, 8", "LeakyReLU": "4, 8", "Softmax": "2, 4",
}

INPUT_HINT: dict[str, str] = {
    "Linear": "(*, in_features): any leading dimensions, features last",
    "Conv2d": "(N, C, H, W) or (C, H, W)",
    "MaxPool2d": "(N, C, H, W) or (C, H, W)",
    "BatchNorm1d": "(N, C) or (N, C, L)",
    "Dropout": "any shape",
    "LSTM": "(L, N, input_size); (N, L, input_size) with batch_first; or unbatched (L, input_size)",
    "ReLU": "any shape", "Sigmoid": "any shape", "Tanh": "any shape", "LeakyReLU": "any shape",
    "Softmax": "any shape with at least one dimension",
}


def defaults(layer: str) -> dict[str, Any]:
    """The constructor arguments a fresh page shows for `layer`."""
    return {hp.name: hp.default for hp in HYPERPARAMS[layer]}


def _refuse(layer: str, problem: str) -> LayerError:
    """The error for a layer, ending with what it takes."""
    return LayerError(problem, allowed=f"{layer} takes {INPUT_HINT[layer]}")


def _clean(layer: str, params: dict[str, Any]) -> dict[str, Any]:
    if layer not in HYPERPARAMS:
        raise LayerError(f"there is no layer {layer!r} here",
                         allowed=f"one of {', '.join(LAYERS)}")
    out = defaults(layer)
    for hp in HYPERPARAMS[layer]:
        value = params.get(hp.name, hp.default)
        if hp.kind == "bool":
            value = bool(value)
        else:
            value = int(value) if hp.kind == "int" else float(value)
            if not hp.lo <= value <= hp.hi:
                raise LayerError(f"{hp.name}={value} is out of range",
                                 allowed=f"{hp.name} from {hp.lo:g} to {hp.hi:g}")
        out[hp.name] = value
    return out


def build(layer: str, params: dict[str, Any], device: str | torch.device = "meta") -> nn.Module:
    """The real torch module. On `meta` (the default) its parameters take no memory."""
    p = _clean(layer, params)
    with torch.device(device):
        return getattr(nn, layer)(**p)


def conv_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    """PyTorch's output length: floor((size + 2p - d(k-1) - 1) / s) + 1 (ceil for ceil_mode)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def conv_formula(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> str:
    """The formula with these numbers filled in, as LaTeX."""
    rnd = r"\left\lceil" if ceil_mode else r"\left\lfloor"
    end = r"\right\rceil" if ceil_mode else r"\right\rfloor"
    num = size + 2 * p - d * (k - 1) - 1
    return (rf"{rnd}\frac{{{size} + 2\cdot{p} - {d}\cdot({k}-1) - 1}}{{{s}}}{end} + 1"
            rf" = {rnd}\frac{{{num}}}{{{s}}}{end} + 1 = {conv_out(size, k, s, p, d, ceil_mode)}")


@dataclass
class ParamInfo:
    name: str
    shape: tuple[int, ...]
    numel: int
    trainable: bool  # False for buffers such as running_mean


@dataclass
class Probe:
    """What one layer does to one input shape."""

    layer: str
    params: dict[str, Any]
    in_shape: tuple[int, ...]
    outputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    tensors: list[ParamInfo] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)  # LaTeX lines explaining the output
    count_formula: str = ""  # LaTeX: how the parameter count adds up
    repr: str = ""

    @property
    def n_params(self) -> int:
        return sum(t.numel for t in self.tensors if t.trainable)


def _need_ndim(shape: tuple[int, ...], allowed: tuple[int, ...], layer: str) -> None:
    if len(shape) not in allowed:
        dims = " or ".join(f"{n}-D" for n in allowed)
        raise _refuse(layer, f"{layer} takes a {dims} input, and {fmt_shape(shape)} is "
                             f"{len(shape)}-D")


def _window_check(layer: str, shape: tuple[int, ...], k: int, s: int, p: int, d: int,
                  ceil_mode: bool) -> list[str]:
    lines = []
    for axis, size in zip(("H", "W"), shape[-2:], strict=True):
        eff = d * (k - 1) + 1
        out = conv_out(size, k, s, p, d, ceil_mode)
        # Conv2d insists the window fits; pooling only that one window starts inside
        if (size + 2 * p < eff and layer == "Conv2d") or out < 1:
            raise _refuse(layer,
                f"the {layer} window does not fit: its effective size is "
                f"dilation·(kernel−1)+1 = {d}·({k}−1)+1 = {eff}, but the padded input {axis} is "
                f"only {size}+2·{p} = {size + 2 * p}; use a larger input, more padding, "
                "or a smaller kernel or dilation")
        lines.append(rf"{axis}_{{out}} = " + conv_formula(size, k, s, p, d, ceil_mode))
    return lines


def predict(layer: str, params: dict[str, Any], shape: tuple[int, ...]
            ) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    """Output shape(s) by the documented rules, plus formula lines; LayerError if it won't fit."""
    p = _clean(layer, params)
    if layer == "Linear":
        _need_ndim(shape, (1, 2, 3, 4, 5), layer)
        if shape[-1] != p["in_features"]:
            raise _refuse(layer,
                f"Linear(in_features={p['in_features']}) needs the last dimension to be "
                f"{p['in_features']}, but your input {fmt_shape(shape)} ends in {shape[-1]}; "
                f"set in_features to {shape[-1]} or change the input")
        out = (*shape[:-1], p["out_features"])
        return {"output": out}, [
            rf"y = x W^\top + b:\ {fmt_shape(shape)} \to {fmt_shape(out)}"]
    if layer in ("Conv2d", "MaxPool2d"):
        _need_ndim(shape, (3, 4), layer)
        k, s, pad, d = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
        ceil_mode = p.get("ceil_mode", False)
        if layer == "Conv2d" and shape[-3] != p["in_channels"]:
            raise _refuse(layer,
                f"Conv2d(in_channels={p['in_channels']}) needs {p['in_channels']} channels in "
                f"dimension {len(shape) - 3} (the C of "
                f"{'N, C, H, W' if len(shape) == 4 else 'C, H, W'}), but your input "
                f"{fmt_shape(shape)} has {shape[-3]}")
        if layer == "MaxPool2d" and 2 * pad > k:
            raise _refuse(layer,
                f"MaxPool2d's padding can be at most half the kernel size: padding={pad} "
                f"with kernel_size={k} is too much")
        lines = _window_check(layer, shape, k, s, pad, d, ceil_mode)
        h = conv_out(shape[-2], k, s, pad, d, ceil_mode)
        w = conv_out(shape[-1], k, s, pad, d, ceil_mode)
        c = p["out_channels"] if layer == "Conv2d" else shape[-3]
        return {"output": (*shape[:-3], c, h, w)}, lines
    if layer == "BatchNorm1d":
        _need_ndim(shape, (2, 3), layer)
        if shape[1] != p["num_features"]:
            raise _refuse(layer,
                f"BatchNorm1d(num_features={p['num_features']}) needs dimension 1 (C) to be "
                f"{p['num_features']}, but your input {fmt_shape(shape)} has {shape[1]} there")
        per_channel = shape[0] * (shape[2] if len(shape) == 3 else 1)
        if per_channel < 2:
            raise _refuse(layer,
                "in training mode BatchNorm1d needs more than one value per channel to compute "
                f"a batch variance; {fmt_shape(shape)} gives each channel {per_channel}, so "
                "use a batch of 2 or more")
        return {"output": shape}, [rf"\text{{same shape; each of the {shape[1]} channels "
                                   rf"normalised over {per_channel} values}}"]
    if layer == "LSTM":
        _need_ndim(shape, (2, 3), layer)
        if shape[-1] != p["input_size"]:
            raise _refuse(layer,
                f"LSTM(input_size={p['input_size']}) needs the last dimension to be "
                f"{p['input_size']}, but your input {fmt_shape(shape)} ends in {shape[-1]}")
        n_dir = 2 if p["bidirectional"] else 1
        h = p["hidden_size"]
        states = n_dir * p["num_layers"]
        if len(shape) == 2:
            seq = shape[0]
            out = {"output": (seq, n_dir * h), "h_n": (states, h), "c_n": (states, h)}
        else:
            seq, batch = (shape[1], shape[0]) if p["batch_first"] else (shape[0], shape[1])
            out_shape = (batch, seq, n_dir * h) if p["batch_first"] else (seq, batch, n_dir * h)
            out = {"output": out_shape, "h_n": (states, batch, h), "c_n": (states, batch, h)}
        return out, [
            rf"\text{{output: the last layer's hidden state at each of the {seq} steps}}"
            rf"\ ({n_dir}\cdot{h} = {n_dir * h}\text{{ features}})",
            rf"\text{{h\_n, c\_n: the final state of each layer and direction}}"
            rf"\ ({n_dir}\cdot{p['num_layers']} = {states})"]
    if layer == "Softmax":
        if not shape:
            raise _refuse(layer, "Softmax needs at least one dimension")
        if not -len(shape) <= p["dim"] < len(shape):
            raise _refuse(layer,
                f"dim={p['dim']} does not exist in a {len(shape)}-D input; use a dim from "
                f"{-len(shape)} to {len(shape) - 1}")
        return {"output": shape}, [rf"\text{{same shape; entries along dim {p['dim']} "
                                   rf"(size {shape[p['dim']]}) sum to 1}}"]
    return {"output": shape}, [r"\text{same shape: applied to every element on its own}"]


# How each window layer rounds its output size (Conv2d has no ceil_mode argument).
ROUNDING: dict[str, str] = {
    "Conv2d": "Conv2d always rounds down: a last window that would hang over the edge is "
              "dropped.",
    "MaxPool2d": "MaxPool2d rounds down, or up with `ceil_mode=True` (then a last, partial "
                 "window is kept, as long as it starts inside the input or its left "
                 "padding).",
}


def _tex(n: int) -> str:
    """A count with thousands separators that LaTeX does not space out."""
    return f"{n:,}".replace(",", "{,}")


def count_formula(layer: str, params: dict[str, Any]) -> tuple[int, str]:
    """The parameter count by hand, with its LaTeX derivation; tests hold it to PyTorch's."""
    p = _clean(layer, params)
    if layer == "Linear":
        i, o, b = p["in_features"], p["out_features"], p["bias"]
        n = i * o + (o if b else 0)
        return n, rf"{i}\cdot{o}" + (rf" + {o}" if b else "") + f" = {_tex(n)}"
    if layer == "Conv2d":
        ci, co, k, b = p["in_channels"], p["out_channels"], p["kernel_size"], p["bias"]
        n = co * ci * k * k + (co if b else 0)
        return n, rf"{co}\cdot{ci}\cdot{k}\cdot{k}" + (rf" + {co}" if b else "") + f" = {_tex(n)}"
    if layer == "BatchNorm1d":
        c = p["num_features"]
        if not p["affine"]:
            return 0, r"0\ \text{(affine=False: nothing to learn)}"
        return 2 * c, rf"2\cdot{c} = {_tex(2 * c)}\ \text{{(a scale and a shift per channel)}}"
    if layer == "LSTM":
        i, h, n_layers = p["input_size"], p["hidden_size"], p["num_layers"]
        n_dir = 2 if p["bidirectional"] else 1
        total, terms = 0, []
        for lay in range(n_layers):
            inp = i if lay == 0 else n_dir * h
            per = 4 * h * inp + 4 * h * h + 2 * 4 * h
            total += n_dir * per
            terms.append((rf"{n_dir}\cdot" if n_dir > 1 else "")
                         + rf"(4\cdot{h}\cdot{inp} + 4\cdot{h}\cdot{h} + 2\cdot4\cdot{h})")
        if len(terms) == 1:
            return total, f"{terms[0]} = {_tex(total)}"
        # one line per layer: a deep LSTM's sum is wider than the page
        return total, (r"\begin{aligned}&" + r" \\ +\ &".join(terms)
                       + rf" \\ =\ &{_tex(total)}\end{{aligned}}")
    return 0, r"0\ \text{(no parameters)}"


def lstm_work(params: dict[str, Any], shape: tuple[int, ...]) -> int:
    """Multiply-adds of one LSTM forward pass (4 gates, every layer and direction)."""
    p = _clean("LSTM", params)
    steps = math.prod(shape[:-1])  # time steps x batch
    n_dir = 2 if p["bidirectional"] else 1
    h, inp, work = p["hidden_size"], p["input_size"], 0
    for _ in range(p["num_layers"]):
        work += n_dir * 4 * h * (inp + h) * steps
        inp = n_dir * h
    return work


def probe_device(layer: str, params: dict[str, Any], shape: tuple[int, ...]) -> str:
    """Where `probe` runs the module: "cpu" for a small LSTM, else "meta"."""
    small = layer == "LSTM" and lstm_work(params, shape) <= REAL_LSTM_WORK
    return "cpu" if small else "meta"


def probe(layer: str, params: dict[str, Any], shape: tuple[int, ...]) -> Probe:
    """Check the rules, then ask a real module (meta device unless it is a small LSTM);
    LayerError if it won't fit. Cached: the answer depends only on the arguments."""
    cached = _probe(layer, tuple(sorted(_clean(layer, params).items())), tuple(shape))
    return replace(cached, params=dict(cached.params))  # callers may not change the cache


@functools.lru_cache(maxsize=512)
def _probe(layer: str, items: tuple[tuple[str, Any], ...], shape: tuple[int, ...]) -> Probe:
    params = dict(items)
    predicted, formulas = predict(layer, params, shape)
    device = probe_device(layer, params, shape)
    module = build(layer, params, device)
    x = torch.zeros(shape, device=device) if device == "cpu" else torch.empty(shape,
                                                                                device="meta")
    try:
        with torch.no_grad():
            y = module(x)
    except (RuntimeError, ValueError, IndexError) as exc:  # a rule this module does not know
        raise _refuse(layer, f"PyTorch refused this input: {str(exc).splitlines()[0]}"
                      ) from exc
    if layer == "LSTM":
        out, (h_n, c_n) = y
        outputs = {"output": tuple(out.shape), "h_n": tuple(h_n.shape), "c_n": tuple(c_n.shape)}
    else:
        outputs = {"output": tuple(y.shape)}
    if outputs != predicted:  # would mean the rules above are wrong: trust PyTorch, loudly
        raise AssertionError(f"rule predicted {predicted}, PyTorch gave {outputs}")
    tensors = [ParamInfo(n, tuple(t.shape), t.numel(), True) for n, t in module.named_parameters()]
    tensors += [ParamInfo(n, tuple(t.shape), t.numel(), False) for n, t in module.named_buffers()]
    _, cf = count_formula(layer, params)
    return Probe(layer, params, shape, outputs, tensors, formulas, cf, repr(module))
