"""Chart specs for the benchmark page, as Vega-Lite dicts (built with Altair).

A timing without its device, torch version, threads, dtype and number of runs cannot be
compared with anything, so every chart's subtitle says them; legends name only what
tells the curves apart (the full name is in the tooltip). Points whose working set fits
in a cache are drawn hollow: they measure the cache, not memory.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ml101.bench import readings
from ml101.bench.devices import Machine
from ml101.bench.lesson_timing import NaiveResult
from ml101.bench.measuring import Point, short_labels
from ml101.bench.ops import intensity
from ml101.bench.roofline import RooflineResult
from ml101.style import FONT, HIGHLIGHT, MUTED, SERIES, chart_config

Spec = dict[str, Any]
IN_CACHE, IN_MEMORY, UNKNOWN = "fits in a cache", "exceeds every cache", "cache size unknown"
_FILL = {IN_MEMORY: 1.0, IN_CACHE: 0.0, UNKNOWN: 1.0}
_NUMBER = ",~r"  # 0.001, 10, 1,000,000: plain numbers on log axes


def _where(point: Point, machine: Machine) -> str:
    if not machine.device(point.series.device).caches:
        return UNKNOWN
    return IN_CACHE if readings.cache_of(point, machine) else IN_MEMORY


def frame(points: list[Point], machine: Machine) -> pd.DataFrame:
    """Points as chart rows; IQR bounds in ms and in throughput (a slow run is a low rate)."""
    names = short_labels([p.series for p in points])
    rows = []
    for p in points:
        rows.append({
            "series": names[p.series], "label": p.series.label, "size": p.size,
            "median_ms": p.median_s * 1e3, "p25_ms": p.p25_s * 1e3, "p75_ms": p.p75_s * 1e3,
            "gflops": p.gflops, "gflops_lo": p.flops / p.p75_s / 1e9,
            "gflops_hi": p.flops / p.p25_s / 1e9,
            "gbps": p.gbps, "gbps_lo": p.bytes / p.p75_s / 1e9, "gbps_hi": p.bytes / p.p25_s / 1e9,
            "runs": p.runs, "calls_per_run": p.number_per_run,
            "working_set_mib": p.bytes / 2**20, "where": _where(p, machine),
            "residence": readings.residence(p, machine) or "a copy: the bus is the limit",
        })
    return pd.DataFrame(rows)


def _decades(lo: float, hi: float) -> list[float]:
    """Powers of ten spanning [lo, hi]: the ticks of a log axis."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return [10.0**k for k in range(a, b + 1)]


def _size_axis(df: pd.DataFrame, title: str) -> alt.X:
    """Sizes are powers of two: a base-2 log scale with a tick at each measured size."""
    sizes = sorted({int(s) for s in df["size"]})
    return alt.X("size:Q", title=title, scale=alt.Scale(type="log", base=2),
                 axis=alt.Axis(values=sizes, format="d", labelOverlap=True))


def _colour(df: pd.DataFrame) -> alt.Color:
    names = list(dict.fromkeys(df["series"]))
    return alt.Color("series:N", title=None, sort=names,
                     scale=alt.Scale(domain=names, range=list(SERIES[:len(names)])),
                     legend=alt.Legend(orient="bottom", columns=min(4, len(names))))


def _fill_scale(present: list[str]) -> alt.Scale:
    # An ordinal scale maps each value to its own opacity (a point scale, the default for
    # a discrete field on this channel, would spread them evenly between two ends).
    return alt.Scale(type="ordinal", domain=present, range=[_FILL[w] for w in present])


def _dots(df: pd.DataFrame, x: alt.X, y: alt.Y, tooltip: list) -> alt.Chart:
    """The measured points: filled where calls stream from memory, hollow where the working
    set fits in a cache; the stroke keeps the series colour either way."""
    present = [w for w in (IN_MEMORY, IN_CACHE, UNKNOWN) if w in set(df["where"])]
    names = list(dict.fromkeys(df["series"]))
    return alt.Chart(df).mark_point(filled=True, size=55, strokeWidth=2).encode(
        x=x, y=y, color=_colour(df),
        stroke=alt.Stroke("series:N", sort=names, legend=None,
                          scale=alt.Scale(domain=names, range=list(SERIES[:len(names)]))),
        fillOpacity=alt.FillOpacity("where:N", legend=None, scale=_fill_scale(present)),
        tooltip=tooltip)


_SUBTITLE_CHARS = 50  # a line of 11 px type that still fits a phone-wide chart


HOLLOW_KEY = "○ hollow: the working set fits in a cache"


def _title(text: str, meta: str, hollow: bool = False) -> alt.Title:
    """Title plus the metadata, broken over lines so a narrow chart never truncates it, and
    the key to hollow points where there are any (the subtitle survives any chart width)."""
    lines: list[str] = []
    for part in meta.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= _SUBTITLE_CHARS:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    lines += [HOLLOW_KEY] if hollow else []
    return alt.Title(text, subtitle=lines, anchor="start", subtitleFontSize=11,
                     subtitleColor=MUTED)


def _crossover_rule(size: int | None) -> list[alt.Chart]:
    if size is None:
        return []
    data = pd.DataFrame({"size": [size], "label": [f"GPU wins from {size}"]})
    base = alt.Chart(data)
    return [base.mark_rule(strokeDash=[6, 3], color=HIGHLIGHT).encode(x="size:Q"),
            base.mark_text(align="left", dx=4, baseline="top", color=HIGHLIGHT,
                           fontWeight="bold").encode(x="size:Q", y=alt.value(4),
                                                     text="label:N")]


def _finish(chart: alt.TopLevelMixin, height: int) -> Spec:
    """Config and size: the plot is `height` tall and as wide as its column, with title,
    axes and legend added around it (not squeezed into it)."""
    spec = chart.properties(height=height).configure(**chart_config()).to_dict()
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec["padding"] = {"top": 8, "left": 4, "right": 8, "bottom": 4}
    spec["config"]["text"] = {"fontSize": FONT["label"]}  # labels drawn inside the plot
    return spec


def projected(spec: Spec, factor: float = 1.5) -> Spec:
    """The same chart for a projector: every type size times `factor`, as presenter mode
    enlarges the page's own type (a chart's would otherwise stay small)."""
    config = {k: dict(v) for k, v in spec["config"].items()}
    for part in config.values():
        for key in ("labelFontSize", "titleFontSize", "fontSize"):
            if key in part:
                part[key] = round(part[key] * factor)
    out = {**spec, "config": config}
    if isinstance(spec.get("title"), dict) and "subtitleFontSize" in spec["title"]:
        title = spec["title"]
        out["title"] = {**title, "subtitleFontSize": round(title["subtitleFontSize"] * factor)}
    return out


_TIP = [alt.Tooltip("label:N", title="series"), alt.Tooltip("size:Q"),
        alt.Tooltip("working_set_mib:Q", title="working set (MiB)", format=".3~g"),
        alt.Tooltip("residence:N", title="working set")]


def time_chart(points: list[Point], machine: Machine, meta: str, size_name: str,
               height: int = 300) -> Spec:
    """Median time per call against size, both on log scales, IQR as error bars."""
    df = frame(points, machine)
    lo, hi = float(df["p25_ms"].min()), float(df["p75_ms"].max())
    y = alt.Y("median_ms:Q", title="median time per call (ms)",
              scale=alt.Scale(type="log"),
              axis=alt.Axis(values=_decades(lo, hi), format=_NUMBER))
    x = _size_axis(df, size_name)
    base = alt.Chart(df).encode(x=x, color=_colour(df))
    line = base.mark_line(strokeWidth=2).encode(y=y)
    bars = base.mark_errorbar(ticks=True).encode(
        y=alt.Y("p25_ms:Q", title="median time per call (ms)"), y2="p75_ms:Q")
    tip = [*_TIP, alt.Tooltip("median_ms:Q", title="median (ms)", format=".4f"),
           alt.Tooltip("p25_ms:Q", title="p25 (ms)", format=".4f"),
           alt.Tooltip("p75_ms:Q", title="p75 (ms)", format=".4f"),
           alt.Tooltip("runs:Q", title="timed runs"),
           alt.Tooltip("calls_per_run:Q", title="calls per run")]
    layers = [line, bars, _dots(df, x, y, tip), *_crossover_rule(readings.gpu_crossover(points))]
    title = _title("Time per call", meta, IN_CACHE in set(df["where"]))
    return _finish(alt.layer(*layers).properties(title=title), height)


def throughput_chart(points: list[Point], machine: Machine, meta: str, size_name: str, *,
                     metric: str = "gflops", peak: float = 0.0, peak_label: str = "",
                     height: int = 300) -> Spec:
    """GFLOP/s (or GB/s) against size, with the hardware's peak as a horizontal line; a log
    scale when the curves span more than a factor of 100 (a CPU beside a GPU)."""
    df = frame(points, machine)
    unit = "GFLOP/s" if metric == "gflops" else "GB/s"
    lo = float(df[f"{metric}_lo"].min())
    hi = max(float(df[f"{metric}_hi"].max()), peak)
    log = lo > 0 and hi / lo > 100
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    axis = alt.Axis(values=_decades(lo, hi), format=_NUMBER) if log else alt.Axis(format=",~r")
    y = alt.Y(f"{metric}:Q", title=f"achieved {unit}", scale=scale, axis=axis)
    x = _size_axis(df, size_name)
    base = alt.Chart(df).encode(x=x, color=_colour(df))
    line = base.mark_line(strokeWidth=2).encode(y=y)
    bars = base.mark_errorbar(ticks=True).encode(
        y=alt.Y(f"{metric}_lo:Q", title=f"achieved {unit}"), y2=f"{metric}_hi:Q")
    tip = [*_TIP, alt.Tooltip(f"{metric}:Q", title=unit, format=",.2f")]
    layers: list[alt.Chart] = [line, bars, _dots(df, x, y, tip)]
    if peak > 0:
        ref = alt.Chart(pd.DataFrame({"peak": [peak], "label": [peak_label]}))
        layers += [ref.mark_rule(strokeDash=[4, 4], color=MUTED).encode(y="peak:Q"),
                   ref.mark_text(align="left", x=4, dy=-7, color=MUTED).encode(
                       y="peak:Q", text="label:N")]
    layers += _crossover_rule(readings.gpu_crossover(points))
    title = _title(f"Throughput ({unit})", meta, IN_CACHE in set(df["where"]))
    return _finish(alt.layer(*layers).properties(title=title), height)


def roofline_chart(result: RooflineResult, machine: Machine, peak_gflops: float, meta: str,
                   height: int = 360) -> Spec:
    """Achieved GFLOP/s against FLOP per byte: below the slanted roof, memory is the limit;
    hollow points fit in a cache, so they may sit above the memory roof."""
    pts = pd.DataFrame([{"op": p.series.op, "size": p.size,
                         "intensity": intensity(p.series.op, p.size, p.series.dtype),
                         "gflops": p.gflops, "where": _where(p, machine),
                         "residence": readings.residence(p, machine),
                         "label": f"{p.series.op} {p.size}"} for p in result.points])
    lo, hi = 0.05, max(1000.0, float(pts["intensity"].max()) * 2)
    grid = np.logspace(np.log10(lo), np.log10(hi), 80)
    bw = result.bandwidth_gbps
    roof = bw * grid if peak_gflops <= 0 else np.minimum(peak_gflops, bw * grid)
    roof_df = pd.DataFrame({"intensity": grid, "gflops": roof})
    g_lo = float(min(pts["gflops"].min(), roof.min()))
    g_hi = float(max(pts["gflops"].max(), roof.max()))
    x = alt.X("intensity:Q", scale=alt.Scale(type="log"), title="arithmetic intensity "
              "(FLOP per byte)", axis=alt.Axis(values=_decades(lo, hi), format=_NUMBER))
    y = alt.Y("gflops:Q", scale=alt.Scale(type="log"), title="achieved GFLOP/s",
              axis=alt.Axis(values=_decades(g_lo, g_hi), format=_NUMBER))
    roof_line = alt.Chart(roof_df).mark_line(color=MUTED, strokeDash=[4, 4]).encode(x=x, y=y)
    ops = list(dict.fromkeys(pts["op"]))
    present = [w for w in (IN_MEMORY, IN_CACHE, UNKNOWN) if w in set(pts["where"])]
    colour = alt.Scale(domain=ops, range=list(SERIES[:len(ops)]))
    dots = alt.Chart(pts).mark_point(filled=True, size=110, strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("op:N", scale=colour, title=None,
                                  legend=alt.Legend(orient="bottom")),
        stroke=alt.Stroke("op:N", scale=colour, legend=None),
        fillOpacity=alt.FillOpacity("where:N", scale=_fill_scale(present), legend=None),
        tooltip=["label", alt.Tooltip("intensity", format=".2f"),
                 alt.Tooltip("gflops", format=",.2f"),
                 alt.Tooltip("residence", title="working set")])
    # Each op's labels on their own side, so neighbours (nn.Linear at batch 16 beside a
    # 64 x 64 matmul) do not print over each other.
    sides = {"add": {"align": "left", "dx": 9}, "linear": {"align": "right", "dx": -9},
             "matmul": {"align": "left", "dx": 9, "dy": -11}}
    labels = [alt.Chart(pts[pts["op"] == op]).mark_text(**side).encode(
        x=x, y=y, text="label:N") for op, side in sides.items() if op in ops]
    chart = alt.layer(roof_line, dots, *labels).properties(
        title=_title("Roofline", meta, IN_CACHE in present))
    return _finish(chart, height)


def naive_chart(result: NaiveResult, meta: str, height: int = 300) -> Spec:
    """Each of the lesson's single samples as a dot, beside Timer's median and IQR band."""
    df = pd.DataFrame({"sample": range(1, len(result.naive_s) + 1),
                       "ms": [t * 1e3 for t in result.naive_s]})
    p = result.timer
    band = pd.DataFrame({"lo": [p.p25_s * 1e3], "hi": [p.p75_s * 1e3],
                         "median": [p.median_s * 1e3],
                         "label": [f"Timer median {p.median_s * 1e3:.2f} ms"]})
    x = alt.X("sample:O", title="the lesson's time.time() measurement, repeated")
    dots = alt.Chart(df).mark_circle(size=110, color=SERIES[1]).encode(
        x=x, y=alt.Y("ms:Q", title="ms", scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("ms", format=".3f")])
    area = alt.Chart(band).mark_rect(opacity=0.2, color=SERIES[0]).encode(y="lo:Q", y2="hi:Q")
    rule = alt.Chart(band).mark_rule(color=SERIES[0], size=2).encode(y="median:Q")
    text = alt.Chart(band).mark_text(align="left", x=4, dy=-8, color=SERIES[0]).encode(
        y="median:Q", text="label:N")
    chart = alt.layer(area, rule, dots, text).properties(
        title=_title(f"{result.n} x {result.n} matmul: one sample vs a measurement", meta))
    return _finish(chart, height)


def cold_warm_chart(result: NaiveResult, meta: str, height: int = 170) -> Spec:
    """The first call (fresh process, fresh tensors) against the warm median."""
    rows = []
    if result.fresh_process_first_s is not None:
        rows.append(("first call in a fresh process", result.fresh_process_first_s))
    rows += [("first call on fresh tensors, this process", result.naive_s[0]),
             ("warm: Timer median", result.timer.median_s)]
    df = pd.DataFrame(rows, columns=["call", "s"]).assign(ms=lambda d: d.s * 1e3)
    calls = list(df["call"])
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("call:N", sort=None, title=None, axis=alt.Axis(labelLimit=0)),
        x=alt.X("ms:Q", title="ms"),
        color=alt.Color("call:N", legend=None, scale=alt.Scale(
            domain=calls, range=list(SERIES[1:1 + len(calls)]))),
        tooltip=["call", alt.Tooltip("ms", format=".3f")],
    ).properties(title=_title("Cold vs warm", meta))
    return _finish(chart, height)
