"""The scripts behind "Show the code": plain PyTorch that prints the numbers on the page.

`code_for(trace)` rebuilds the graph on screen and prints its value and every .grad;
`code_for(accumulator)` replays the gradient-accumulation presses in order.
"""

from __future__ import annotations

import functools

from ml101.autograd.expression import Variable
from ml101.autograd.graph import Trace
from ml101.autograd.lessons import GradAccumulator


@functools.singledispatch
def code_for(shown: object) -> str:
    """The runnable script that reproduces what the page shows for `shown`."""
    raise TypeError(f"no script for a {type(shown).__name__}")


@code_for.register
def _(tr: Trace) -> str:
    lines = _leaves(tr.variables, tr.requires_grad) + tr.program.code_lines()
    out = tr.program.output
    lines += ["", f'print("{out} =", {out})', f'print("{out}.grad_fn =", {out}.grad_fn)',
              f"if {out}.requires_grad:",
              "    # backward() needs a scalar; for a tensor, pass a gradient of ones",
              f"    {out}.backward(None if {out}.numel() == 1 else torch.ones_like({out}))"]
    lines += [f'print("{name}.grad =", {name}.grad)' for name in tr.variables]
    return "\n".join(lines) + "\n"


@code_for.register
def _(acc: GradAccumulator) -> str:
    prints = [f'print("{n}.grad =", {n}.grad)' for n, rg in acc.requires_grad.items() if rg]
    lines = _leaves(acc.variables, acc.requires_grad)
    for entry in acc.log:
        if entry.program is not None:
            lines += [*entry.program.code_lines(), entry.action]
        else:
            lines += [f"{n}.grad.zero_()" for n in entry.zeroed]
        lines += prints
    return "\n".join(lines) + "\n"


def _leaves(variables: dict[str, Variable], requires_grad: dict[str, bool]) -> list[str]:
    return ["import torch", ""] + [
        f"{name} = torch.tensor({_literal(var.value)}, requires_grad={requires_grad[name]})"
        for name, var in variables.items()]


def _literal(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(float(value))  # type: ignore[arg-type]
