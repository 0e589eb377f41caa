"""The zoom: one frame's arithmetic written out with the numbers of the followed sample.

Each `Line` is a formula with the real numbers put in and the real result read from the
record (a hook, a node of the graph, the optimizer's state). Where the page works a value
out for teaching, the chain rule's local derivative, one sample's share of a weight
gradient, the optimizer's update from its state, it does so in the functions below, and
the tests compare each with what PyTorch itself produced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ml101 import models
from ml101.autograd.graph import fmt_num, fmt_tensor
from ml101.step.frames import Stage, frames
from ml101.step.record import NodeRun, StepRecord, index_text, unravel
from ml101.step.settings import StepSettings

ADAM_EPS, RMSPROP_EPS, ADAGRAD_EPS = 1e-8, 1e-8, 1e-10  # PyTorch's defaults
ADAMW_DECAY = 1e-2  # AdamW's default weight_decay


@dataclass(frozen=True)
class Line:
    """`label`: what is computed; `formula`: with the numbers in; `value`: the result."""

    label: str
    formula: str
    value: str


def local_derivative(activation: str, z: torch.Tensor) -> torch.Tensor:
    """d act(z) / dz element by element, by autograd on a copy of z: the factor the
    activation's backward node multiplies the arriving gradient by."""
    zz = z.detach().clone().requires_grad_(True)
    act = torch.sigmoid if activation == "Sigmoid" else models.ACTIVATIONS[activation]()
    (local,) = torch.autograd.grad(act(zz), zz, torch.ones_like(zz))
    return local


def sample_share(source: torch.Tensor, arriving: torch.Tensor, i: int) -> torch.Tensor:
    """Sample i's part of dL/dW.T = source.T @ dL/dz: the outer product of its rows."""
    return torch.outer(source[i], arriving[i])


def predicted_update(settings: StepSettings, record: StepRecord, name: str) -> torch.Tensor:
    """The update PyTorch's rule gives from the gradient and the optimizer's state,
    worked out here (the page shows the real difference; the tests compare the two)."""
    g, w, after = record.grads[name], record.params_before[name], record.state_after[name]
    lr, key = settings.lr, settings.optimizer
    if key == "sgd":
        return -lr * g
    if key in ("momentum", "nesterov"):
        buf = after["momentum_buffer"]
        return -lr * (g + settings.momentum * buf if key == "nesterov" else buf)
    if key in ("adam", "adamw"):
        t = float(after["step"])
        b1, b2 = settings.betas
        m_hat = after["exp_avg"] / (1 - b1 ** t)
        v_hat = after["exp_avg_sq"] / (1 - b2 ** t)
        decay = w * (1 - lr * ADAMW_DECAY) - w if key == "adamw" else 0.0
        return decay - lr * m_hat / (v_hat.sqrt() + ADAM_EPS)
    if key == "rmsprop":
        return -lr * g / (after["square_avg"].sqrt() + RMSPROP_EPS)
    return -lr * g / (after["sum"].sqrt() + ADAGRAD_EPS)  # adagrad


def _p(x: float) -> str:
    """A number as an operand: in parentheses when negative, so −0.5 × (-0.06) reads."""
    text = fmt_num(x)
    return f"({text})" if text.startswith("-") else text


def _row(t: torch.Tensor, i: int) -> str:
    return fmt_tensor(t[i]) if t.dim() > 1 else fmt_num(float(t[i]))


def _source(record: StepRecord, position: int) -> str:
    return record.layers[position - 1].name if position else "x"


def lines(settings: StepSettings, record: StepRecord, k: int, sample: int) -> list[Line]:
    """The zoom for frame `k`, following row `sample` of the batch."""
    frame = frames(record)[k]
    i = min(sample, len(record.batch.x) - 1)
    if frame.part in ("left", "zeroed"):
        grads = record.grads_left if frame.part == "left" else record.grads_zeroed
        return [Line(f"{n}.grad", "", "None" if g is None else fmt_tensor(g))
                for n, g in grads.items()]
    if frame.stage is Stage.FORWARD:
        return _forward(record, frame.index, i)
    if frame.stage is Stage.LOSS:
        return _loss(settings, record, i)
    if frame.stage is Stage.BACKWARD:
        return _backward(settings, record, frame.index, i)
    if frame.part == "update":
        return _update(settings, record)
    name, at = worked_element(record)
    old, new = record.params_before[name], record.params_after[name]
    return [Line(f"{name}{index_text(at)} ← {name}{index_text(at)} + Δ",
                 f"{fmt_num(float(old[at]))} + {fmt_num(float(record.update(name)[at]))}",
                 fmt_num(float(new[at]))),
            Line("this batch's loss, before → after the step", fmt_num(record.loss),
                 fmt_num(record.loss_after))]


def _forward(record: StepRecord, index: int, i: int) -> list[Line]:
    p = record.layers[index]
    src = _source(record, index)
    if p.kind == "Linear":
        n = p.name[1:]
        w, b = record.params_before[f"W{n}"], record.params_before[f"b{n}"]
        return [Line(f"{p.name}[{i}] = {src}[{i}] @ W{n}.T + b{n}",
                     f"{_row(p.input, i)} @ {fmt_tensor(w.T)} + {fmt_tensor(b)}",
                     _row(p.output, i))]
    fn = p.kind.lower() if p.kind != "Sigmoid" else "sigmoid"
    return [Line(f"{p.name}[{i}] = {fn}({src}[{i}])", f"{fn}({_row(p.input, i)})",
                 _row(p.output, i))]


def _loss(settings: StepSettings, record: StepRecord, i: int) -> list[Line]:
    out, y = record.output, record.batch.y
    key = settings.loss
    yi = fmt_num(float(y[i])) if y.dim() == 1 else fmt_tensor(y[i])
    if key == "sigmoid_bce":
        term = Line(f"ℓ[{i}] = −(y·log p + (1 − y)·log(1 − p))",
                    f"y = {yi}, p = {_row(out, i)}", fmt_num(float(record.loss_terms[i])))
    elif key == "bce_logits":
        term = Line(f"ℓ[{i}] = −(y·log σ(z) + (1 − y)·log(1 − σ(z)))",
                    f"y = {yi}, z = {_row(out, i)}", fmt_num(float(record.loss_terms[i])))
    elif key == "cross_entropy":
        term = Line(f"ℓ[{i}] = −log softmax(z)[y]", f"y = {yi}, z = {_row(out, i)}",
                    fmt_num(float(record.loss_terms[i])))
    else:
        term = Line(f"ℓ[{i}] = (1 − p_true)² · CE", f"y = {yi}, z = {_row(out, i)}",
                    fmt_num(float(record.loss_terms[i])))
    terms = record.loss_terms.tolist()
    shown = " + ".join(fmt_num(t) for t in terms[:6]) + (" + …" if len(terms) > 6 else "")
    return [term, Line("L = mean(ℓ)", f"({shown}) / {len(terms)}", fmt_num(record.loss))]


def _backward(settings: StepSettings, record: StepRecord, index: int, i: int) -> list[Line]:
    r = record.nodes[index]
    b = len(record.batch.x)
    if r.param is not None:
        return [Line(f"{r.param}.grad was None: AccumulateGrad stores what arrives",
                     f"{r.param}.grad = ∂L/∂{r.param}", fmt_tensor(record.grads[r.param]))]
    if r.makes.endswith(".T"):
        w = r.makes[:-2]
        return [Line(f"TBackward0 undoes the .T: ∂L/∂{w} = (∂L/∂{w}.T).T",
                     f"({fmt_tensor(r.arriving)}).T", fmt_tensor(r.passed[0]))]
    if r.makes == "L":
        return [Line("backward() starts at the loss with ∂L/∂L", "", "1"),
                *_seed(settings, record, r, i, b)]
    if r.makes.startswith("z"):
        return _linear_back(record, r, i)
    layer = next((p for p in record.layers if p.name == r.makes), None)
    if layer is not None:  # an activation, or the Sigmoid head
        local = local_derivative(layer.kind, layer.input)
        fn = layer.kind.lower()
        return [Line(f"∂L/∂{layer.name}[{i}] arriving", "", _row(r.arriving, i)),
                Line(f"∂L/∂{_source(record, layer.position)}[{i}] = ∂L/∂{layer.name}[{i}] ⊙ "
                     f"{fn}′({_source(record, layer.position)}[{i}])",
                     f"{_row(r.arriving, i)} ⊙ {_row(local, i)}", _row(r.passed[0], i))]
    g = r.passed[0]
    return [Line(f"{r.kind} (inside the loss) passes on",
                 "", "None" if g is None else (_row(g, i) if g.dim() and len(g) == b
                                               else fmt_tensor(g)))]


def _seed(settings: StepSettings, record: StepRecord, r: NodeRun, i: int, b: int
          ) -> list[Line]:
    g = r.passed[0]
    if g is None:
        return []
    name = record.layers[-1].name
    out, y = record.output, record.batch.y
    if r.kind == "BinaryCrossEntropyBackward0":
        return [Line(f"∂L/∂p[{i}] = (p − y) / (p·(1 − p)) / {b}",
                     f"p = {_row(out, i)}, y = {_row(y, i)}", _row(g, i))]
    if r.kind == "BinaryCrossEntropyWithLogitsBackward0" and settings.loss == "bce_logits":
        return [Line(f"∂L/∂{name}[{i}] = (σ({name}) − y) / {b}",
                     f"z = {_row(out, i)}, y = {_row(y, i)}", _row(g, i))]
    if r.kind == "NllLossBackward0":
        return [Line(f"∂L/∂log_softmax[{i}] = −onehot(y) / {b}", f"y = {int(y[i])}",
                     _row(g, i))]
    return [Line(f"{r.kind} passes on", "", _row(g, i) if g.dim() and len(g) == b
                 else fmt_tensor(g))]


def _linear_back(record: StepRecord, r: NodeRun, i: int) -> list[Line]:
    layer = next(p for p in record.layers if p.name == r.makes)
    n = layer.name[1:]
    src = _source(record, layer.position)
    w = record.params_before[f"W{n}"]
    g_b, g_src, g_wt = r.passed
    out = [Line(f"∂L/∂{layer.name}[{i}] arriving", "", _row(r.arriving, i)),
           Line(f"∂L/∂b{n} = sum over the batch of ∂L/∂{layer.name}", "",
                fmt_tensor(g_b) if g_b is not None else "None")]
    if g_src is not None:
        out.append(Line(f"∂L/∂{src}[{i}] = ∂L/∂{layer.name}[{i}] @ W{n}",
                        f"{_row(r.arriving, i)} @ {fmt_tensor(w)}", _row(g_src, i)))
    else:
        out.append(Line(f"∂L/∂{src}: x has requires_grad=False, so the engine skips it",
                        "", "None"))
    share = sample_share(layer.input, r.arriving, i)
    out.append(Line(f"∂L/∂W{n}.T = {src}.T @ ∂L/∂{layer.name}; sample {i} adds "
                    f"{src}[{i}]ᵀ·∂L/∂{layer.name}[{i}]",
                    fmt_tensor(share), fmt_tensor(g_wt) if g_wt is not None else "None"))
    return out


def worked_element(record: StepRecord) -> tuple[str, tuple[int, ...]]:
    """The parameter element with the largest gradient: the one the zoom works out."""
    best, where = -1.0, ("W1", (0, 0))
    for name, g in record.grads.items():
        flat = int(g.abs().argmax())
        size = float(g.reshape(-1)[flat].abs())
        if size > best:
            best, where = size, (name, unravel(flat, tuple(g.shape)))
    return where


def _update(settings: StepSettings, record: StepRecord) -> list[Line]:
    """The optimizer's rule for the worked element, with its state before and after."""
    name, at = worked_element(record)
    e = index_text(at)
    g = float(record.grads[name][at])
    before, after = record.state_before[name], record.state_after[name]
    lr = settings.lr
    real = fmt_num(float(record.update(name)[at]))
    key = settings.optimizer

    def st(state: dict[str, torch.Tensor], k: str) -> str:
        return fmt_num(float(state[k][at])) if k in state else "0"

    def op(state: dict[str, torch.Tensor], k: str) -> str:  # as an operand
        return _p(float(state[k][at])) if k in state else "0"

    head = Line(f"the element with the largest gradient: {name}{e}", f"g = {fmt_num(g)}", "")
    if key == "sgd":
        return [head, Line("Δ = −lr·g  (plain SGD keeps no state)",
                           f"−{fmt_num(lr)} × {_p(g)}", real)]
    if key in ("momentum", "nesterov"):
        mu = fmt_num(settings.momentum)
        prev = op(before, "momentum_buffer") if before else "(none yet: buf = g)"
        out = [head, Line("buf = μ·buf + g  (optimizer.state[p]['momentum_buffer'])",
                          f"{mu} × {prev} + {_p(g)}" if before else prev,
                          st(after, "momentum_buffer"))]
        if key == "nesterov":
            out.append(Line("Δ = −lr·(g + μ·buf)", f"−{fmt_num(lr)} × ({_p(g)} + {mu} × "
                            f"{op(after, 'momentum_buffer')})", real))
        else:
            out.append(Line("Δ = −lr·buf", f"−{fmt_num(lr)} × {op(after, 'momentum_buffer')}",
                            real))
        return out
    if key in ("adam", "adamw"):
        b1, b2 = settings.betas
        t = int(float(after["step"]))
        m, v = float(after["exp_avg"][at]), float(after["exp_avg_sq"][at])
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        out = [head,
               Line(f"m = β1·m + (1 − β1)·g  (exp_avg, step t = {t})",
                    f"{fmt_num(b1)} × {op(before, 'exp_avg')} + {fmt_num(1 - b1)} × "
                    f"{fmt_num(g)}", fmt_num(m)),
               Line("v = β2·v + (1 − β2)·g²  (exp_avg_sq)",
                    f"{fmt_num(b2)} × {op(before, 'exp_avg_sq')} + {fmt_num(1 - b2)} × "
                    f"{fmt_num(g)}²", fmt_num(v)),
               Line("bias-corrected: m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ)",
                    f"{fmt_num(m)} / {fmt_num(1 - b1 ** t)}, {fmt_num(v)} / "
                    f"{fmt_num(1 - b2 ** t)}", f"{fmt_num(m_hat)}, {fmt_num(v_hat)}")]
        step = f"{fmt_num(lr)} × {_p(m_hat)} / (√{fmt_num(v_hat)} + 1e-8)"
        if key == "adamw":
            w = float(record.params_before[name][at])
            out.append(Line(f"Δ = −lr·λ·w − lr·m̂ / (√v̂ + ε)  (λ = {ADAMW_DECAY:g})",
                            f"−{fmt_num(lr)} × {ADAMW_DECAY:g} × {_p(w)} − {step}", real))
        else:
            out.append(Line("Δ = −lr·m̂ / (√v̂ + ε)", f"−{step}", real))
        return out
    if key == "rmsprop":
        v = st(after, "square_avg")
        return [head, Line("v = α·v + (1 − α)·g²  (square_avg, α = 0.99)",
                           f"0.99 × {op(before, 'square_avg')} + 0.01 × {_p(g)}²", v),
                Line("Δ = −lr·g / (√v + ε)", f"−{fmt_num(lr)} × {_p(g)} / √{v}", real)]
    s = st(after, "sum")
    return [head, Line("sum = sum + g²  (Adagrad's state 'sum')",
                       f"{op(before, 'sum')} + {_p(g)}²", s),
            Line("Δ = −lr·g / (√sum + ε)", f"−{fmt_num(lr)} × {_p(g)} / √{s}", real)]


def is_finite(record: StepRecord) -> bool:
    """Whether the step stayed finite (a huge learning rate can overflow)."""
    return math.isfinite(record.loss) and math.isfinite(record.loss_after)
