"""The twins agree step by step in float64; the generated script reproduces the page."""

from __future__ import annotations

import contextlib
import io
import json
import math
from types import SimpleNamespace

import pytest

from ml101.twin import pair as twin


def test_xor_twins_agree_below_1e_6() -> None:
    X, y = twin.load_data("xor", 4, 0.0, 0)
    r = twin.race((2, 4, 1), "relu", X, y, 300, 0.5, seed=0)
    assert len(r.losses_np) == len(r.losses_torch) == 300
    assert r.losses_np[0] == pytest.approx(r.losses_torch[0], abs=1e-15)
    assert r.max_loss_diff < 1e-6
    assert r.max_param_diff < 1e-6
    assert r.seconds_np > 0 and r.seconds_torch > 0


def test_gradient_check_rows_cover_every_parameter() -> None:
    X, y = twin.load_data("circles", 50, 0.05, 0)
    model = twin.initial_model((2, 6, 3, 1), "sigmoid", 0)
    rows = twin.gradient_check(model, "sigmoid", X, y)
    assert [r.torch_name for r in rows] == ["0.weight", "0.bias", "2.weight", "2.bias",
                                            "4.weight", "4.bias"]
    assert max(r.max_abs_diff for r in rows) < 1e-12
    assert all(r.max_abs_grad > 0 for r in rows)


@pytest.mark.parametrize(("sizes", "epochs", "words"), [((3, 4, 1), 10, "first width"),
                                                        ((2, 4, 2), 10, "last width"),
                                                        ((2, 4, 1), 0, "Epochs")])
def test_check_refuses(sizes: tuple, epochs: int, words: str) -> None:
    with pytest.raises(twin.TwinError, match=words):
        twin.check(sizes, 10, epochs)


def test_generated_code_prints_the_page_numbers() -> None:
    X, y = twin.load_data("moons", 60, 0.1, 3)
    r = twin.race((2, 6, 1), "relu", X, y, 50, 0.4, seed=3)
    code = twin.code_for("moons", 60, 0.1, (2, 6, 1), "relu", 50, 0.4, 3)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    lines = {ln.split(":")[0]: ln.split(":")[1].split() for ln in buf.getvalue().splitlines()}
    first, final = [float(v) for v in lines["first loss"]], [float(v) for v in lines["final loss"]]
    # the same numbers up to float64 rounding noise (BLAS may take another path per run)
    assert first == pytest.approx([r.losses_np[0], r.losses_torch[0]], abs=1e-12)
    assert final == pytest.approx([r.losses_np[-1], r.losses_torch[-1]], abs=1e-12)
    assert float(lines["largest per-step loss difference"][0]) < 1e-12


def test_charts_are_json_and_the_map_cells_land_on_the_grid() -> None:
    """The specs Streamlit sends: strict JSON, losses exact, and each map cell starting
    half a cell before its grid point and a quarter wider than the spacing (so cells
    overlap, leaving no seams) when the browser rebuilds it from the cell's index."""
    X, y = twin.load_data("moons", 60, 0.1, 1)
    r = twin.race((2, 5, 1), "tanh", X, y, 900, 0.3, seed=1)
    loss = json.loads(json.dumps(twin.loss_chart(r), allow_nan=False))
    top, below = loss["vconcat"]
    assert len(top["data"]["values"]) == len(below["data"]["values"]) == 450  # stride 2
    assert top["data"]["values"][-1]["PyTorch"] == r.losses_torch[898]
    grid = twin.boundary_grid(r, X)
    spec = json.loads(json.dumps(twin.boundary_chart(grid, X, y, "NumPy"), allow_nan=False))
    heat, dots = spec["layer"]
    probs = heat["data"]["values"]
    assert len(probs) == twin.BOUNDARY_RES**2 and len(dots["data"]["values"]) == len(X)
    assert max(abs(p - q) for p, q in zip(probs, grid["NumPy"], strict=True)) <= 5e-5
    dx, dy = grid["x1"][1] - grid["x1"][0], grid["x2"][len(probs) - 1] - grid["x2"][0]
    dy /= twin.BOUNDARY_RES - 1
    calc = {t["as"]: t["calculate"] for t in heat["transform"] if "calculate" in t}
    for i in (1, 2, 51, len(probs)):  # row_number counts from 1
        env = {"datum": SimpleNamespace(i=i), "floor": math.floor}
        left = eval(calc["left"], env)  # noqa: S307 (a spec built by the code under test)
        env["datum"].left = left
        bottom = eval(calc["bottom"], env)  # noqa: S307
        env["datum"].bottom = bottom
        right, top_ = eval(calc["right"], env), eval(calc["top"], env)  # noqa: S307
        assert left + dx / 2 == pytest.approx(grid["x1"][i - 1])
        assert bottom + dy / 2 == pytest.approx(grid["x2"][i - 1])
        assert (right - left, top_ - bottom) == pytest.approx((1.25 * dx, 1.25 * dy))
