"""Tuned per optimizer: rates from the grid, picked by racing, within a capped budget."""

from __future__ import annotations

from ml101.optim import tuning
from ml101.optim.race import Race, RaceSpec, make_racer
from ml101.optimizers import OPTIMIZERS


def tuned(spec: RaceSpec) -> RaceSpec:
    search = tuning.search_spec(spec)
    assert search is not None
    race = Race(search)
    race.advance(search.steps)
    return tuning.tuned(spec, race)


def test_tuned_rates_come_from_the_grid_and_beat_a_bad_rate() -> None:
    spec = RaceSpec("bowl", (make_racer("sgd", 1e-4), make_racer("adam", 1e-4)), (-4.5, 2.0),
                    200)
    best = tuned(spec)
    assert all(r.lr in tuning.LR_GRID for r in best.racers)
    assert best.racers[0].lr < 2 / 50  # SGD must stay below the steep axis's stability limit
    slow, fast = Race(spec), Race(best)
    for r in (slow, fast):
        r.advance(200)
    assert fast.losses[200, 0] < slow.losses[200, 0]


def test_the_search_is_capped_and_lbfgs_keeps_its_rate() -> None:
    spec = RaceSpec("rosenbrock", tuple(make_racer(k) for k in OPTIMIZERS), (-1.0, 1.0), 5000)
    search = tuning.search_spec(spec)
    assert search is not None
    assert len(search.racers) == 8 * len(tuning.LR_GRID)  # every optimizer but L-BFGS
    assert len(search.racers) * search.steps <= tuning.BUDGET
    assert search.steps == tuning.search_steps(spec) < spec.steps
    one = RaceSpec("rosenbrock", (make_racer("adam"),), (-1.0, 1.0), 300)
    assert tuning.search_steps(one) == 300  # a small search runs the whole race
    only_lbfgs = RaceSpec("beale", (make_racer("lbfgs"),), (1.0, 1.5), 50)
    assert tuning.search_spec(only_lbfgs) is None


def test_a_diverging_rate_never_wins() -> None:
    spec = RaceSpec("rosenbrock", (make_racer("sgd"),), (-1.0, 1.0), 100)
    search = tuning.search_spec(spec)
    race = Race(search)
    race.advance(search.steps)
    assert any(k is not None for k in race.diverged_at)  # big rates blow up here
    lr = tuning.tuned(spec, race).racers[0].lr
    assert race.diverged_at[tuning.LR_GRID.index(lr)] is None
