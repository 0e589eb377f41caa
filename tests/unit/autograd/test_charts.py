"""The graph as DOT: grad_fns, values, gradients, the highlighted step, shapes."""

from __future__ import annotations

import re

import torch

from ml101.autograd import charts
from tests.unit.autograd.helpers import build


def test_dot_shows_grad_fns_values_grads_and_highlight() -> None:
    tr = build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]")
    forward = charts.to_dot(tr, 0)
    for text in ("MeanBackward0", "PowBackward0", "MulBackward0", "AccumulateGrad",
                 "value = [2, 4, 6]", "value = [4, 16, 36]", "value = 18.67", ".grad = None"):
        assert text in forward
    assert charts.GRAD_COLOUR not in forward.split("edge [")[1].split("out [")[0].replace(
        f'FONT COLOR="{charts.GRAD_COLOUR}">backward', "")
    done = charts.to_dot(tr, len(tr.steps))
    assert ".grad = [2.667, 5.333, 8]" in done and "grad in = [1.333, 2.667, 4]" in done
    third = charts.to_dot(tr, 3)
    hot = re.search(r'n(\d+) \[label=<<TABLE BORDER="3"', third)
    assert hot and tr.nodes[int(hot.group(1))].kind == "MulBackward0"
    assert ".grad = None" in third


def test_dot_labels_show_the_learners_text() -> None:
    tr = build("x @ x", "x = [1.0, 2.0]")
    assert "DotBackward0" in charts.to_dot(tr, 1) and "x @ x" in charts.to_dot(tr, 1)
    tr = build("x * x", "x = 1.0")
    assert "<TD>out = x * x  (*)</TD>" in charts.to_dot(tr, 0)


def test_shapes_print_as_python_tuples() -> None:
    assert charts.shape_of(torch.zeros(2, 3)) == "(2, 3)"
    assert charts.shape_of(torch.zeros(4)) == "(4,)"
    assert charts.shape_of(torch.tensor(1.0)) == charts.shape_of(1.0) == "()"
    dot = charts.to_dot(build("x * 2", "x = [1.0, 2.0, 3.0, 4.0]"), 0)
    assert "<B>x</B>  (4,)  leaf" in dot and "<B>out</B>  (4,)  output" in dot


def test_only_arrows_that_share_a_node_are_labelled() -> None:
    """x**2 + 2*x: the two arrows out of x's AccumulateGrad carry 4 and 2, labelled; the
    lone arrows of a chain repeat the "grad in" already written in their node."""
    dot = charts.to_dot(build("y = x**2 + 2*x + 1", "x = 2.0"), 5)
    labels = re.findall(r'-> n\d+ \[tooltip="input \d+" label=<<FONT COLOR="[^"]+">([^<]+)<', dot)
    assert sorted(labels) == ["2", "4"]
    chain = charts.to_dot(build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]"), 4)
    assert "label=<<FONT" not in chain and f'color="{charts.GRAD_COLOUR}" penwidth=2' in chain
