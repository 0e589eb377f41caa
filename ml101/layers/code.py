"""The scripts behind "Show the code" on the Layers page.

`code_for(setup)` writes the script for one layer as the page shows it (`LayerSetup`):
it builds the layer under the page's seed, recomputes the picture and prints its numbers
in the page's own formats, then prints the shapes and parameter counts. `code_for(cmp)`
writes SimpleNet as a class and as nn.Sequential (`Comparison`). Random draws come in
the order the demos make them, so the numbers match the page's.
"""

from __future__ import annotations

import math
from functools import singledispatch

import numpy as np

from ml101.layers import demos
from ml101.layers.demos import LayerSetup
from ml101.layers.simplenet import Comparison, act_attr, name_map

_BIG_INPUT = 10**7  # elements: a bigger input is probed on the meta device in the script too


@singledispatch
def code_for(view: object) -> str:
    """The runnable script that reproduces `view` (a LayerSetup or a Comparison)."""
    raise TypeError(f"no script for {type(view).__name__}")


def _call(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape))


def _literal(w: np.ndarray) -> str:
    """A float32 matrix as a list literal that reads back to the same float32 numbers."""
    rows = [", ".join(str(np.float32(v)) for v in row) for row in w.tolist()]
    return "[" + ",\n     ".join(f"[{r}]" for r in rows) + "]"


def _linear(s: LayerSetup) -> list[str]:
    p = s.args
    if not demos.runs_live("Linear", p):
        return []
    n, cut = demos.SHOWN, max(p["in_features"], p["out_features"]) > demos.SHOWN
    part = f"[:{n}, :{n}]" if cut else ""
    rows = f"[:, :{n}]" if cut else ""
    lines = [
        "# The picture: a seeded input through the layer, y = x @ W.T + b",
        f"x = torch.randn({demos.LINEAR_ROWS}, {p['in_features']})",
        "with torch.no_grad():",
        "    y = layer(x)",
        f'print("W.T =", layer.weight.detach().T{part})',
    ]
    if p["bias"]:
        lines.append(f'print("b =", layer.bias.detach(){"[:" + str(n) + "]" if cut else ""})')
    return [*lines, f'print("x =", x{rows})', f'print("y =", y{rows})']


def _curve(s: LayerSetup) -> list[str]:
    reach, per = demos.CURVE_REACH, demos.CURVE_PER_UNIT
    n = reach * per
    return [
        "# The picture: the curve and its slope, from autograd",
        f"x = (torch.arange({-n}, {n + 1}, dtype=torch.float64) / {per}).requires_grad_()"
        f"  # {-reach} to {reach}",
        "(slope,) = torch.autograd.grad(layer(x).sum(), x)",
        "top = int(slope.argmax())",
        'print(f"Largest slope on this range: {slope[top]:.4f} at x = {x[top]:.2f}; "',
        '      f"smallest: {slope.min():.4f}.")',
    ]


def _softmax(s: LayerSetup) -> list[str]:
    dim = s.args["dim"]
    if not -2 <= dim <= 1:
        return []
    return [
        "# The picture: softmax of a small seeded matrix",
        f"logits = torch.randn({_call(demos.SOFTMAX_SHAPE)}, "
        f"generator=torch.Generator().manual_seed({s.seed}))",
        "probs = layer(logits)",
        'print("input", logits)',
        'print("softmax", probs)',
        f'print("sums:", ", ".join(f"{{v:.6f}}" for v in probs.sum(dim={dim}).tolist()))',
    ]


def _kernel(name: str, k: int, seed: int) -> str:
    if name == "random":
        return f"w = torch.randn({k}, {k}, generator=torch.Generator().manual_seed({seed}))"
    return f"w = torch.tensor({_literal(demos.kernel(name, k).numpy())})  # {name}"


def _window(s: LayerSetup) -> list[str]:
    p, conv = s.args, s.layer == "Conv2d"
    k, st, pad, d = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
    ceil_mode = bool(p.get("ceil_mode", False))
    size = demos.IMAGE_SIZE
    if not demos.window_fits("conv" if conv else "max", size, k, st, pad, d, ceil_mode):
        return []
    w = demos.slide("conv" if conv else "max", k, st, pad, d, s.position, s.kernel, s.seed,
                    ceil_mode)
    span = d * (k - 1) + 1
    lines = [
        f"# The picture: a {size}x{size} image, one channel; the window at output ({w.i}, "
        f"{w.j})",
        f"img = torch.zeros({size}, {size})",
        "img[2:6, 2:6] = 1.0",
        f"idx = torch.arange({size})",
        "img[idx, idx] += 0.5  # a diagonal stroke",
    ]
    if conv:
        lines += [
            _kernel(s.kernel, k, s.seed),
            f"out = F.conv2d(img[None, None], w[None, None], stride={st}, padding={pad}, "
            f"dilation={d})[0, 0]",
            f"padded = F.pad(img, ({pad}, {pad}, {pad}, {pad}))  # zeros around the border",
        ]
    else:
        lines += [
            "out = layer(img[None, None])[0, 0]",
            f"padded = F.pad(img, ({pad}, {pad}, {pad}, {pad}), value=-math.inf)",
        ]
    window = (f"padded[{w.i * st}:{w.i * st + span}:{d}, {w.j * st}:{w.j * st + span}:{d}]")
    by_hand = "(window * w).sum()" if conv else "window.max()"
    return [*lines,
            "print(out)",
            f"window = {window}",
            f'print(f"Output ({w.i}, {w.j}) by hand: {{{by_hand}:.4f}}; '
            f'PyTorch: {{out[{w.i}, {w.j}]:.4f}}")']


def _dropout(s: LayerSetup) -> list[str]:
    p = s.args["p"]
    return [
        "# The picture: dropout on ones, so the mask and the scaling show",
        f"x = torch.ones({_call(demos.DROPOUT_SHAPE)})",
        "layer.train()",
        "y = layer(x)",
        "print(y)",
        f'print(f"Kept {{(y != 0).float().mean():.1%}} of the elements (expected '
        f'{1 - p:.0%}), each multiplied by 1/(1-p) = {{1 / (1 - {p!r}):.4f}}; mean '
        f'{{y.mean():.4f}}.")',
        "layer.eval()",
        'print("eval() changes nothing:", torch.equal(layer(x), x))',
    ]


def _batchnorm(s: LayerSetup) -> list[str]:
    p = s.args
    nf, m = p["num_features"], p["momentum"]
    mean, std = demos.BN_DATA
    batch, shown = demos.BN_BATCH, demos.BN_SHOWN
    draw = f"{mean} + {std} * torch.randn({batch}, {nf}, generator=g)"
    return [
        f"# The picture: {s.steps} training batches from N({mean:g}, {std:g}²), then one more",
        f"g = torch.Generator().manual_seed({s.seed})",
        f"run_mean, run_var = torch.zeros({nf}), torch.ones({nf})",
        "err = 0.0",
        "layer.train()",
        "with torch.no_grad():",
        f"    for step in range({s.steps}):",
        f"        batch = {draw}",
        "        layer(batch)",
        f"        run_mean = (1 - {m!r}) * run_mean + {m!r} * batch.mean(0)",
        f"        run_var = (1 - {m!r}) * run_var + {m!r} * batch.var(0)  # unbiased",
        "        err = max(err, (run_mean - layer.running_mean).abs().max().item(),",
        "                  (run_var - layer.running_var).abs().max().item())",
        'print(f"recurrence by hand vs the buffers: max difference {err:.2e}")',
        f'print("running_mean", layer.running_mean[:{shown}])',
        f'print("running_var ", layer.running_var[:{shown}])',
        f"test = {draw}",
        "with torch.no_grad():",
        "    saved = layer.running_mean.clone(), layer.running_var.clone()",
        f"    y_train = layer.train()(test)[:, :{shown}]",
        "    layer.running_mean.copy_(saved[0])  # undo train()'s update: compare eval fairly",
        "    layer.running_var.copy_(saved[1])",
        f"    y_eval = layer.eval()(test)[:, :{shown}]",
        'print("train(): mean", y_train.mean(0), "std", y_train.std(0, unbiased=False))',
        'print("eval():  mean", y_eval.mean(0), "std", y_eval.std(0, unbiased=False))',
    ]


def _lstm(s: LayerSetup) -> list[str]:
    p = s.args
    if not demos.runs_live("LSTM", p):
        return []
    seq, batch, _ = demos.lstm_demo_size(p, s.shape)
    h, bf, bd = p["hidden_size"], p["batch_first"], p["bidirectional"]
    lines = [
        f"# The picture: a seeded sequence of {seq} steps, batch {batch}",
        f"x = torch.randn({seq}, {batch}, {p['input_size']})  # (L, N, input_size)",
        f"xin = {'x.transpose(0, 1)  # batch_first: (N, L, input_size)' if bf else 'x'}",
        "with torch.no_grad():",
        "    output, (h_n, c_n) = layer(xin)",
        f"    out = {'output.transpose(0, 1)' if bf else 'output'}  # (L, N, features)",
    ]
    if bd:
        return [*lines,
                f"    fwd = (out[-1, :, :{h}] - h_n[-2]).abs().max()",
                f"    back = (out[0, :, {h}:] - h_n[-1]).abs().max()",
                'print(f"forward half of the last output vs h_n[-2]: {fwd:.1e}; "',
                '      f"backward half of the first output vs h_n[-1]: {back:.1e}")']
    step_in = "xin[:, t:t + 1]" if bf else "xin[t:t + 1]"
    step_out = "step_out[:, 0]" if bf else "step_out[0]"
    return [*lines,
            "    state, diff = None, 0.0",
            f"    for t in range({seq}):",
            f"        step_out, state = layer({step_in}, state)",
            f"        diff = max(diff, ({step_out} - out[t]).abs().max().item())",
            "    last = (out[-1] - h_n[-1]).abs().max()",
            'print(f"one step at a time vs the whole sequence: max difference {diff:.1e}; "',
            '      f"last output vs h_n[-1]: {last:.1e}")',
            f'print("h[0..3] of sample 0 over time:", out[:, 0, :{min(4, h)}])']


_PICTURES = {"Linear": _linear, "Conv2d": _window, "MaxPool2d": _window,
             "BatchNorm1d": _batchnorm, "Dropout": _dropout, "LSTM": _lstm,
             "Softmax": _softmax}


@code_for.register
def _(s: LayerSetup) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in s.params)
    picture = _PICTURES.get(s.layer, _curve)(s)
    uses_f = s.layer in ("Conv2d", "MaxPool2d") and picture
    big = math.prod(s.shape) > _BIG_INPUT
    make_x = (f"x = torch.empty({_call(s.shape)}, device='meta')  # too big to fill: the "
              "meta device knows shapes only\nlayer = layer.to('meta')"
              if big else f"x = torch.randn({_call(s.shape)}{',' if len(s.shape) == 1 else ''})")
    lines = [
        *(["import math", ""] if uses_f and s.layer == "MaxPool2d" else []),
        "import torch",
        *(["import torch.nn.functional as F"] if uses_f else []),
        "from torch import nn",
        "",
        "torch.set_printoptions(precision=4, sci_mode=False)",
        f"torch.manual_seed({s.seed})",
        f"layer = nn.{s.layer}({args})",
        "print(layer)",
        "",
        *picture,
        *([""] if picture else []),
        "# Shapes and parameters for the input shape on the page",
        make_x,
        "with torch.no_grad():",
        "    y = layer(x)",
        'print("input ", tuple(x.shape))',
    ]
    if s.layer == "LSTM":
        lines += ["output, (h_n, c_n) = y",
                  'print("output", tuple(output.shape))',
                  'print("h_n   ", tuple(h_n.shape))',
                  'print("c_n   ", tuple(c_n.shape))']
    else:
        lines.append('print("output", tuple(y.shape))')
    lines += [
        "for name, t in layer.named_parameters():",
        '    print("param ", name, tuple(t.shape), t.numel())',
        "for name, t in layer.named_buffers():",
        '    print("buffer", name, tuple(t.shape), t.numel())',
        'print("total trainable parameters:", sum(t.numel() for t in layer.parameters()))',
    ]
    return "\n".join(lines) + "\n"


@code_for.register
def _(cmp: Comparison) -> str:
    sizes, hidden, output = cmp.sizes, cmp.hidden, cmp.output
    n = len(sizes) - 1
    act = act_attr(hidden)
    init = [f"        self.fc1 = nn.Linear({sizes[0]}, {sizes[1]})"]
    if n > 1:
        init.append(f"        self.{act} = nn.{hidden}()")
    init += [f"        self.fc{i + 1} = nn.Linear({sizes[i]}, {sizes[i + 1]})" for i in range(1, n)]
    if output != "none":
        init.append("        self.sigmoid = nn.Sigmoid()")
    fwd = [f"        x = self.{act}(self.fc{i}(x))" for i in range(1, n)]
    last = f"self.fc{n}(x)"
    ret = f"self.sigmoid({last})" if output != "none" else last
    fwd.append(f"        return {ret}")
    seq = []
    for i in range(n):
        seq.append(f"    nn.Linear({sizes[i]}, {sizes[i + 1]}),")
        if i < n - 1:
            seq.append(f"    nn.{hidden}(),")
    if output != "none":
        seq.append("    nn.Sigmoid(),")
    mapping = ", ".join(f'"{k}": "{v}"' for k, v in name_map(n).items())
    return "\n".join([
        "import torch",
        "from torch import nn",
        "",
        "",
        "class SimpleNet(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        "    def forward(self, x):",
        *fwd,
        "",
        "",
        f"torch.manual_seed({cmp.seed})",
        "net = SimpleNet()",
        f"x = torch.randn({len(cmp.x)}, {sizes[0]})",
        "seq = nn.Sequential(",
        *seq,
        ")",
        "print(net)",
        "print(seq)",
        "for name, p in net.named_parameters():",
        "    print(name, tuple(p.shape))",
        'print("parameters:", sum(p.numel() for p in net.parameters()))',
        "",
        "with torch.no_grad():",
        "    out_net = net(x)",
        '    print("before copying:", (out_net - seq(x)).abs().max().item())',
        f"    names = {{{mapping}}}",
        "    seq.load_state_dict({names[k]: v for k, v in net.state_dict().items()})",
        "    out_seq = seq(x)",
        '    print("after copying:", (out_net - out_seq).abs().max().item())',
        '    print("identical:", torch.equal(out_net, out_seq))',
        "    print(out_net.squeeze(-1).tolist())",
    ]) + "\n"
