"""The lesson's autograd experiments: presets, gradient accumulation, and the errors
learners meet, each run for real so every number and message shown is PyTorch's own."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from ml101.autograd.expression import (
    ExprError,
    Program,
    Variable,
    evaluate,
    make_leaves,
    parse_program,
)
from ml101.autograd.graph import fmt_tensor

# ---------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    program: str
    variables: str
    formula: str  # the hand-derived gradient, as the lesson writes it
    analytic: Callable[[torch.Tensor], torch.Tensor]  # d out / d x, by hand
    tab: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def by_hand(self, x: Variable) -> tuple[torch.Tensor, torch.Tensor]:
        """x and the hand-derived gradient at x, in float64."""
        value = torch.tensor(x.value, dtype=torch.float64)
        return value, self.analytic(value)

    def controls(self) -> dict[str, object]:
        """Widget values that reproduce this preset (for controls.apply_preset)."""
        values: dict[str, object] = {"ag_expr": self.program, "ag_vars": self.variables,
                                     "ag_rg_x": True, "ag_step": STEP_ALL}
        if self.tab:
            values["ag_tab"] = self.tab
        values.update(self.extra)
        return values


STEP_ALL = 999  # a backward step past the end: the page clamps it to "all steps done"

PRESETS: tuple[Preset, ...] = (
    Preset("basics", "x² + 2x + 1 at x = 2", "y = x**2 + 2*x + 1", "x = 2.0",
           "2x + 2", lambda x: 2 * x + 2),
    Preset("graph", "mean((2x)²) at x = [1, 2, 3]", "y = 2*x; z = y**2; out = z.mean()",
           "x = [1.0, 2.0, 3.0]", "8x / 3", lambda x: 8 * x / 3),
    Preset("manual", "Manual vs autograd: x² + 3x at 5", "f = x**2 + 3*x", "x = 5.0",
           "2x + 3", lambda x: 2 * x + 3),
    Preset("accumulate", "Gradient accumulation at x = 3", "y1 = x**2", "x = 3.0",
           "2x", lambda x: 2 * x, tab="Gradient accumulation",
           extra={"ag_y1": "x**2", "ag_y2": "x + 1"}),
)


def _squash(text: str) -> str:
    return "".join(text.split())


def matching_preset(program: str, variable_names: tuple[str, ...]) -> Preset | None:
    """The preset whose program this is (spacing aside), when x is its only variable."""
    if variable_names != ("x",):
        return None
    return next((p for p in PRESETS if _squash(p.program) == _squash(program)), None)


# ---------------------------------------------------------------- accumulation


@dataclass(frozen=True)
class AccumulationEntry:
    """One press: a backward() through a fresh graph, or zeroing every .grad."""

    action: str  # e.g. "y1.backward()" or "x.grad.zero_()"
    added: dict[str, torch.Tensor | None]
    grads: dict[str, torch.Tensor | None]
    program: Program | None = None  # what was built and differentiated; None for a zeroing
    zeroed: tuple[str, ...] = ()  # the variables whose .grad was zeroed


class GradAccumulator:
    """Leaves that live across button presses, so .grad really accumulates in torch."""

    def __init__(self, variables: Mapping[str, Variable],
                 requires_grad: Mapping[str, bool]) -> None:
        self.variables = dict(variables)
        self.requires_grad = {n: bool(requires_grad.get(n, True)) for n in variables}
        self.leaves = make_leaves(variables, self.requires_grad)
        self.log: list[AccumulationEntry] = []

    def grads(self) -> dict[str, torch.Tensor | None]:
        return {n: (t.grad.clone() if t.grad is not None else None)
                for n, t in self.leaves.items()}

    def backward(self, name: str, expression: str) -> AccumulationEntry:
        """Build `name = expression` afresh from the same leaves and call backward once."""
        program = parse_program(f"{name} = {expression}", tuple(self.leaves))
        out = evaluate(program, self.leaves).output
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            raise ExprError(f"{name} does not depend on a variable with requires_grad=True; "
                            "use one, or switch its requires_grad on")
        before = self.grads()
        seed = out.numel() != 1
        out.backward(torch.ones_like(out) if seed else None)
        after = self.grads()
        added = {n: (after[n] - before[n] if before[n] is not None else after[n])
                 if after[n] is not None else None for n in after}
        call = f"{name}.backward(torch.ones_like({name}))" if seed else f"{name}.backward()"
        entry = AccumulationEntry(call, added, after, program=program)
        self.log.append(entry)
        return entry

    def zero(self) -> AccumulationEntry:
        """x.grad.zero_() for every variable that has a gradient, as training loops do."""
        zeroed = tuple(n for n, t in self.leaves.items() if t.grad is not None)
        for n in zeroed:
            self.leaves[n].grad.zero_()
        action = "; ".join(f"{n}.grad.zero_()" for n in zeroed) or "(no .grad yet to zero)"
        entry = AccumulationEntry(action, dict.fromkeys(self.leaves), self.grads(),
                                  zeroed=zeroed)
        self.log.append(entry)
        return entry


# ---------------------------------------------------------------- errors learners meet


@dataclass(frozen=True)
class ErrorDemo:
    title: str
    code: str
    message: str  # PyTorch's real message, first line
    why: str
    fix_code: str
    fix_result: str


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0]


def _non_scalar() -> ErrorDemo:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    try:
        y.backward()
        message = "(no error)"
    except RuntimeError as err:
        message = _first_line(err)
    y.sum().backward()
    return ErrorDemo(
        "backward() on a tensor that is not a single number",
        "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 2\ny.backward()",
        message,
        "backward() differentiates one number. A tensor of 3 outputs has a 3 x 3 Jacobian, "
        "and PyTorch will not guess which combination of outputs you mean.",
        "y.sum().backward()   # or: y.backward(torch.ones_like(y))\nprint(x.grad)",
        f"x.grad = {fmt_tensor(x.grad)}",
    )


def _backward_twice() -> ErrorDemo:
    x = torch.tensor(3.0, requires_grad=True)
    y = x ** 2
    y.backward()
    try:
        y.backward()
        message = "(no error)"
    except RuntimeError as err:
        message = _first_line(err)
    x2 = torch.tensor(3.0, requires_grad=True)
    y2 = x2 ** 2
    y2.backward(retain_graph=True)
    y2.backward()
    return ErrorDemo(
        "backward() twice through the same graph",
        "x = torch.tensor(3.0, requires_grad=True)\ny = x ** 2\ny.backward()\ny.backward()",
        message,
        "To save memory, backward() frees the values each node saved (here x, which "
        "PowBackward0 needs for 2x) as soon as it has used them. A second pass finds them gone.",
        "y = x ** 2\ny.backward(retain_graph=True)   # keep the saved values\ny.backward()"
        "\nprint(x.grad)   # 6 + 6: the gradients add up",
        f"x.grad = {fmt_tensor(x2.grad)}",
    )


def _no_requires_grad() -> ErrorDemo:
    x = torch.tensor(2.0)
    y = x ** 2
    try:
        y.backward()
        message = "(no error)"
    except RuntimeError as err:
        message = _first_line(err)
    x2 = torch.tensor(2.0, requires_grad=True)
    (x2 ** 2).backward()
    return ErrorDemo(
        "A leaf without requires_grad",
        "x = torch.tensor(2.0)\ny = x ** 2\ny.backward()",
        message,
        "PyTorch records operations only on tensors that require grad. Nothing here does, "
        "so y has no grad_fn and there is no graph to walk back through.",
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\ny.backward()\nprint(x.grad)",
        f"x.grad = {fmt_tensor(x2.grad)}",
    )


@functools.cache
def error_demos() -> tuple[ErrorDemo, ...]:
    """Run once per process: the three errors, PyTorch's own messages, and the fixes."""
    return (_non_scalar(), _backward_twice(), _no_requires_grad())
