"""Model specs, the hidden-size parser (hostile text included), and the losses."""

from __future__ import annotations

import time

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.losses import FocalLoss, saturation_demo
from ml101.models import (
    MAX_WIDTH,
    ModelSpec,
    as_sequential,
    build_model,
    n_parameters,
    parameter_table,
    parse_hidden,
)
from ml101.runtime import seeded


def test_parse_hidden_accepts_lists() -> None:
    assert parse_hidden("64, 32") == (64, 32)
    assert parse_hidden(" 8 4 ,2 ") == (8, 4, 2)
    assert parse_hidden("") == ()


@pytest.mark.parametrize("text", ["64; 32", "1e3", "0", f"{MAX_WIDTH + 1}", "1,2,3,4,5,6,7",
                                  "__import__('os')", "-5", "9" * 80])
def test_parse_hidden_refuses_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"hidden|layer|numbers|units|short"):
        parse_hidden(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_hidden_returns_a_value_or_a_clear_error(text: str) -> None:
    start = time.perf_counter()
    try:
        sizes = parse_hidden(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert all(1 <= s <= MAX_WIDTH for s in sizes) and len(sizes) <= 6
    assert time.perf_counter() - start < 0.05


def test_module_and_sequential_share_weights_under_a_seed() -> None:
    spec = ModelSpec(2, (16, 8), 1, "GELU", 0.2, True)
    with seeded(3):
        a = build_model(spec)
    with seeded(3):
        b = as_sequential(spec)
    assert [p.tolist() for p in a.network.parameters()] == [p.tolist() for p in b.parameters()]
    rows = parameter_table(a)
    assert sum(r["count"] for r in rows) == n_parameters(spec) == sum(
        p.numel() for p in a.parameters())
    assert rows[0] == {"name": "network.0.weight", "shape": "(16, 2)", "count": 32}


def test_sigmoid_plus_bce_saturates_where_logits_do_not() -> None:
    d = saturation_demo(20.0)
    assert d["sigmoid"] == 1.0 and d["bce_loss"] == 100.0 and d["bce_grad"] == 0.0
    assert d["logits_loss"] == pytest.approx(20.0) and d["logits_grad"] == pytest.approx(1.0)


def test_focal_loss_is_cross_entropy_at_gamma_zero_and_smaller_above() -> None:
    logits = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    target = torch.arange(50) % 3
    ce = torch.nn.functional.cross_entropy(logits, target)
    assert FocalLoss(0.0)(logits, target).item() == pytest.approx(ce.item(), rel=1e-6)
    assert FocalLoss(2.0)(logits, target).item() < ce.item()
    binary = torch.randn(20, 1)
    y = (torch.arange(20) % 2).float().unsqueeze(1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(binary, y)
    assert FocalLoss(0.0)(binary, y).item() == pytest.approx(bce.item(), rel=1e-6)
