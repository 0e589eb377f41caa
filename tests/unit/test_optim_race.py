"""The vectorised race against the real torch.optim classes, surfaces, divergence, tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.optim.race import (
    generated_code,
    leaderboard,
    make_racer,
    race,
    reference_run,
    tuned_rates,
)
from ml101.optim.surfaces import SURFACES
from ml101.optimizers import OPTIMIZERS

ELEMENTWISE = [k for k in OPTIMIZERS if k != "lbfgs"]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_vectorised_race_matches_real_torch_optim(surface: str) -> None:
    surf = SURFACES[surface]
    racers = tuple(make_racer(k) for k in ELEMENTWISE)
    res = race(surface, racers, surf.start, 60)
    for i, r in enumerate(racers):
        path, _, _ = reference_run(surface, r, surf.start, 60)
        assert res.diverged_at[i] is None
        # float32 rounding only: the page promises agreement within 1e-6
        np.testing.assert_allclose(res.paths[:, i], path, rtol=0, atol=1e-6,
                                   err_msg=r.label)


def test_hyperparameters_reach_the_update() -> None:
    racers = (make_racer("rmsprop", 0.01, momentum=0.5, alpha=0.9),
              make_racer("adam", 0.02, beta1=0.5, beta2=0.9),
              make_racer("adamw", 0.02, weight_decay=0.3),
              make_racer("nesterov", 0.001, momentum=0.7))
    res = race("himmelblau", racers, (-0.5, -0.5), 80)
    for i, r in enumerate(racers):
        path, _, _ = reference_run("himmelblau", r, (-0.5, -0.5), 80)
        np.testing.assert_allclose(res.paths[:, i], path, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_closed_form_gradient_matches_autograd(surface: str) -> None:
    surf = SURFACES[surface]
    g = torch.Generator().manual_seed(0)
    x0, x1, y0, y1 = surf.window
    x = (torch.rand(200, generator=g) * (x1 - x0) + x0).requires_grad_()
    y = (torch.rand(200, generator=g) * (y1 - y0) + y0).requires_grad_()
    surf.value(x, y).sum().backward()
    gx, gy = surf.grad(x.detach(), y.detach())
    torch.testing.assert_close(gx, x.grad, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(gy, y.grad, rtol=1e-4, atol=1e-3)
    for mx, my in surf.minima:
        assert float(surf.value(torch.tensor(mx), torch.tensor(my))) == pytest.approx(0, abs=1e-4)


def test_lesson_race_numbers() -> None:
    racers = (make_racer("sgd", 0.001), make_racer("momentum", 0.001),
              make_racer("adam", 0.01), make_racer("rmsprop", 0.01))
    rows = {r["optimizer"]: r for r in leaderboard(race("rosenbrock", racers, (-1, 1), 100), 1e-3)}
    assert rows["SGD + momentum"]["final loss"] < rows["Adam"]["final loss"] \
        < rows["RMSprop"]["final loss"] < rows["SGD"]["final loss"] < 4.0
    assert rows["SGD"]["final loss"] == pytest.approx(3.66473, rel=1e-4)


def test_divergence_stops_one_path_and_not_the_others() -> None:
    racers = (make_racer("sgd", 1.0), make_racer("adam", 0.01))
    res = race("rosenbrock", racers, (-1.0, 1.0), 50)
    assert res.diverged_at[0] is not None and res.diverged_at[1] is None
    assert np.isnan(res.paths[res.diverged_at[0]:, 0]).all()
    assert np.isfinite(res.paths[:, 1]).all()
    rows = leaderboard(res, 1e-3)
    assert rows[-1]["diverged"] == f"diverged at step {res.diverged_at[0]}"


def test_tuned_rates_come_from_the_grid_and_beat_a_bad_rate() -> None:
    racers = (make_racer("sgd", 1e-4), make_racer("adam", 1e-4))
    rates = tuned_rates("bowl", racers, (-4.5, 2.0), 200)
    assert all(r in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0) for r in rates)
    assert rates[0] < 2 / 50  # SGD must stay below the stability limit of the steep axis
    tuned = race("bowl", (make_racer("sgd", rates[0]),), (-4.5, 2.0), 200)
    slow = race("bowl", racers[:1], (-4.5, 2.0), 200)
    assert tuned.losses[-1, 0] < slow.losses[-1, 0]


def test_lbfgs_runs_with_its_line_search() -> None:
    res = race("beale", (make_racer("lbfgs"),), (1.0, 1.5), 40)
    assert leaderboard(res, 1e-3)[0]["final loss"] < 1e-6


def test_generated_code_reproduces_the_race(capsys: pytest.CaptureFixture[str]) -> None:
    racers = (make_racer("momentum", 0.001), make_racer("nadam", 0.01), make_racer("sgd", 1.0))
    code = generated_code("rosenbrock", racers, (-1.0, 1.0), 100)
    exec(compile(code, "generated", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    rows = {r["optimizer"]: r for r in leaderboard(race("rosenbrock", racers, (-1.0, 1.0), 100),
                                                    1e-3)}
    k = race("rosenbrock", racers, (-1.0, 1.0), 100).diverged_at[2]
    assert k is not None and out[2].split() == ["SGD", "diverged", "at", "step", str(k)]
    for line, name in zip(out[:2], ["SGD + momentum", "NAdam"], strict=True):
        loss = float(line.split("final loss ")[1].split()[0])
        assert loss == pytest.approx(rows[name]["final loss"], rel=1e-4)


@settings(max_examples=30, deadline=None)
@given(lr=st.one_of(st.floats(-10, 200), st.sampled_from([float("nan"), float("inf")])),
       steps=st.integers(-5, 6000), mom=st.floats(-1, 2))
def test_bad_settings_give_a_clear_error_or_a_race(lr: float, steps: int, mom: float) -> None:
    try:
        res = race("rosenbrock", (make_racer("momentum", lr, momentum=mom),), (-1.0, 1.0),
                   min(steps, 30) if steps > 0 else steps)
    except ValueError as exc:
        assert str(exc)
    else:
        assert res.paths.shape[1] == 1
