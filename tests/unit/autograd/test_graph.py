"""The graph walk, the backward steps and the chain rule, the gradient check, no_grad and
detach, and how numbers are written."""

from __future__ import annotations

import pytest
import torch

from ml101.autograd import graph as ag
from tests.unit.autograd.helpers import build


def test_lesson_graph_nodes_order_and_chain_rule() -> None:
    tr = build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]")
    assert [n.kind for n in tr.nodes] == ["MeanBackward0", "PowBackward0", "MulBackward0",
                                         "AccumulateGrad"]
    assert [tr.nodes[s.node].kind for s in tr.steps] == [n.kind for n in tr.nodes]
    rule = ag.chain_rule(tr, 2)
    assert rule.node.title == "PowBackward0: z = y**2"
    (line,) = rule.lines
    assert (line.upstream, line.local, line.passed) == (
        "[0.3333, 0.3333, 0.3333]", "[4, 8, 12]", "[1.333, 2.667, 4]")
    assert line.per_element
    assert tr.leaf_grads()["x"].tolist() == pytest.approx([8 / 3, 16 / 3, 8.0])
    assert tr.leaf_grads(3)["x"] is None  # AccumulateGrad has not run yet
    assert ag.chain_rule(tr, 0) is None


def test_scalar_chain_rule_upstream_times_local_is_passed() -> None:
    tr = build("y = x**2 + 2*x + 1", "x = 2.0")
    seen = {}
    for k in range(1, len(tr.steps) + 1):
        rule = ag.chain_rule(tr, k)
        for line in rule.lines:
            assert float(line.upstream) * float(line.local) == pytest.approx(float(line.passed))
            seen[rule.node.kind + (rule.node.record.op if rule.node.record else "")] = line.local
    assert seen["PowBackward0**2"] == "4" and seen["MulBackward0*"] == "2"
    assert tr.leaf_grads()["x"].item() == 6.0


def test_paths_into_one_node_are_summed_within_one_backward() -> None:
    """x**2 + 2*x: two paths reach x, and its AccumulateGrad runs once with 4 + 2."""
    tr = build("y = x**2 + 2*x + 1", "x = 2.0")
    acc = [k for k, s in enumerate(tr.steps, start=1) if tr.nodes[s.node].leaf]
    assert len(acc) == 1, "the engine runs x's AccumulateGrad once"
    rule = ag.chain_rule(tr, acc[0])
    assert sorted(g for _, g in rule.arrivals) == ["2", "4"]
    assert ag.fmt_tensor(rule.step.upstream) == "6"
    first = ag.chain_rule(tr, 1)
    assert first.arrivals == []  # the output's node gets the seed, not a path


def test_broadcast_gradient_is_not_called_local_derivative() -> None:
    tr = build("x * w", "x = [1.0, 2.0]; w = 3.0")
    by_target = {line.target: line for line in ag.chain_rule(tr, 1).lines}
    assert by_target["AccumulateGrad → x.grad"].local == "[3, 3]"
    w_line = by_target["AccumulateGrad → w.grad"]
    assert w_line.local is None and w_line.passed == "3"  # sum of 1*x: a reduction


def test_no_graph_without_requires_grad() -> None:
    tr = build("x**2", "x = 2.0", x=False)
    assert tr.steps == [] and "does not require grad" in tr.note
    tr = build("x", "x = 2.0")
    assert tr.steps == [] and "variable itself" in tr.note


def test_non_scalar_output_is_seeded_with_ones() -> None:
    tr = build("x * 2", "x = [1.0, 2.0, 3.0]")
    assert tr.seeded_with_ones
    assert tr.leaf_grads()["x"].tolist() == [2.0, 2.0, 2.0]


def test_gradient_check_agrees_with_autograd() -> None:
    tr = build("tanh(w @ x).sum() + sigmoid(x).mean()",
               "x = [0.5, -1.0]; w = [[1.0, 2.0], [3.0, 4.0]]")
    rows = ag.gradient_check(tr)
    assert len(rows) == 6
    for row in rows:
        assert row.difference < 1e-6, row


def test_tracking_modes() -> None:
    tracked, no_grad, detach = ag.tracking_modes(
        build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]"))
    assert (tracked.requires_grad, tracked.grad_fn, tracked.graph_nodes) == (
        True, "MeanBackward0", 4)
    for res in (no_grad, detach):
        assert (res.requires_grad, res.grad_fn, res.graph_nodes) == (False, None, 0)
        assert res.value == tracked.value == "18.67"


def test_formatting() -> None:
    assert ag.fmt_tensor(torch.tensor([1.0, 2.5, -0.0])) == "[1, 2.5, 0]"
    assert ag.fmt_tensor(torch.arange(10.0), limit=3) == "[0, 1, 2, …]"
    assert ag.fmt_tensor(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
