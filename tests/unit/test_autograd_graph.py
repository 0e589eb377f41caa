"""The graph walk, the backward steps, the DOT, the gradient check, and the lesson's
experiments: presets, accumulation and the errors learners meet."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
import torch

from ml101.autograd import graph as ag
from ml101.autograd import lessons
from ml101.autograd.expression import ExprError, parse_program, parse_variables


def build(program: str, variables: str, **rg: bool) -> ag.Trace:
    v = parse_variables(variables)
    return ag.trace(parse_program(program, v), v, rg)


def test_lesson_graph_nodes_order_and_chain_rule() -> None:
    tr = build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]")
    assert [n.kind for n in tr.nodes] == ["MeanBackward0", "PowBackward0", "MulBackward0",
                                         "AccumulateGrad"]
    assert [tr.nodes[s.node].kind for s in tr.steps] == [n.kind for n in tr.nodes]
    node, lines = ag.chain_rule(tr, 2)
    assert node.title == "PowBackward0: z = y**2"
    (line,) = lines
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
        node, lines = ag.chain_rule(tr, k)
        for line in lines:
            assert float(line.upstream) * float(line.local) == pytest.approx(float(line.passed))
            seen[node.kind + (node.record.op if node.record else "")] = line.local
    assert seen["PowBackward0**2"] == "4" and seen["MulBackward0*"] == "2"
    assert tr.leaf_grads()["x"].item() == 6.0


def test_dot_shows_grad_fns_values_grads_and_highlight() -> None:
    tr = build("y = 2*x; z = y**2; out = z.mean()", "x = [1.0, 2.0, 3.0]")
    forward = ag.to_dot(tr, 0)
    for text in ("MeanBackward0", "PowBackward0", "MulBackward0", "AccumulateGrad",
                 "value = [2, 4, 6]", "value = [4, 16, 36]", "value = 18.67", ".grad = None"):
        assert text in forward
    assert ag.GRAD_COLOUR not in forward.split("edge [")[1].split("out [")[0].replace(
        f'FONT COLOR="{ag.GRAD_COLOUR}">backward', "")
    done = ag.to_dot(tr, len(tr.steps))
    assert ".grad = [2.667, 5.333, 8]" in done and "grad in = [1.333, 2.667, 4]" in done
    third = ag.to_dot(tr, 3)
    hot = re.search(r'n(\d+) \[label=<<TABLE BORDER="3"', third)
    assert hot and tr.nodes[int(hot.group(1))].kind == "MulBackward0"
    assert ".grad = None" in third


def test_dot_labels_show_the_learners_text() -> None:
    tr = build("x @ x", "x = [1.0, 2.0]")
    assert "DotBackward0" in ag.to_dot(tr, 1) and "x @ x" in ag.to_dot(tr, 1)
    tr = build("x * x", "x = 1.0")
    assert "<TD>out = x * x  (*)</TD>" in ag.to_dot(tr, 0)


def test_broadcast_gradient_is_not_called_local_derivative() -> None:
    tr = build("x * w", "x = [1.0, 2.0]; w = 3.0")
    _, lines = ag.chain_rule(tr, 1)
    by_target = {line.target: line for line in lines}
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
    v = parse_variables("x = [0.5, -1.0]; w = [[1.0, 2.0], [3.0, 4.0]]")
    rows = ag.gradient_check(parse_program("tanh(w @ x).sum() + sigmoid(x).mean()", v), v, {})
    assert len(rows) == 6
    for row in rows:
        assert row.difference < 1e-6, row


def test_tracking_modes() -> None:
    v = parse_variables("x = [1.0, 2.0, 3.0]")
    tracked, no_grad, detach = ag.tracking_modes(
        parse_program("y = 2*x; z = y**2; out = z.mean()", v), v, {})
    assert (tracked.requires_grad, tracked.grad_fn, tracked.graph_nodes) == (
        True, "MeanBackward0", 4)
    for res in (no_grad, detach):
        assert (res.requires_grad, res.grad_fn, res.graph_nodes) == (False, None, 0)
        assert res.value == tracked.value == "18.67"


def _exec(code: str) -> tuple[dict, str]:
    ns: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, ns)
    return ns, buf.getvalue()


@pytest.mark.parametrize("preset", lessons.PRESETS, ids=lambda p: p.key)
def test_presets_reproduce_the_lesson_in_page_and_code(preset: lessons.Preset) -> None:
    v = parse_variables(preset.variables)
    p = parse_program(preset.program, v)
    grad = ag.trace(p, v, {}).leaf_grads()["x"]
    _, by_hand = preset.by_hand(v["x"])
    assert grad.tolist() == pytest.approx(by_hand.tolist())
    ns, printed = _exec(ag.generated_code(p, v, {}))
    assert ns["x"].grad.tolist() == pytest.approx(grad.tolist())
    assert f"x.grad = {ns['x'].grad!s}" in printed
    assert lessons.matching_preset(preset.program.replace(" ", ""), ("x",)) is preset


def test_lesson_numbers() -> None:
    grads = {p.key: build(p.program, p.variables).leaf_grads()["x"].tolist()
             for p in lessons.PRESETS}
    assert grads["basics"] == 6.0
    assert grads["graph"] == pytest.approx([8 / 3, 16 / 3, 8.0])
    assert grads["manual"] == 13.0
    assert build("f = x**2 + 3*x", "x = 5.0").output.item() == 40.0


def test_accumulation_grows_then_zeroes_and_code_replays_it() -> None:
    acc = lessons.GradAccumulator(parse_variables("x = 3.0"), {})
    assert acc.backward("y1", "x**2").grads["x"].item() == 6.0
    entry = acc.backward("y2", "x + 1")
    assert (entry.added["x"].item(), entry.grads["x"].item()) == (1.0, 7.0)
    assert acc.zero().grads["x"].item() == 0.0
    assert acc.backward("y2", "x + 1").grads["x"].item() == 1.0
    _, printed = _exec(acc.code())
    assert printed.splitlines() == [f"x.grad = tensor({g}.)" for g in (6, 7, 0, 1)]
    with pytest.raises(ExprError):
        acc.backward("y1", "x.__class__")
    with pytest.raises(ExprError, match="requires_grad"):
        lessons.GradAccumulator(parse_variables("x = 3.0"), {"x": False}).backward("y1", "x")


def test_error_demos_show_pytorchs_real_messages() -> None:
    demos = lessons.error_demos()
    assert [d.message.split()[0] for d in demos] == ["grad", "Trying", "element"]
    for demo in demos:
        with pytest.raises(RuntimeError) as info:
            _exec("import torch\n" + demo.code)
        assert str(info.value).splitlines()[0] == demo.message
    assert [d.fix_result for d in demos] == ["x.grad = [2, 2, 2]", "x.grad = 12", "x.grad = 4"]
    ns, _ = _exec("import torch\n" + demos[2].fix_code)
    assert ns["x"].grad.item() == 4.0


def test_formatting() -> None:
    assert ag.fmt_tensor(torch.tensor([1.0, 2.5, -0.0])) == "[1, 2.5, 0]"
    assert ag.fmt_tensor(torch.arange(10.0), limit=3) == "[0, 1, 2, …]"
    assert ag.fmt_tensor(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert ag.fmt_shape(torch.zeros(2, 3)) == "[2, 3]" and ag.fmt_shape(1.0) == "scalar"
