"""Who leads the race at a given step: the leaderboard's rows, from a race's own numbers."""

from __future__ import annotations

import numpy as np

from ml101.optim.race import Race


def steps_to_tolerance(losses: np.ndarray, tol: float) -> int | None:
    """First step at which f drops below tol (None: never)."""
    hit = np.flatnonzero(np.nan_to_num(losses, nan=np.inf) < tol)
    return int(hit[0]) if hit.size else None


def leaderboard(race: Race, frame: int, tol: float) -> list[dict[str, object]]:
    """One row per racer at step `frame` (at most the race's frontier), best first: f, the
    distance to the nearest minimum, the position, the first step with f < tol, and
    whether it has diverged by then. Diverged racers go last, at their last position.

    At the race's last step these are the numbers its code prints."""
    frame = min(frame, race.frontier)
    surf = race.spec.surf
    rows = []
    for i, r in enumerate(race.racers):
        k = race.at(i, frame)
        pos = race.paths[k, i].astype(np.float64)
        rows.append({
            "optimizer": r.label,
            "lr": r.lr,
            "loss": float(race.losses[k, i]),
            "distance to minimum": float(surf.nearest_min_distance(pos)),
            "x": float(pos[0]),
            "y": float(pos[1]),
            "steps to tolerance": steps_to_tolerance(race.losses[:k + 1, i], tol),
            "diverged": f"diverged at step {race.diverged_at[i]}"
            if race.diverged_by(i, frame) else "no",
        })
    rows.sort(key=lambda row: (row["diverged"] != "no", row["loss"]))
    return rows
