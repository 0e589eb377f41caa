"""One real training step, recorded as it runs: every tensor the page shows is read here.

`record_step` runs `zero_grad()`, the forward pass, the loss, `backward()` and `step()` on a
real `nn.Sequential` and a real `torch.optim` optimizer, exactly as the lesson's loop does,
and keeps copies of what each part produced: `.grad` before and after `zero_grad()`
(forward hooks give each layer's input and output), the loss, and for `backward()` a hook
on every node of the recorded graph, so the nodes come out in the order PyTorch's engine
runs them, each with the gradient that arrived and the gradients it passed on. The
optimizer's state (momentum buffer, Adam's m and v) is read from `optimizer.state`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ml101.inputs import fmt_shape

Tensors = dict[str, torch.Tensor]
Grads = dict[str, torch.Tensor | None]


@dataclass(frozen=True)
class Batch:
    """One batch as the DataLoader served it, and where it sits in the epoch."""

    number: int  # the training step it feeds, from 1
    epoch: int  # from 1
    index: int  # the batch within its epoch, from 1
    per_epoch: int
    rows: torch.Tensor  # the dataset rows it holds, in the order served
    x: torch.Tensor
    y: torch.Tensor  # targets in the shape and dtype the loss expects


@dataclass(frozen=True)
class LayerPass:
    """One module of the Sequential, run forward: what went in, what came out."""

    position: int  # model[position]
    kind: str  # Linear, ReLU, Sigmoid, ...
    name: str  # the output's name on the page: z1, h1, p
    input: torch.Tensor
    output: torch.Tensor


@dataclass(frozen=True)
class NodeRun:
    """One node of the backward graph as the engine ran it."""

    kind: str  # the grad_fn class, e.g. AddmmBackward0, or AccumulateGrad
    makes: str  # the page's name for the tensor this node's forward op made ("" if none)
    param: str | None  # AccumulateGrad: the parameter whose .grad it writes
    arriving: torch.Tensor  # dL/d(what the node made): grad_outputs[0]
    passed: tuple[torch.Tensor | None, ...]  # grad_inputs, one per next function
    to: tuple[int | None, ...]  # for each, the index (in run order) of the node receiving it


@dataclass(frozen=True)
class StepRecord:
    """Everything one training step did, in the order it did it."""

    batch: Batch
    params_before: Tensors  # keyed by the page's names: W1, b1, W2, ...
    grads_left: Grads  # .grad as the previous step's backward() left it
    grads_zeroed: Grads  # .grad right after optimizer.zero_grad()
    layers: tuple[LayerPass, ...]
    loss: float
    loss_terms: torch.Tensor  # each sample's share; their mean is the loss
    nodes: tuple[NodeRun, ...]  # in the engine's order
    grads: Tensors  # .grad after backward()
    state_before: dict[str, dict[str, torch.Tensor]]
    state_after: dict[str, dict[str, torch.Tensor]]
    params_after: Tensors
    loss_after: float  # the same batch through the updated model

    @property
    def output(self) -> torch.Tensor:
        return self.layers[-1].output

    def update(self, name: str) -> torch.Tensor:
        """What step() changed: new minus old, read from the two copies."""
        return self.params_after[name] - self.params_before[name]


def param_names(model: nn.Sequential) -> dict[str, str]:
    """PyTorch's names ('0.weight') to the page's (W1): one W and b per Linear, in order."""
    names: dict[str, str] = {}
    for number, position in enumerate(linear_positions(model), start=1):
        names[f"{position}.weight"] = f"W{number}"
        names[f"{position}.bias"] = f"b{number}"
    return names


def linear_positions(model: nn.Sequential) -> list[int]:
    return [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]


def output_names(model: nn.Sequential) -> list[str]:
    """The page's name for each module's output: z after a Linear, h after an activation,
    p after the Sigmoid head."""
    names, number = [], 0
    for i, module in enumerate(model):
        if isinstance(module, nn.Linear):
            number += 1
            names.append(f"z{number}")
        elif i == len(model) - 1 and isinstance(module, nn.Sigmoid):
            names.append("p")
        else:
            names.append(f"h{number}")
    return names


def _copy(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.detach().clone()


def _state(optimizer: torch.optim.Optimizer, params: dict[str, nn.Parameter]
           ) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {k: v.detach().clone() for k, v in optimizer.state.get(p, {}).items()
                   if isinstance(v, torch.Tensor)}
            for name, p in params.items()}


def record_step(model: nn.Sequential, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
                batch: Batch, terms: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
                ) -> StepRecord:
    """Run one step of the lesson's loop on `batch` and keep every tensor it made.

    `terms(output, target)` gives each sample's loss (reduction='none'), for the formula."""
    rename = param_names(model)
    params = {rename[n]: p for n, p in model.named_parameters()}
    before = {n: p.detach().clone() for n, p in params.items()}
    grads_left = {n: _copy(p.grad) for n, p in params.items()}
    optimizer.zero_grad()
    grads_zeroed = {n: _copy(p.grad) for n, p in params.items()}

    passes: list[LayerPass] = []
    made: dict[int, str] = {}  # id(grad_fn) -> the tensor's name
    alive: list[object] = []  # the grad_fn objects named in `made`, so their ids stay theirs
    names = output_names(model)

    def keep(position: int) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            passes.append(LayerPass(position, type(module).__name__, names[position],
                                    inputs[0].detach().clone(), output.detach().clone()))
            if output.grad_fn is not None:
                alive.append(output.grad_fn)
                made[id(output.grad_fn)] = names[position]
        return hook

    handles = [m.register_forward_hook(keep(i)) for i, m in enumerate(model)]
    try:
        out = model(batch.x)
    finally:
        for h in handles:
            h.remove()
    loss = loss_fn(out, batch.y)
    with torch.no_grad():
        loss_terms = terms(out, batch.y).detach().reshape(-1)
    alive.append(loss.grad_fn)
    made[id(loss.grad_fn)] = "L"

    nodes = _backward(loss, made, {id(p): n for n, p in params.items()})
    grads = {n: p.grad.detach().clone() for n, p in params.items() if p.grad is not None}
    state_before = _state(optimizer, params)
    optimizer.step()
    after = {n: p.detach().clone() for n, p in params.items()}
    with torch.no_grad():
        loss_after = float(loss_fn(model(batch.x), batch.y))
    return StepRecord(batch, before, grads_left, grads_zeroed, tuple(passes), loss.item(),
                      loss_terms, nodes, grads, state_before, _state(optimizer, params),
                      after, loss_after)


def _backward(loss: torch.Tensor, made: dict[int, str], leaves: dict[int, str]
              ) -> tuple[NodeRun, ...]:
    """loss.backward() with a hook on every node: the runs in the engine's order."""
    found: dict[int, object] = {}
    todo = [loss.grad_fn]
    while todo:
        fn = todo.pop(0)
        if fn is None or id(fn) in found:
            continue
        found[id(fn)] = fn
        todo.extend(f for f, _ in fn.next_functions)
    runs: list[tuple[object, torch.Tensor, tuple]] = []
    handles = []
    for fn in found.values():
        def hook(grad_inputs: tuple, grad_outputs: tuple, fn: object = fn) -> None:
            runs.append((fn, grad_outputs[0].detach().clone(),
                         tuple(_copy(g) for g in grad_inputs)))
        handles.append(fn.register_hook(hook))  # type: ignore[attr-defined]
    try:
        loss.backward()
    finally:
        for h in handles:
            h.remove()
    order = {id(fn): i for i, (fn, _, _) in enumerate(runs)}
    out = []
    for fn, arriving, passed in runs:
        kind = type(fn).__name__
        param = leaves.get(id(fn.variable)) if kind == "AccumulateGrad" else None  # type: ignore[attr-defined]
        makes = made.get(id(fn), "")
        if kind == "TBackward0":  # the .T of x @ W.T: it makes W.T from the weight
            (acc, _), = fn.next_functions  # type: ignore[attr-defined]
            makes = f"{leaves[id(acc.variable)]}.T"
        to = tuple(order.get(id(f)) if f is not None else None
                   for f, _ in fn.next_functions)  # type: ignore[attr-defined]
        out.append(NodeRun(kind, makes or (param or ""), param, arriving, passed, to))
    return tuple(out)


def unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of element `flat` of a tensor of `shape`, as (row, col, ...)."""
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return tuple(reversed(out))


def index_text(at: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, at)) + "]"


def every_number(record: StepRecord) -> list[dict[str, object]]:
    """One row per number the step produced, in the order of the loop: the picture's
    text alternative, and what the exported code prints."""
    rows: list[dict[str, object]] = []

    def add(part: str, name: str, t: torch.Tensor | float | None) -> None:
        if t is None:
            rows.append({"part": part, "tensor": name, "shape": "None", "index": "",
                         "value": None})
            return
        t = torch.as_tensor(t)
        shape = tuple(t.shape)
        for j, v in enumerate(t.reshape(-1).tolist()):
            rows.append({"part": part, "tensor": name, "shape": fmt_shape(shape),
                         "index": index_text(unravel(j, shape)) if shape else "", "value": v})

    add("batch", "x", record.batch.x)
    add("batch", "y", record.batch.y)
    for name, g in record.grads_left.items():
        add("1 zero_grad", f"{name}.grad before", g)
    for name, w in record.params_before.items():
        add("2 forward", name, w)
    for p in record.layers:
        add("2 forward", f"model[{p.position}] {p.kind}: {p.name}", p.output)
    add("3 loss", "ℓ (each sample)", record.loss_terms)
    add("3 loss", "L", record.loss)
    for i, r in enumerate(record.nodes, start=1):
        add("4 backward", f"node {i} {r.kind}: gradient arriving", r.arriving)
    for name, g in record.grads.items():
        add("4 backward", f"{name}.grad", g)
    for name, new in record.params_after.items():
        add("5 step", f"{name} update", record.update(name))
        add("5 step", f"{name} after step()", new)
        for key, value in record.state_after[name].items():
            add("5 step", f"optimizer.state[{name}][{key!r}]", value)
    add("5 step", "L after the step", record.loss_after)
    return rows
