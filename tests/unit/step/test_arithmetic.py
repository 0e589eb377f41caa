"""What the zoom works out for teaching agrees with what PyTorch computed."""

from __future__ import annotations

import pytest
import torch

from ml101.step import arithmetic
from ml101.step.frames import Stage, first_frame, frames
from tests.unit.step.helpers import SETTINGS, recorded


@pytest.mark.parametrize("name", SETTINGS)
def test_the_optimizers_rule_gives_the_update_step_made(name: str) -> None:
    rec = recorded(name)
    for p in rec.grads:
        predicted = arithmetic.predicted_update(SETTINGS[name], rec, p)
        assert torch.allclose(predicted, rec.update(p), rtol=1e-4, atol=1e-7), p


@pytest.mark.parametrize("name", SETTINGS)
def test_activation_nodes_multiply_by_the_local_derivative(name: str) -> None:
    rec = recorded(name)
    for r in rec.nodes:
        layer = next((p for p in rec.layers if p.name == r.makes and p.kind != "Linear"), None)
        if layer is None:
            continue
        local = arithmetic.local_derivative(layer.kind, layer.input)
        assert torch.allclose(r.arriving * local, r.passed[0], atol=1e-7), layer.kind


@pytest.mark.parametrize("name", SETTINGS)
def test_linear_nodes_pass_the_chain_rules_products(name: str) -> None:
    rec = recorded(name)
    for r in rec.nodes:
        if not r.makes.startswith("z"):
            continue
        layer = next(p for p in rec.layers if p.name == r.makes)
        w = rec.params_before[f"W{layer.name[1:]}"]
        g_b, g_src, g_wt = r.passed
        assert torch.allclose(g_b, r.arriving.sum(0), atol=1e-7)
        assert torch.allclose(g_wt, sum(arithmetic.sample_share(layer.input, r.arriving, i)
                                        for i in range(len(layer.input))), atol=1e-6)
        if g_src is not None:
            assert torch.allclose(g_src, r.arriving @ w, atol=1e-7)
        else:
            assert layer.position == 0  # only the batch x goes without a gradient
        x_row = layer.input[0]
        assert torch.allclose(x_row @ w.T + rec.params_before[f"b{layer.name[1:]}"],
                              layer.output[0], atol=1e-6)


@pytest.mark.parametrize("name", SETTINGS)
def test_every_frame_has_a_zoom_with_the_followed_samples_numbers(name: str) -> None:
    rec = recorded(name)
    for k in range(len(frames(rec))):
        lines = arithmetic.lines(SETTINGS[name], rec, k, sample=len(rec.batch.x) - 1)
        assert lines and all(line.label for line in lines)


def test_the_zoom_of_a_linear_layer_writes_its_row() -> None:
    rec = recorded("lesson")
    k = first_frame(rec, Stage.FORWARD)
    (line,) = arithmetic.lines(SETTINGS["lesson"], rec, k, sample=2)
    assert line.label == "z1[2] = x[2] @ W1.T + b1"
    assert line.formula.startswith(arithmetic.fmt_tensor(rec.batch.x[2]))
    assert line.value == arithmetic.fmt_tensor(rec.layers[0].output[2])


def test_the_zoom_of_the_step_works_out_the_largest_gradient() -> None:
    rec = recorded("moons-adam")
    name, at = arithmetic.worked_element(rec)
    assert abs(float(rec.grads[name][at])) == max(float(g.abs().max()) for g in
                                                  rec.grads.values())
    lines = arithmetic.lines(SETTINGS["moons-adam"], rec, len(frames(rec)) - 2, 0)
    assert "m̂" in lines[3].label
    assert lines[-1].value == arithmetic.fmt_num(float(rec.update(name)[at]))
