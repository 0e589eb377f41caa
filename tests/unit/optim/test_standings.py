"""The leaderboard at any step: the lesson's race, divergence last, steps to tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from ml101.optim.race import Race, RaceSpec, make_racer
from ml101.optim.standings import leaderboard, steps_to_tolerance

LESSON = RaceSpec("rosenbrock", (make_racer("sgd", 0.001), make_racer("momentum", 0.001),
                                 make_racer("adam", 0.01), make_racer("rmsprop", 0.01)),
                  (-1.0, 1.0), 100)


def test_lesson_race_standings() -> None:
    race = Race(LESSON)
    race.advance(100)
    rows = {r["optimizer"]: r for r in leaderboard(race, 100, 1e-3)}
    assert rows["SGD + momentum"]["loss"] < rows["Adam"]["loss"] < rows["RMSprop"]["loss"] \
        < rows["SGD"]["loss"] < 4.0
    assert rows["SGD"]["loss"] == pytest.approx(3.66473, rel=1e-5)
    closest = min(rows.values(), key=lambda r: r["distance to minimum"])
    assert closest["optimizer"] == "SGD + momentum"  # "momentum gets closest"
    assert all(r["steps to tolerance"] is None for r in rows.values())


def test_standings_at_an_earlier_step_use_that_steps_numbers() -> None:
    race = Race(LESSON)
    race.advance(100)
    rows = {r["optimizer"]: r for r in leaderboard(race, 10, 1e-3)}
    assert rows["Adam"]["loss"] == float(race.losses[10, 2])
    assert (rows["Adam"]["x"], rows["Adam"]["y"]) == tuple(race.paths[10, 2].astype(float))
    # asking past the frontier gives the frontier's standings, not NaN
    young = Race(LESSON)
    young.advance(5)
    assert leaderboard(young, 100, 1e-3) == leaderboard(young, 5, 1e-3)


def test_a_diverged_racer_goes_last_once_it_has_diverged() -> None:
    race = Race(RaceSpec("rosenbrock", (make_racer("sgd", 1.0), make_racer("adam", 0.01)),
                         (-1.0, 1.0), 50))
    race.advance(50)
    k = race.diverged_at[0]
    rows = leaderboard(race, 50, 1e-3)
    assert rows[-1]["optimizer"] == "SGD" and rows[-1]["diverged"] == f"diverged at step {k}"
    assert rows[-1]["x"] == float(race.paths[k - 1, 0, 0])  # its last valid position
    assert {r["diverged"] for r in leaderboard(race, k - 1, 1e-3)} == {"no"}


def test_steps_to_tolerance_is_the_first_step_below() -> None:
    assert steps_to_tolerance(np.array([5.0, 0.5, 0.01, 0.5, 1e-4]), 0.1) == 2
    assert steps_to_tolerance(np.array([5.0, np.nan, 1.0]), 0.1) is None
