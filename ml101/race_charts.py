"""Altair specs for the optimizer race: contour map with paths, curves, state arrows.

Kept out of the page so tests can check what is drawn, and so the expensive parts
(the surface grid and its contour lines) are computed once per surface.
"""

from __future__ import annotations

import math
from functools import lru_cache

import altair as alt
import contourpy
import numpy as np
import pandas as pd
import torch

from ml101.optim_race import STATE_NAMES, RaceResult
from ml101.surfaces import SURFACES, Surface

GRID = 32  # clickable cells per side
MAX_POINTS = 400  # per path and curve, so a 5,000-step race stays light in the browser
FLOOR = 1e-12  # log axes need f > 0; values below this are drawn at this floor
_STAR = ("M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12"
         "L-0.95,-0.31L-0.24,-0.33Z")
CLICK = "start"  # name of the click selection on the grid layer


def log_levels(surf: Surface, count: int = 18) -> np.ndarray:
    """Log-spaced contour levels from near the minimum to the window's high ground."""
    _, _, z = surf.grid()
    hi = float(np.quantile(z, 0.95))
    lo = max(float(z.min()), hi * 1e-6, 1e-3)
    return np.logspace(math.log10(lo), math.log10(hi), count)


@lru_cache(maxsize=16)
def surface_frames(key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cells, contour lines) for a surface: cells are the clickable heat map."""
    surf = SURFACES[key]
    x0, x1, y0, y1 = surf.window
    xs = np.linspace(x0, x1, GRID + 1)
    ys = np.linspace(y0, y1, GRID + 1)
    cx, cy = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
    mx, my = np.meshgrid(cx, cy)
    z = surf.value(torch.from_numpy(mx), torch.from_numpy(my)).numpy()
    ix, iy = np.meshgrid(np.arange(GRID), np.arange(GRID))
    cells = pd.DataFrame({
        "x": mx.ravel().round(3), "y": my.ravel().round(3),
        "x_lo": xs[ix.ravel()].round(4), "x_hi": xs[ix.ravel() + 1].round(4),
        "y_lo": ys[iy.ravel()].round(4), "y_hi": ys[iy.ravel() + 1].round(4),
        "log10 f": np.log10(np.maximum(z.ravel(), FLOOR)).round(2),
    })
    gx, gy, gz = surf.grid(72)
    gen = contourpy.contour_generator(gx, gy, gz)
    rows = []
    seg = 0
    for level in log_levels(surf):
        for line in gen.lines(level):
            seg += 1
            for k, (lx, ly) in enumerate(line[::2] if len(line) > 40 else line):
                rows.append((round(float(lx), 4), round(float(ly), 4), level, seg, k))
    lines = pd.DataFrame(rows, columns=["x", "y", "level", "seg", "k"])
    return cells, lines


def _every(n: int, frame: int) -> np.ndarray:
    """Indices 0..frame thinned to at most MAX_POINTS, always keeping the last."""
    stride = max(1, math.ceil((frame + 1) / MAX_POINTS))
    idx = np.arange(0, frame + 1, stride)
    return idx if idx[-1] == frame else np.append(idx, frame)


def _colors(res: RaceResult) -> alt.Scale:
    return alt.Scale(domain=[r.label for r in res.racers],
                     range=[r.info.color for r in res.racers])


def path_frame(res: RaceResult, frame: int) -> pd.DataFrame:
    """Every racer's path up to `frame` (thinned), for the contour map."""
    parts = []
    for i, r in enumerate(res.racers):
        last = min(frame, res.final_index(i))
        idx = _every(res.steps, last)
        parts.append(pd.DataFrame({"optimizer": r.label, "step": idx,
                                   "x": res.paths[idx, i, 0], "y": res.paths[idx, i, 1]}))
    return pd.concat(parts, ignore_index=True)


def arrows(res: RaceResult, i: int, frame: int) -> tuple[pd.DataFrame, float]:
    """State arrows for racer i at `frame`, scaled so the longest is 15% of the window.

    'gradient step' is where plain SGD at this lr would go (-lr*g); 'actual step' is the
    move this optimizer made from here; 'momentum buffer' shows the buffer times -lr."""
    surf = SURFACES[res.surface]
    r = res.racers[i]
    last = res.final_index(i)
    if frame >= last:
        return pd.DataFrame(columns=["arrow", "x", "y", "x2", "y2", "angle"]), 1.0
    pos = res.paths[frame, i].astype(np.float64)
    vecs = {"gradient step (-lr·g)": -r.lr * res.grads[frame, i].astype(np.float64),
            "actual step": res.paths[frame + 1, i].astype(np.float64) - pos}
    name0 = STATE_NAMES[r.key][0]
    if name0 == "momentum buffer":
        vecs["momentum buffer (×-lr)"] = -r.lr * res.state[frame, i, 0].astype(np.float64)
    width = surf.window[1] - surf.window[0]
    longest = max(float(np.linalg.norm(v)) for v in vecs.values())
    scale = 0.15 * width / longest if longest > 0 else 1.0
    rows = []
    for name, v in vecs.items():
        end = pos + scale * v
        angle = math.degrees(math.atan2(v[0], v[1])) if np.any(v) else 0.0
        rows.append({"arrow": name, "x": pos[0], "y": pos[1], "x2": end[0], "y2": end[1],
                     "angle": angle})
    return pd.DataFrame(rows), scale


def contour_chart(res: RaceResult, frame: int, start: tuple[float, float],
                  inspect: int | None = None, size: int = 560) -> alt.LayerChart:
    """The map: log-spaced contours, clickable cells, paths, start, positions, minima."""
    surf = SURFACES[res.surface]
    x0, x1, y0, y1 = surf.window
    xs = alt.Scale(domain=[x0, x1], nice=False, zero=False)
    ys = alt.Scale(domain=[y0, y1], nice=False, zero=False)
    cells, lines = surface_frames(res.surface)
    pick = alt.selection_point(name=CLICK, on="click", fields=["x", "y"], empty=False)
    heat = alt.Chart(cells).mark_rect(opacity=0.55).encode(
        x=alt.X("x_lo:Q", scale=xs, title="x"), x2="x_hi", y=alt.Y("y_lo:Q", scale=ys, title="y"),
        y2="y_hi",
        color=alt.Color("log10 f:Q", scale=alt.Scale(scheme="viridis", reverse=True),
                        legend=alt.Legend(title="log10 f", orient="bottom")),
        tooltip=[alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f"),
                 alt.Tooltip("log10 f:Q", format=".2f")],
    ).add_params(pick)
    contour = alt.Chart(lines).mark_line(color="white", strokeWidth=0.8, opacity=0.8).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), detail="seg:N", order="k:Q")
    paths = path_frame(res, frame)
    colors = _colors(res)
    trail = alt.Chart(paths).mark_line(strokeWidth=2.2, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), order="step:Q",
        color=alt.Color("optimizer:N", scale=colors, legend=alt.Legend(orient="bottom")))
    now = paths.groupby("optimizer", sort=False).tail(1)
    heads = alt.Chart(now).mark_point(filled=True, size=140, stroke="black", strokeWidth=1,
                                      opacity=1, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
        color=alt.Color("optimizer:N", scale=colors),
        tooltip=["optimizer", "step", alt.Tooltip("x:Q", format=".4f"),
                 alt.Tooltip("y:Q", format=".4f")])
    minima = alt.Chart(pd.DataFrame(surf.minima, columns=["x", "y"])).mark_point(
        shape=_STAR, filled=True, size=260, color="#e41a1c", stroke="white", opacity=1).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), tooltip=["x", "y"])
    begin = alt.Chart(pd.DataFrame([{"x": start[0], "y": start[1]}])).mark_point(
        shape="circle", size=180, filled=True, color="white", stroke="black", opacity=1,
        clip=True).encode(x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys))
    layers = [heat, contour, trail, minima, begin, heads]
    dead = [{"x": float(res.paths[res.final_index(i), i, 0]),
             "y": float(res.paths[res.final_index(i), i, 1]),
             "note": f"{r.label}: diverged at step {res.diverged_at[i]}"}
            for i, r in enumerate(res.racers)
            if res.diverged_at[i] is not None and frame >= res.diverged_at[i]]
    if dead:
        layers.append(alt.Chart(pd.DataFrame(dead)).mark_text(
            text="✕", fontSize=26, color="#e41a1c", fontWeight="bold", clip=True).encode(
            x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), tooltip=["note"]))
    if inspect is not None:
        arr, _ = arrows(res, inspect, frame)
        if len(arr):
            arrow_colors = alt.Scale(domain=["gradient step (-lr·g)", "actual step",
                                             "momentum buffer (×-lr)"],
                                     range=["#111111", "#e41a1c", "#ff7f0e"])
            enc = {"color": alt.Color("arrow:N", scale=arrow_colors,
                                      legend=alt.Legend(title=None, orient="bottom"))}
            layers.append(alt.Chart(arr).mark_rule(strokeWidth=3, clip=True).encode(
                x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), x2="x2", y2="y2", **enc))
            layers.append(alt.Chart(arr).mark_point(
                shape="triangle-up", filled=True, size=120, opacity=1, clip=True).encode(
                x=alt.X("x2:Q", scale=xs), y=alt.Y("y2:Q", scale=ys),
                angle=alt.Angle("angle:Q", scale=None), **enc))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        width=size, height=size)


def curves_chart(res: RaceResult, frame: int, what: str) -> alt.LayerChart:
    """f (what='loss') or distance to the nearest minimum (what='distance') against step,
    log scale, with a rule at the current step."""
    surf = SURFACES[res.surface]
    parts = []
    for i, r in enumerate(res.racers):
        idx = _every(res.steps, res.final_index(i))
        if what == "loss":
            vals = res.losses[idx, i].astype(np.float64)
        else:
            vals = surf.nearest_min_distance(res.paths[idx, i].astype(np.float64))
        parts.append(pd.DataFrame({"optimizer": r.label, "step": idx,
                                   "value": np.maximum(vals, FLOOR)}))
    data = pd.concat(parts, ignore_index=True)
    title = "f(x, y), log scale" if what == "loss" else "distance to nearest minimum, log scale"
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", scale=alt.Scale(domain=[0, res.steps], nice=False)),
        y=alt.Y("value:Q", scale=alt.Scale(type="log"), title=title),
        color=alt.Color("optimizer:N", scale=_colors(res), legend=alt.Legend(orient="bottom")),
        tooltip=["optimizer", "step", alt.Tooltip("value:Q", format=".4g")])
    rule = alt.Chart(pd.DataFrame({"step": [frame]})).mark_rule(
        color="gray", strokeDash=[4, 4]).encode(x="step:Q")
    return alt.layer(lines, rule).properties(height=260)
