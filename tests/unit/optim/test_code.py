"""The race's code prints the standings' digits at the last step, for any race."""

from __future__ import annotations

import pytest

from ml101.optim.code import code_for
from ml101.optim.race import Race, RaceSpec, make_racer
from ml101.optim.standings import leaderboard
from tests.conftest import run_script

RACES = [
    RaceSpec("rosenbrock", (make_racer("momentum", 0.001), make_racer("nadam", 0.01),
                            make_racer("sgd", 1.0), make_racer("lbfgs")), (-1.0, 1.0), 100),
    RaceSpec("rosenbrock", (make_racer("rmsprop", 0.005, momentum=0.5, alpha=0.9),),
             (-1.5, 2.0), 300),
    RaceSpec("rastrigin", (make_racer("momentum", 0.01), make_racer("adamw", 0.3),
                           make_racer("adagrad")), (3.2, -2.7), 250),
]


def printed(code: str) -> list[str]:
    return run_script(code)[1].splitlines()


def expected(race: Race) -> list[str]:
    """What the standings show at the last step, written as the code writes it."""
    lines = []
    for i, r in enumerate(race.racers):
        row = next(row for row in leaderboard(race, race.steps, 1e-3)
                   if row["optimizer"] == r.label)
        if row["diverged"] != "no":
            lines.append(f"{r.label:15} diverged at step {race.diverged_at[i]}")
        else:
            lines.append(f"{r.label:15} final loss {row['loss']:.6g} at "
                         f"({row['x']:.6f}, {row['y']:.6f})")
    return lines


@pytest.mark.parametrize("spec", RACES, ids=lambda s: s.surface)
def test_the_code_prints_exactly_what_the_page_shows(spec: RaceSpec) -> None:
    race = Race(spec)
    race.advance(spec.steps)
    assert printed(code_for(spec)) == expected(race)


def test_the_code_names_the_real_classes_and_settings() -> None:
    code = code_for(RACES[0])
    assert "torch.optim.SGD, 0.001, {'momentum': 0.9}" in code
    assert "torch.optim.LBFGS, 1.0, {'max_iter': 1" in code
    assert "loss.backward()" in code and "import math" not in code
    assert "import math" in code_for(RACES[2])
