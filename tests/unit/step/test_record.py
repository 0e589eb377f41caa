"""The recorded step is the lesson's loop itself: hooks watch it, they never change it."""

from __future__ import annotations

import pytest
import torch

from ml101.step.record import every_number, index_text, output_names, param_names, unravel
from ml101.step.run import Run
from tests.unit.step.helpers import SETTINGS, recorded


@pytest.mark.parametrize("name", SETTINGS)
def test_recording_a_step_changes_nothing_a_plain_step_would_not(name: str) -> None:
    run = Run(SETTINGS[name])  # step 1 plain, steps 2 and 3 recorded
    run.go_to(1)
    run.go_to(2)
    twin = Run(SETTINGS[name])  # step 1 recorded, steps 2 and 3 plain
    twin.go_to(0)
    for _ in range(2):
        twin._plain_step()
    for (n, a), (_, b) in zip(run.model.named_parameters(), twin.model.named_parameters(),
                              strict=True):
        assert torch.equal(a, b), n
    assert run.losses[:3] == twin.losses[:3]


@pytest.mark.parametrize("name", SETTINGS)
def test_every_tensor_of_the_step_is_the_real_one(name: str) -> None:
    rec = recorded(name)
    assert all(g is None for g in rec.grads_zeroed.values()), "zero_grad() sets None"
    assert all(g is not None for g in rec.grads_left.values()), "step 3 sees step 2's grads"
    # the layer outputs chain: each layer's input is the one before's output
    assert torch.equal(rec.layers[0].input, rec.batch.x)
    for a, b in zip(rec.layers, rec.layers[1:], strict=False):
        assert torch.equal(a.output, b.input)
    assert rec.loss_terms.mean().item() == pytest.approx(rec.loss, rel=1e-6)
    for n, p in rec.params_after.items():
        assert not torch.equal(p, rec.params_before[n]) or rec.grads[n].abs().max() == 0


@pytest.mark.parametrize("name", SETTINGS)
def test_backward_nodes_come_in_the_engines_order_with_their_gradients(name: str) -> None:
    rec = recorded(name)
    assert rec.nodes[0].makes == "L" and float(rec.nodes[0].arriving) == 1.0
    written = [r.param for r in rec.nodes if r.param]
    assert sorted(written) == sorted(rec.grads), "one AccumulateGrad per parameter"
    for r in rec.nodes:
        if r.param:
            assert torch.equal(r.arriving, rec.grads[r.param]), ".grad is what arrived"
    # the last layer's output gradient arrives at that layer's node
    last = rec.layers[-1].name
    node = next(r for r in rec.nodes if r.makes == last)
    assert node.arriving.shape == rec.output.shape


def test_a_gradient_passed_on_is_what_the_next_node_receives() -> None:
    rec = recorded("lesson")
    for r in rec.nodes:
        targets = [(t, g) for t, g in zip(r.to, r.passed, strict=True) if t is not None]
        for t, g in targets:
            receiver = rec.nodes[t]
            if sum(1 for x in rec.nodes for y in x.to if y == t) == 1:  # one path in
                assert torch.equal(receiver.arriving, g)


def test_names_follow_the_sequential() -> None:
    rec = recorded("circles-focal-adamw")
    model = Run(SETTINGS["circles-focal-adamw"]).model
    assert param_names(model) == {"0.weight": "W1", "0.bias": "b1", "2.weight": "W2",
                                  "2.bias": "b2", "4.weight": "W3", "4.bias": "b3"}
    assert output_names(model) == ["z1", "h1", "z2", "h2", "z3"]
    assert [p.name for p in rec.layers] == ["z1", "h1", "z2", "h2", "z3"]
    lesson = Run(SETTINGS["lesson"]).model
    assert output_names(lesson) == ["z1", "h1", "z2", "p"]


def test_loss_after_is_the_updated_model_on_the_same_batch() -> None:
    run = Run(SETTINGS["moons-adam"])
    rec = run.go_to(0)
    with torch.no_grad():
        again = run.loss_fn(run.model(rec.batch.x), rec.batch.y).item()
    assert again == rec.loss_after


def test_every_number_lists_each_tensor_element_once_in_loop_order() -> None:
    rec = recorded("moons-adam")
    rows = every_number(rec)
    parts = [r["part"] for r in rows]
    assert parts == sorted(parts, key=["batch", "1 zero_grad", "2 forward", "3 loss",
                                       "4 backward", "5 step"].index)
    w1 = [r for r in rows if r["tensor"] == "W1 after step()"]
    assert [r["value"] for r in w1] == rec.params_after["W1"].reshape(-1).tolist()
    assert w1[1]["index"] == "[0, 1]" and w1[0]["shape"] == "(3, 2)"
    (loss,) = [r for r in rows if r["tensor"] == "L"]
    assert loss["value"] == pytest.approx(rec.loss) and loss["shape"] == "()"


def test_unravel_matches_pytorchs_row_major_order() -> None:
    t = torch.arange(24).reshape(2, 3, 4)
    for flat in range(24):
        assert t[unravel(flat, (2, 3, 4))] == flat
    assert index_text((1, 2)) == "[1, 2]"
