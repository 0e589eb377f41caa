"""Altair chart specs for the benchmark page: every chart carries its metadata as a subtitle.

A timing without its device, torch version, threads, dtype and number of runs
cannot be compared with anything, so the subtitle of every chart says them.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import torch

from ml101.bench import sweep as bench
from ml101.bench.devices import DeviceInfo
from ml101.bench.peaks import Peak
from ml101.bench.sweep import NaiveResult, Point, RooflineResult, crossover, intensity

_LOG2 = alt.Scale(type="log", base=2)
_LOG10 = alt.Scale(type="log")


def frame(points: list[Point]) -> pd.DataFrame:
    """Points as chart rows; IQR bounds in ms and in throughput (a slow run is a low rate)."""
    rows = []
    for p in points:
        rows.append({
            "series": p.series.label, "device": p.series.device, "dtype": p.series.dtype,
            "threads": p.series.threads, "size": p.size,
            "median_ms": p.median_s * 1e3, "p25_ms": p.p25_s * 1e3, "p75_ms": p.p75_s * 1e3,
            "gflops": p.gflops, "gflops_lo": p.flops / p.p75_s / 1e9,
            "gflops_hi": p.flops / p.p25_s / 1e9,
            "gbps": p.gbps, "gbps_lo": p.bytes / p.p75_s / 1e9, "gbps_hi": p.bytes / p.p25_s / 1e9,
            "runs": p.runs, "calls_per_run": p.number_per_run,
        })
    return pd.DataFrame(rows)


def meta_line(points: list[Point], device: str, torch_version: str = torch.__version__) -> str:
    """Device · torch · threads · dtype · runs: the line under every chart title."""
    threads = sorted({p.series.threads for p in points})
    dtypes = sorted({p.series.dtype for p in points})
    runs = [p.runs for p in points] or [0]
    libs = sorted({p.series.library for p in points})
    thread_text = ", ".join(map(str, threads))
    run_text = f"{min(runs)}" if min(runs) == max(runs) else f"{min(runs)} to {max(runs)}"
    extra = " (NumPy: its own BLAS pool)" if "numpy" in libs else ""
    return (f"{device} · torch {torch_version} · threads {thread_text}{extra} · "
            f"{', '.join(dtypes)} · {run_text} timed runs per point, median with IQR")


def gpu_crossover(points: list[Point]) -> int | None:
    """Size from which the GPU beats the CPU, if both were measured. With several series it
    compares like with like: the CPU at its most threads against the GPU in full float32,
    since TF32 buys its speed with precision."""
    cpus = [p.series for p in points if p.series.device == "cpu"]
    gpus = [p.series for p in points if p.series.device != "cpu"]
    if not cpus or not gpus:
        return None
    cpu_s, gpu_s = max(cpus, key=lambda s: s.threads), min(gpus, key=lambda s: s.tf32)
    cpu = {p.size: p.median_s for p in points if p.series == cpu_s}
    gpu = {p.size: p.median_s for p in points if p.series == gpu_s}
    common = sorted(set(cpu) & set(gpu))
    return crossover(common, [cpu[s] for s in common], [gpu[s] for s in common]) if common \
        else None


def _title(text: str, meta: str) -> alt.Title:
    """Title plus the metadata, broken over lines so a narrow chart never truncates it."""
    parts = meta.split(" · ")
    lines = [" · ".join(parts[i:i + 3]) for i in range(0, len(parts), 3)]
    return alt.Title(text, subtitle=lines, anchor="start", subtitleFontSize=11)


def _crossover_rule(size: int | None) -> list[alt.Chart]:
    if size is None:
        return []
    data = pd.DataFrame({"size": [size], "label": [f"GPU wins from {size}"]})
    base = alt.Chart(data)
    return [base.mark_rule(strokeDash=[6, 3], color="#d62728").encode(x="size:Q"),
            base.mark_text(align="left", dx=4, dy=-120, color="#d62728").encode(
                x="size:Q", text="label:N")]


def time_chart(points: list[Point], meta: str, size_name: str) -> alt.LayerChart:
    """Median time per call against size, both on log scales, IQR as error bars."""
    df = frame(points)
    base = alt.Chart(df).encode(
        x=alt.X("size:Q", scale=_LOG2, title=size_name),
        color=alt.Color("series:N", legend=alt.Legend(orient="bottom", columns=2)),
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("median_ms:Q", scale=_LOG10, title="median time per call (ms)"),
        tooltip=["series", "size", alt.Tooltip("median_ms", format=".4f"),
                 alt.Tooltip("p25_ms", format=".4f"), alt.Tooltip("p75_ms", format=".4f"),
                 "runs", "calls_per_run"],
    )
    bars = base.mark_errorbar(ticks=True).encode(
        y=alt.Y("p25_ms:Q", title="median time per call (ms)"), y2="p75_ms:Q")
    layers = [line, bars, *_crossover_rule(gpu_crossover(points))]
    return alt.layer(*layers).properties(
        title=_title("Time per call", meta), height=340)


def throughput_chart(points: list[Point], meta: str, size_name: str, *, metric: str = "gflops",
                     peak: float = 0.0, peak_label: str = "") -> alt.LayerChart:
    """GFLOP/s (or GB/s) against size, with the hardware's peak as a horizontal line."""
    df = frame(points)
    unit = "GFLOP/s" if metric == "gflops" else "GB/s"
    base = alt.Chart(df).encode(
        x=alt.X("size:Q", scale=_LOG2, title=size_name),
        color=alt.Color("series:N", legend=alt.Legend(orient="bottom", columns=2)),
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y(f"{metric}:Q", title=f"achieved {unit}"),
        tooltip=["series", "size", alt.Tooltip(metric, format=".2f")],
    )
    bars = base.mark_errorbar(ticks=True).encode(
        y=alt.Y(f"{metric}_lo:Q", title=f"achieved {unit}"), y2=f"{metric}_hi:Q")
    layers: list[alt.Chart] = [line, bars]
    if peak > 0:
        ref = alt.Chart(pd.DataFrame({"peak": [peak], "label": [peak_label]}))
        layers += [ref.mark_rule(strokeDash=[4, 4], color="gray").encode(y="peak:Q"),
                   ref.mark_text(align="left", x=4, dy=-7, color="gray").encode(
                       y="peak:Q", text="label:N")]
    layers += _crossover_rule(gpu_crossover(points))
    return alt.layer(*layers).properties(title=_title(f"Throughput ({unit})", meta), height=340)


def roofline_chart(result: RooflineResult, peak_gflops: float, meta: str) -> alt.LayerChart:
    """Achieved GFLOP/s against FLOP per byte: below the slanted roof, memory is the limit."""
    pts = pd.DataFrame([{"op": p.series.op, "size": p.size, "intensity": intensity(p),
                         "gflops": p.gflops,
                         "label": f"{p.series.op} {p.size}"} for p in result.points])
    lo, hi = 0.05, max(1000.0, float(pts["intensity"].max()) * 2)
    grid = np.logspace(np.log10(lo), np.log10(hi), 80)
    bw = result.bandwidth_gbps
    roof = bw * grid if peak_gflops <= 0 else np.minimum(peak_gflops, bw * grid)
    roof_df = pd.DataFrame({"intensity": grid, "gflops": roof})
    x = alt.X("intensity:Q", scale=_LOG10, title="arithmetic intensity (FLOP per byte)")
    y = alt.Y("gflops:Q", scale=_LOG10, title="achieved GFLOP/s")
    roof_line = alt.Chart(roof_df).mark_line(color="gray", strokeDash=[4, 4]).encode(x=x, y=y)
    dots = alt.Chart(pts).mark_circle(size=90).encode(
        x=x, y=y, color=alt.Color("op:N", legend=alt.Legend(orient="bottom")),
        tooltip=["label", alt.Tooltip("intensity", format=".2f"),
                 alt.Tooltip("gflops", format=".2f")])
    labels = alt.Chart(pts).mark_text(align="left", dx=7, fontSize=10).encode(
        x=x, y=y, text="label:N")
    return alt.layer(roof_line, dots, labels).properties(
        title=_title("Roofline", meta), height=380)


def naive_chart(result: NaiveResult, meta: str) -> alt.LayerChart:
    """Each of the lesson's single samples as a dot, beside Timer's median and IQR band."""
    df = pd.DataFrame({"sample": range(1, len(result.naive_s) + 1),
                       "ms": [t * 1e3 for t in result.naive_s]})
    p = result.timer
    band = pd.DataFrame({"lo": [p.p25_s * 1e3], "hi": [p.p75_s * 1e3],
                         "median": [p.median_s * 1e3],
                         "label": [f"Timer median {p.median_s * 1e3:.2f} ms"]})
    x = alt.X("sample:O", title="the lesson's time.time() measurement, repeated")
    dots = alt.Chart(df).mark_circle(size=110, color="#d62728").encode(
        x=x, y=alt.Y("ms:Q", title="ms", scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("ms", format=".3f")])
    area = alt.Chart(band).mark_rect(opacity=0.2, color="#1f77b4").encode(y="lo:Q", y2="hi:Q")
    rule = alt.Chart(band).mark_rule(color="#1f77b4", size=2).encode(y="median:Q")
    text = alt.Chart(band).mark_text(align="left", x=4, dy=-8, color="#1f77b4").encode(
        y="median:Q", text="label:N")
    return alt.layer(area, rule, dots, text).properties(
        title=_title(f"{result.n} x {result.n} matmul: one sample vs a measurement", meta),
        height=320)


def cold_warm_chart(result: NaiveResult, meta: str) -> alt.Chart:
    """The first call (fresh process, fresh tensors) against the warm median."""
    rows = []
    if result.fresh_process_first_s is not None:
        rows.append(("first call in a fresh process", result.fresh_process_first_s))
    rows += [("first call on fresh tensors, this process", result.naive_s[0]),
             ("warm: Timer median", result.timer.median_s)]
    df = pd.DataFrame(rows, columns=["call", "s"]).assign(ms=lambda d: d.s * 1e3)
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y("call:N", sort=None, title=None),
        x=alt.X("ms:Q", title="ms"),
        color=alt.Color("call:N", legend=None),
        tooltip=["call", alt.Tooltip("ms", format=".3f")],
    ).properties(title=_title("Cold vs warm", meta), height=170)


@dataclass(frozen=True)
class RecordedView:
    """One op and dtype of a recording, with the device it ran on and its ceiling."""

    points: list[Point]
    meta: str
    device_name: str
    cpu: DeviceInfo
    peak: Peak


def recorded_view(rec: bench.Recording, op: str, dtype: str) -> RecordedView:
    sel = rec.frame[(rec.frame["op"] == op) & (rec.frame["dtype"] == dtype)]
    points, row = bench.from_frame(sel), sel.iloc[0]
    cpu = DeviceInfo("cpu", str(row.cpu_model), int(row.cpu_cores), simd=str(row.cpu_simd),
                     clock_ghz=float(row.cpu_clock_ghz))
    return RecordedView(points, meta_line(points, rec.label, str(row.torch_version)),
                        str(row.device_name), cpu,
                        bench.reference_peak(points, str(row.device_name), cpu))


def recorded_charts(view: RecordedView, op: str) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The time and throughput charts of a recorded view."""
    spec = bench.OPS[op]
    metric = "gflops" if spec.compute_bound else "gbps"
    label = f"peak {view.peak.gflops:.0f} GFLOP/s" if metric == "gflops" and view.peak.gflops \
        else ""
    return (time_chart(view.points, view.meta, spec.size_name),
            throughput_chart(view.points, view.meta, spec.size_name, metric=metric,
                             peak=view.peak.gflops if label else 0.0, peak_label=label))
