"""The NumPy vs PyTorch page's charts in one sentence each: the text alternative a screen
reader reads, made from the numbers the charts draw (see `charts.py`)."""

from __future__ import annotations

import pandas as pd

from ml101.prose import listed, num, trend
from ml101.twin.pair import Outcome, TwinRun


def loss(run: TwinRun) -> str:
    """'Training loss per step: NumPy fell from 0.69 ... ; they differ by at most 2e-16.'"""
    return (f"Training loss per step of both networks: NumPy's "
            f"{trend(run.losses_np.tolist(), step='step')}, PyTorch's "
            f"{trend(run.losses_torch.tolist(), step='step')}. Below, their difference on a "
            f"log scale: at most {num(run.max_loss_diff)}.")


def boundary(grid: pd.DataFrame, which: str, run: TwinRun) -> str:
    """'Decision map of the NumPy network: P(class 1) is above 0.5 on 48% of the plane ...'."""
    share = float((grid[which] > 0.5).mean())
    return (f"Decision map of the {which} network: P(class 1) over the plane, pale blue "
            f"towards 0 and pale orange towards 1, above 0.5 on {share:.0%} of it. On top, "
            f"the {len(run.pred_np)} training points, class 0 circles and class 1 squares; "
            f"the network gets {run.accuracy:.0%} of them right.")


def units(out: Outcome) -> str:
    """'For each hidden unit, the share of points where it is on: unit 1 40% before, ...'."""
    a = out.activity.pivot_table(index="unit", columns="when", values="share on",
                                 sort=False)
    parts = [f"{u} {a.loc[u, 'start']:.0%} before and {a.loc[u, 'end']:.0%} after"
             for u in a.index]
    dead = [str(u) for u in a.index if a.loc[u, "end"] == 0]
    tail = f"; dead after training: {listed(dead)}" if dead else "; none dead after training"
    return ("Bars per hidden unit: the share of training points where its ReLU is on, "
            f"before and after training: {'; '.join(parts)}{tail}.")
