"""What the autograd tests share: a trace from typed text, and running generated code."""

from __future__ import annotations

import contextlib
import io

from ml101.autograd import graph as ag
from ml101.autograd.expression import parse_program, parse_variables


def build(program: str, variables: str, **rg: bool) -> ag.Trace:
    v = parse_variables(variables)
    return ag.trace(parse_program(program, v), v, rg)


def run_code(code: str) -> tuple[dict, str]:
    ns: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, ns)
    return ns, buf.getvalue()
