"""Each surface's torch formula is its code string, operation for operation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ml101.optim.surfaces import SURFACES


@pytest.mark.parametrize("key", list(SURFACES))
def test_value_and_code_agree_to_the_bit_and_minima_are_zero(key: str) -> None:
    surf = SURFACES[key]
    f = eval("lambda x, y: " + surf.code, {"torch": torch, "math": math})  # noqa: S307
    g = torch.Generator().manual_seed(0)
    x0, x1, y0, y1 = surf.window
    x = torch.rand(500, generator=g) * (x1 - x0) + x0
    y = torch.rand(500, generator=g) * (y1 - y0) + y0
    assert torch.equal(surf.value(x, y), f(x, y))
    for mx, my in surf.minima:
        assert float(surf.value(torch.tensor(mx), torch.tensor(my))) == pytest.approx(0, abs=1e-4)
    assert surf.box == 50 * max(abs(v) for v in surf.window)


def test_distance_to_the_nearest_minimum() -> None:
    surf = SURFACES["himmelblau"]
    d = surf.nearest_min_distance(np.array([[3.0, 2.0], [3.0, 3.0]]))
    np.testing.assert_allclose(d, [0.0, 1.0])
