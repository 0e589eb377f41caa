"""What the autograd tests share: a trace from typed text."""

from __future__ import annotations

from ml101.autograd import graph as ag
from ml101.autograd.expression import parse_program, parse_variables


def build(program: str, variables: str, **rg: bool) -> ag.Trace:
    v = parse_variables(variables)
    return ag.trace(parse_program(program, v), v, rg)

