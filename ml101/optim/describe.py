"""The Optimizer race's charts in one sentence each: the text alternative a screen reader
reads, made from the race's own numbers (see `charts.py`)."""

from __future__ import annotations

import numpy as np

from ml101.optim.race import Race
from ml101.prose import listed, num, trend


def _where(race: Race, i: int, frame: int) -> str:
    r = race.racers[i]
    j = race.at(i, frame)
    x, y = (float(v) for v in race.paths[j, i])
    f = float(race.losses[j, i])
    if race.diverged_by(i, frame):
        return f"{r.label} diverged at step {race.diverged_at[i]}"
    return f"{r.label} at ({num(x)}, {num(y)}) with f {num(f)}"


def race_map(race: Race, frame: int) -> str:
    """'Rosenbrock's surface, minimum ★ at (1, 1); from the start (-1.5, 2), at step 40
    of 100: SGD at (...) with f ..., Adam ...'."""
    spec = race.spec
    surf = spec.surf
    minima = listed([f"({num(a)}, {num(b)})" for a, b in surf.minima])
    return (f"Map of the {surf.name} surface f(x, y), darker where f is higher, minimum "
            f"marked with a star at {minima}. From the start ({num(spec.start[0])}, "
            f"{num(spec.start[1])}), at step {frame} of {spec.steps}: "
            + "; ".join(_where(race, i, frame) for i in range(len(race.racers)))
            + ". The start can be set with the x and y inputs beside the map.")


def curves(race: Race, what: str) -> str:
    """'f per step, log scale: SGD fell from 24.2 at step 0 to 0.031 at step 100; ...'."""
    title = "f(x, y)" if what == "loss" else "Distance to the nearest minimum"
    parts = []
    for i, r in enumerate(race.racers):
        last = race.at(i, race.frontier)
        steps = np.arange(last + 1)
        if what == "loss":
            vals = race.losses[:last + 1, i].astype(np.float64)
        else:
            vals = race.spec.surf.nearest_min_distance(
                race.paths[:last + 1, i].astype(np.float64))
        parts.append(f"{r.label} {trend(vals.tolist(), steps.tolist(), step='step')}")
    return f"{title} per step, log scale: " + "; ".join(parts) + "."
