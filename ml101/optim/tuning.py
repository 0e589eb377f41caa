"""'Tuned per optimizer': each racer's learning rate picked from a small grid by racing.

The search is itself a race, one racer per (optimizer, rate), run for the first
`search_steps` steps on the same surface from the same start; the rate with the lowest f
at its end wins, and a rate that diverges loses. Its cost is capped (`BUDGET` optimizer
steps in all, about a second on one core), so with many optimizers it looks at fewer
steps, and it says so.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ml101.optim.race import Race, RaceSpec

LR_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
BUDGET = 10_000  # optimizer steps one search may take, every candidate together
MIN_STEPS = 20  # fewer would judge a rate by its first wobble


def tunable(spec: RaceSpec) -> list[int]:
    """Racers whose rate is searched: all but L-BFGS, whose line search picks its step."""
    return [i for i, r in enumerate(spec.racers) if r.key != "lbfgs"]


def search_steps(spec: RaceSpec) -> int:
    """How many steps each candidate runs: the race's, within the budget."""
    n = max(1, len(tunable(spec)) * len(LR_GRID))
    return max(1, min(spec.steps, max(MIN_STEPS, BUDGET // n)))


def search_spec(spec: RaceSpec) -> RaceSpec | None:
    """The search's own race: every tunable racer at every rate of the grid (None when no
    racer is tunable)."""
    candidates = tuple(replace(spec.racers[i], lr=lr) for i in tunable(spec) for lr in LR_GRID)
    if not candidates:
        return None
    return RaceSpec(spec.surface, candidates, spec.start, search_steps(spec))


def tuned(spec: RaceSpec, search: Race) -> RaceSpec:
    """`spec` with each tunable racer at the grid rate that did best in the finished
    `search`: lowest f at its last step; diverged or non-finite counts as worst, and a tie
    goes to the smaller rate."""
    racers = list(spec.racers)
    last = search.steps
    for n, i in enumerate(tunable(spec)):
        finals = []
        for j in range(len(LR_GRID)):
            c = n * len(LR_GRID) + j
            f = float(search.losses[last, c]) if search.diverged_at[c] is None else np.inf
            finals.append(f if np.isfinite(f) else np.inf)
        racers[i] = replace(racers[i], lr=LR_GRID[int(np.argmin(finals))])
    return replace(spec, racers=tuple(racers))
