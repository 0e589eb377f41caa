"""PyTorch's own autograd graph, walked and traced through backward.

`trace` evaluates a checked program (see ml101.autograd.expression), walks `grad_fn` and
`next_functions` from the output, and runs the real `backward()` with a hook on every
node, so the steps come out in the order PyTorch's engine runs them, each with the
gradient that arrived (upstream) and the gradients it passed on. `chain_rule` spells one
step out with its numbers; `ml101.autograd.charts` draws the graph at any step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from ml101.autograd.expression import (
    Evaluation,
    OpRecord,
    Program,
    Value,
    Variable,
    evaluate,
    make_leaves,
)

FD_STEP = 1e-6

# Ops whose Jacobian is diagonal when input and output shapes agree: there the
# vector-Jacobian product with ones is the per-element local derivative.
ELEMENTWISE = frozenset({
    "AddBackward0", "SubBackward0", "RsubBackward1", "MulBackward0", "DivBackward0",
    "PowBackward0", "PowBackward1", "NegBackward0", "SinBackward0", "CosBackward0",
    "TanBackward0", "ExpBackward0", "LogBackward0", "SqrtBackward0", "AbsBackward0",
    "TanhBackward0", "SigmoidBackward0", "ReluBackward0", "ReciprocalBackward0",
})


def fmt_num(value: float) -> str:
    """Four significant digits, no trailing zeros, no '-0'."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def fmt_tensor(value: Value, limit: int = 6) -> str:
    """A tensor as a short list, e.g. [2.667, 5.333, 8]; long rows end in …."""
    if not isinstance(value, torch.Tensor):
        return fmt_num(float(value))
    return _fmt_nested(value.detach().tolist(), limit)


def _fmt_nested(value: float | list, limit: int) -> str:
    if not isinstance(value, list):
        return fmt_num(value)
    items = [_fmt_nested(v, limit) for v in value[:limit]]
    return "[" + ", ".join(items) + (", …" if len(value) > limit else "") + "]"


@dataclass
class Node:
    """One node of the backward graph: a grad_fn, or a leaf's AccumulateGrad."""

    index: int
    kind: str  # grad_fn class name, e.g. MulBackward0
    record: OpRecord | None = None  # the learner's op that produced it, if any
    leaf: str | None = None  # for AccumulateGrad: the variable's name
    inputs: list[int | None] = field(default_factory=list)  # next_functions, as indices

    @property
    def title(self) -> str:
        if self.leaf:
            return f"{self.kind} → {self.leaf}.grad"
        if self.record:
            name = f"{self.record.name} = " if self.record.name else ""
            return f"{self.kind}: {name}{self.record.text}"
        return self.kind


@dataclass
class Step:
    """One node run by the engine: gradient in, local derivatives, gradients out."""

    node: int
    upstream: torch.Tensor
    passed: list[torch.Tensor | None]
    local: list[torch.Tensor | None]  # per input; None where no simple local form exists
    grad_after: torch.Tensor | None = None  # for AccumulateGrad: the leaf's .grad after


@dataclass
class Trace:
    """One program run forward and backward on the learner's variables."""

    program: Program
    variables: dict[str, Variable]
    requires_grad: dict[str, bool]
    evaluation: Evaluation
    leaves: dict[str, torch.Tensor]
    nodes: list[Node]
    steps: list[Step]
    seeded_with_ones: bool  # non-scalar output: backward(gradient=ones_like(out))
    note: str = ""  # why there is no graph, when there is none

    @property
    def output(self) -> Value:
        return self.evaluation.output

    def node_grads(self, upto: int) -> dict[int, torch.Tensor]:
        """The gradient that has reached each node after the first `upto` steps."""
        return {s.node: s.upstream for s in self.steps[:upto]}

    def leaf_grads(self, upto: int | None = None) -> dict[str, torch.Tensor | None]:
        """Each variable's .grad after `upto` steps (all steps when None)."""
        steps = self.steps if upto is None else self.steps[:upto]
        grads: dict[str, torch.Tensor | None] = dict.fromkeys(self.leaves)
        for s in steps:
            leaf = self.nodes[s.node].leaf
            if leaf:
                grads[leaf] = s.grad_after
        return grads


def trace(program: Program, variables: Mapping[str, Variable],
          requires_grad: Mapping[str, bool]) -> Trace:
    """Evaluate, walk the graph, and run backward once with a hook on every node."""
    variables = dict(variables)
    requires_grad = {n: bool(requires_grad.get(n, True)) for n in variables}
    leaves = make_leaves(variables, requires_grad)
    ev = evaluate(program, leaves)
    out = ev.output
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        if isinstance(out, torch.Tensor) and out.requires_grad:
            note = (f"`{program.output}` is the variable itself: no operation was recorded, "
                    "so the graph is empty.")
        else:
            note = (f"`{program.output}` does not require grad: none of the variables it uses "
                    "has requires_grad=True, so PyTorch recorded no graph (grad_fn is None).")
        return Trace(program, variables, requires_grad, ev, leaves, [], [], False, note)
    nodes, by_id = _walk(out.grad_fn, ev, leaves)
    steps: list[Step] = []
    handles = []
    for node_obj, node in by_id.values():
        def hook(grad_inputs: tuple, grad_outputs: tuple, node: Node = node) -> None:
            steps.append(Step(node.index, grad_outputs[0].detach().clone(),
                              [g.detach().clone() if g is not None else None
                               for g in grad_inputs], []))
        handles.append(node_obj.register_hook(hook))
    seeded = out.numel() != 1
    out.backward(torch.ones_like(out) if seeded else None, retain_graph=True)
    for h in handles:
        h.remove()
    objs = {node.index: obj for obj, node in by_id.values()}
    running: dict[str, torch.Tensor] = {}
    for step in steps:
        node = nodes[step.node]
        if node.leaf:
            prev = running.get(node.leaf)
            running[node.leaf] = step.upstream if prev is None else prev + step.upstream
            step.grad_after = running[node.leaf]
            step.local = []
        else:
            step.local = _local_derivatives(objs[step.node], node.kind, step)
    return Trace(program, variables, requires_grad, ev, leaves, nodes, steps, seeded)


def _walk(root: object, ev: Evaluation, leaves: Mapping[str, torch.Tensor]
          ) -> tuple[list[Node], dict[int, tuple[object, Node]]]:
    names = {id(t): n for n, t in leaves.items()}
    by_id: dict[int, tuple[object, Node]] = {}
    nodes: list[Node] = []
    order = [root]
    while order:
        obj = order.pop(0)
        if id(obj) in by_id:
            continue
        kind = type(obj).__name__
        leaf = names.get(id(obj.variable)) if kind == "AccumulateGrad" else None
        node = Node(len(nodes), kind, ev.record_for(obj), leaf)
        by_id[id(obj)] = (obj, node)
        nodes.append(node)
        order.extend(fn for fn, _ in obj.next_functions if fn is not None)
    for obj, node in by_id.values():
        node.inputs = [by_id[id(fn)][1].index if fn is not None else None
                       for fn, _ in obj.next_functions]
    return nodes, by_id


def _local_derivatives(obj: object, kind: str, step: Step) -> list[torch.Tensor | None]:
    """Per input, d(node output)/d(input) where it has a simple exact form, else None.

    Calling a node with ones gives the vector-Jacobian product with ones: exactly the
    local derivative when the upstream gradient is a single number, and the diagonal of
    the Jacobian for element-wise ops whose input and output shapes agree."""
    vjp = obj(torch.ones_like(step.upstream))  # type: ignore[operator]
    vjp = vjp if isinstance(vjp, tuple) else (vjp,)
    scalar_up = step.upstream.numel() == 1
    local: list[torch.Tensor | None] = []
    for g, passed in zip(vjp, step.passed, strict=False):
        # Calling a node skips the engine's reduction of broadcast inputs, so the local
        # form is only trusted where its shape is the shape actually passed on.
        same = g is not None and passed is not None and g.shape == passed.shape
        exact = same and (scalar_up or (kind in ELEMENTWISE and g.shape == step.upstream.shape))
        local.append(g.detach() if exact else None)
    return local


# ---------------------------------------------------------------- chain rule text


@dataclass(frozen=True)
class ChainLine:
    """upstream × local = passed, for one input of the current node."""

    target: str  # the node the gradient goes to
    upstream: str
    local: str | None
    passed: str
    per_element: bool


@dataclass(frozen=True)
class ChainRule:
    """One backward step in words and numbers: what arrived, and what was passed on."""

    node: Node
    step: Step
    # (the node it came from, the gradient) for every path into this node: within one
    # backward() the engine adds them up before the node runs
    arrivals: list[tuple[str, str]]
    lines: list[ChainLine]


def chain_rule(tr: Trace, step_no: int) -> ChainRule | None:
    """The chain rule at backward step `step_no` (1-based), with the numbers."""
    if not 1 <= step_no <= len(tr.steps):
        return None
    step = tr.steps[step_no - 1]
    node = tr.nodes[step.node]
    arrivals = [(tr.nodes[s.node].title, fmt_tensor(g))
                for s in tr.steps[:step_no - 1]
                for i, g in enumerate(s.passed)
                if g is not None and i < len(tr.nodes[s.node].inputs)
                and tr.nodes[s.node].inputs[i] == node.index]
    lines = []
    for i, passed in enumerate(step.passed):
        target = node.inputs[i] if i < len(node.inputs) else None
        if passed is None or target is None:
            continue
        local = step.local[i] if i < len(step.local) else None
        per_element = local is not None and local.numel() > 1
        lines.append(ChainLine(tr.nodes[target].title, fmt_tensor(step.upstream),
                               fmt_tensor(local) if local is not None else None,
                               fmt_tensor(passed), per_element))
    return ChainRule(node, step, arrivals, lines)


# ---------------------------------------------------------------- gradient check


@dataclass(frozen=True)
class GradCheckRow:
    variable: str
    element: str
    autograd: float
    finite_difference: float

    @property
    def difference(self) -> float:
        return abs(self.autograd - self.finite_difference)


def gradient_check(tr: Trace, h: float = FD_STEP) -> list[GradCheckRow]:
    """Autograd's gradient against central differences (f(x+h) - f(x-h)) / 2h, in float64.

    A non-scalar output is summed first, which is what backward(ones) differentiates."""
    program = tr.program
    leaves = make_leaves(tr.variables, tr.requires_grad, torch.float64)
    out = evaluate(program, leaves).output
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return []
    out.sum().backward()
    rows = []
    for name, leaf in leaves.items():
        if not leaf.requires_grad or leaf.grad is None:
            continue
        flat = leaf.detach().clone().reshape(-1)
        for k in range(flat.numel()):
            estimates = []
            for sign in (1.0, -1.0):
                moved = dict(leaves)
                bumped = flat.clone()
                bumped[k] += sign * h
                moved[name] = bumped.reshape(leaf.shape)
                with torch.no_grad():
                    res = evaluate(program, moved).output
                estimates.append(float(res.sum()) if isinstance(res, torch.Tensor)
                                 else float(res))
            fd = (estimates[0] - estimates[1]) / (2 * h)
            idx = _index(k, tuple(leaf.shape))
            rows.append(GradCheckRow(name, idx, float(leaf.grad.reshape(-1)[k]), fd))
    return rows


def _index(k: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    parts = []
    for size in reversed(shape):
        parts.append(str(k % size))
        k //= size
    return "[" + ", ".join(reversed(parts)) + "]"


# ---------------------------------------------------------------- no_grad and detach


@dataclass(frozen=True)
class TrackingResult:
    mode: str
    code: str
    value: str
    requires_grad: bool
    grad_fn: str | None
    graph_nodes: int


def tracking_modes(tr: Trace) -> list[TrackingResult]:
    """The traced program again: tracked, under torch.no_grad(), and on detached inputs."""
    program = tr.program
    results = []
    for mode in ("tracked", "no_grad", "detach"):
        leaves = make_leaves(tr.variables, tr.requires_grad)
        if mode == "detach":
            leaves = {n: t.detach() for n, t in leaves.items()}
        if mode == "no_grad":
            with torch.no_grad():
                out = evaluate(program, leaves).output
        else:
            out = evaluate(program, leaves).output
        is_t = isinstance(out, torch.Tensor)
        fn = out.grad_fn if is_t else None
        code = {"tracked": f"{program.output} = f(x)",
                "no_grad": f"with torch.no_grad():\n    {program.output} = f(x)",
                "detach": f"{program.output} = f(x.detach())"}[mode]
        results.append(TrackingResult(mode, code, fmt_tensor(out),
                                      bool(is_t and out.requires_grad),
                                      type(fn).__name__ if fn is not None else None,
                                      _count_nodes(fn)))
    return results


def _count_nodes(root: object | None) -> int:
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    return len(seen)
