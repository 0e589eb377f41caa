"""The autograd graph as words: its name, and its nodes in the engine's order."""

from __future__ import annotations

from ml101.autograd import describe
from tests.unit.autograd.helpers import build


def test_the_list_follows_the_backward_pass() -> None:
    tr = build("y = a*b + a", "a = 2.0; b = 3.0")
    assert "forward pass only" in describe.graph(tr, 0)
    lines = describe.graph_list(tr, len(tr.steps))
    assert lines[0].startswith("Output y") and "8" in lines[0]
    leaves = {line.split()[1]: line for line in lines if line.startswith("Leaf")}
    assert "grad 4" in leaves["a"] and "grad 2" in leaves["b"]  # dy/da = b + 1, dy/db = a
    assert sum("(has run)" in line for line in lines) == len(tr.steps)
    assert describe.graph_list(tr, 0)[-1].endswith(".grad None")
