"""The race is torch.optim's own numbers: whole races equal the classes, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.inputs import InputError
from ml101.optim.race import (
    MAX_STEPS,
    Race,
    RaceError,
    RaceSpec,
    make_racer,
    stacked_backward,
    torch_kwargs,
)
from ml101.optim.surfaces import SURFACES
from ml101.optim.tuning import LR_GRID
from ml101.optimizers import OPTIMIZERS


def lesson_loop(surface: str, racer, start: tuple[float, float], steps: int) -> np.ndarray:
    """The lesson's loop, written independently of the race: f from the surface's code
    string, the real class, zero_grad / backward / step(closure), the code's divergence
    test. Positions (steps+1, 2), cut at the step that diverged."""
    surf = SURFACES[surface]
    f = eval("lambda x, y: " + surf.code, {"torch": torch, "math": math})  # noqa: S307
    xy = torch.tensor(list(start), requires_grad=True)
    opt = getattr(torch.optim, racer.info.cls)([xy], lr=racer.lr, **torch_kwargs(racer))

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = f(xy[0], xy[1])
        loss.backward()
        return loss

    path = [xy.detach().clone()]
    for _ in range(steps):
        opt.step(closure)
        path.append(xy.detach().clone())
        if not torch.isfinite(xy).all() or xy.abs().max() > surf.box:
            break
    return torch.stack(path).numpy()


def assert_same_race(race: Race) -> None:
    """Every racer's whole path equals the lesson loop's, exactly (no tolerance)."""
    spec = race.spec
    for i, r in enumerate(spec.racers):
        ref = lesson_loop(spec.surface, r, spec.start, spec.steps)
        k = race.diverged_at[i]
        if k is None:
            assert len(ref) == spec.steps + 1, r.label
            assert np.array_equal(race.paths[:, i], ref), r.label
        else:
            assert len(ref) == k + 1, r.label  # the loop stopped at the same step
            assert np.array_equal(race.paths[:k, i], ref[:k]), r.label
            assert np.isnan(race.paths[k:, i]).all()


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_optimizer_equals_its_class_on_every_surface(surface: str) -> None:
    spec = RaceSpec(surface, tuple(make_racer(k) for k in OPTIMIZERS), SURFACES[surface].start,
                    150)
    race = Race(spec)
    race.advance(spec.steps)
    assert race.complete
    assert_same_race(race)


CHAOTIC = [
    # the review's case: equal for 66 steps with the old engine, then apart
    RaceSpec("rosenbrock", (make_racer("rmsprop", 0.005, momentum=0.5, alpha=0.9),),
             (-1.5, 2.0), 300),
    # big rates that swing wildly, one that diverges, Nesterov and AdamW's decay
    RaceSpec("rastrigin", (make_racer("momentum", 0.01), make_racer("adam", 0.3),
                           make_racer("nadam", 0.1, beta1=0.5, beta2=0.9),
                           make_racer("sgd", 0.06)), (3.2, -2.7), 400),
    RaceSpec("himmelblau", (make_racer("rmsprop", 0.3, alpha=0.9), make_racer("adagrad", 3.0),
                            make_racer("nesterov", 0.02, momentum=0.95),
                            make_racer("adamw", 0.5, weight_decay=0.3)), (-0.5, -0.5), 400),
    RaceSpec("rosenbrock", (make_racer("sgd", 1.0), make_racer("adam", 0.01),
                            make_racer("lbfgs")), (-1.0, 1.0), 100),
]


COORD = st.floats(-2e3, 2e3, width=32) | st.floats(-2.0, 2.0, width=32)


@settings(max_examples=60, deadline=None)
@given(surface=st.sampled_from(list(SURFACES)),
       points=st.lists(st.tuples(COORD, COORD), min_size=1,
                       max_size=len(OPTIMIZERS) * len(LR_GRID)))
def test_one_stacked_backward_gives_every_racer_its_own_gradient(
        surface: str, points: list[tuple[float, float]]) -> None:
    """The premise of the race's speed: f and its gradient for many racers at once (up
    to a tuned search's every candidate) equal, bit for bit, one `loss.backward()` per
    racer, the way the code computes them."""
    f = SURFACES[surface].value
    leaves = [torch.tensor(p, requires_grad=True) for p in points]
    losses = stacked_backward(SURFACES[surface], leaves)
    for leaf, loss in zip(leaves, losses, strict=True):
        own = leaf.detach().clone().requires_grad_()
        alone = f(own[0], own[1])
        alone.backward()
        assert np.array_equal(loss.numpy(), alone.detach().numpy(), equal_nan=True)
        assert np.array_equal(leaf.grad.numpy(), own.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("spec", CHAOTIC, ids=lambda s: s.surface)
def test_chaotic_races_equal_the_classes_too(spec: RaceSpec) -> None:
    race = Race(spec)
    race.advance(spec.steps)
    assert_same_race(race)


def test_the_reviews_numbers_are_now_the_classes() -> None:
    race = Race(CHAOTIC[0])
    race.advance(300)
    assert f"{race.losses[300, 0]:.6g}" == "0.591466"
    assert f"({race.paths[300, 0, 0]:.6f}, {race.paths[300, 0, 1]:.6f})" == "(0.230947, 0.052855)"
    default = Race(RaceSpec("rosenbrock", (make_racer("rmsprop", 0.01),), (-1.0, 1.0), 1000))
    default.advance(1000)
    assert f"{default.losses[1000, 0]:.4g}" == "0.03886"


@pytest.mark.parametrize("spec", [
    RaceSpec("beale", tuple(make_racer(k) for k in ("momentum", "adam", "lbfgs")),
             (1.0, 1.5), 120),
    CHAOTIC[3],  # SGD diverges mid-chunk; L-BFGS searches beside the stacked backward
], ids=["beale", "diverging"])
def test_a_race_grown_in_chunks_is_the_race_grown_at_once(spec: RaceSpec) -> None:
    whole, chunked = Race(spec), Race(spec)
    whole.advance(spec.steps)
    for upto in (1, 3, 7, 50, 51, 99, 119, 120, 500):  # "diverging": SGD goes at step 2, mid-chunk
        chunked.advance(upto)
        assert chunked.frontier == min(upto, spec.steps)
    assert_same_race(chunked)
    assert whole.diverged_at == chunked.diverged_at
    for a, b in ((whole.paths, chunked.paths), (whole.losses, chunked.losses),
                 (whole.grads, chunked.grads), (whole.state, chunked.state)):
        assert np.array_equal(a, b, equal_nan=True)


def test_a_budget_stops_early_and_rows_past_the_frontier_stay_empty() -> None:
    race = Race(RaceSpec("rosenbrock", tuple(make_racer(k) for k in OPTIMIZERS), (-1.0, 1.0),
                         MAX_STEPS))
    reached = race.advance(MAX_STEPS, budget_s=0.05)
    assert 1 <= reached < MAX_STEPS and race.frontier == reached and not race.complete
    assert np.isfinite(race.losses[reached]).all()  # f at the frontier is known
    assert np.isnan(race.paths[reached + 1:]).all()


def test_rows_hold_f_gradient_and_torchs_own_state() -> None:
    spec = RaceSpec("rosenbrock", (make_racer("adam", 0.01), make_racer("momentum", 0.001)),
                    (-1.0, 1.0), 3)
    race = Race(spec)
    race.advance(3)
    xy = torch.tensor([-1.0, 1.0], requires_grad=True)
    opt = torch.optim.Adam([xy], lr=0.01)
    for t in range(3):
        opt.zero_grad()
        loss = SURFACES["rosenbrock"].value(xy[0], xy[1])
        loss.backward()
        assert race.losses[t, 0] == loss.item()
        assert np.array_equal(race.grads[t, 0], xy.grad.numpy())
        opt.step()
        assert np.array_equal(race.state[t + 1, 0, 0], opt.state[xy]["exp_avg"].numpy())
        assert np.array_equal(race.state[t + 1, 0, 1], opt.state[xy]["exp_avg_sq"].numpy())
    assert np.isnan(race.state[0]).all()  # no state before the first step
    g0 = race.grads[0, 1]
    assert np.array_equal(race.state[1, 1, 0], g0)  # the first buffer is the gradient


def test_divergence_stops_one_path_and_not_the_others() -> None:
    race = Race(RaceSpec("rosenbrock", (make_racer("sgd", 1.0), make_racer("adam", 0.01)),
                         (-1.0, 1.0), 50))
    race.advance(50)
    k = race.diverged_at[0]
    assert k is not None and race.diverged_at[1] is None
    assert race.at(0, 50) == k - 1 and race.at(0, k - 1) == k - 1 and race.at(1, 50) == 50
    assert not race.diverged_by(0, k - 1) and race.diverged_by(0, k)
    assert np.isfinite(race.paths[:, 1]).all()


@settings(max_examples=40, deadline=None)
@given(lr=st.one_of(st.floats(-10, 200), st.sampled_from([math.nan, math.inf])),
       steps=st.integers(-5, 6000), mom=st.floats(-1, 2), x=st.floats(-100, 100),
       key=st.sampled_from(["momentum", "unknown", "rmsprop"]),
       surface=st.sampled_from(["rosenbrock", "nowhere"]))
def test_bad_settings_say_what_is_allowed(lr: float, steps: int, mom: float, x: float,
                                          key: str, surface: str) -> None:
    racer = make_racer("momentum", lr, momentum=mom)
    racer = racer if key != "unknown" else type(racer)("unknown", lr)
    try:
        race = Race(RaceSpec(surface, (racer,), (x, 1.0), steps))
    except RaceError as exc:
        assert isinstance(exc, InputError) and "Allowed:" in str(exc)
    else:
        race.advance(min(steps, 20))
        assert race.frontier == min(steps, 20)


def test_no_racer_is_an_error() -> None:
    with pytest.raises(RaceError, match="at least one optimizer"):
        Race(RaceSpec("rosenbrock", (), (0.0, 0.0), 10))


def test_lbfgs_runs_with_its_line_search() -> None:
    race = Race(RaceSpec("beale", (make_racer("lbfgs"),), (1.0, 1.5), 40))
    race.advance(40)
    assert race.losses[40, 0] < 1e-6
    assert_same_race(race)
