"""The CPU vs GPU benchmark page. Its main picture is `bm_picture`: time (or throughput)
per call against size for the chosen operation and comparison. On load it shows this
machine's recorded run (or, where there is none of its kind, the H200's, labelled as
such); a live sweep replaces it.

Widgets and rendering only: the measuring, the reading of the numbers and the chart
specs live in `ml101.bench`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
import torch

from ml101 import runtime
from ml101.bench import charts, describe, devices, readings, recordings
from ml101.bench.code import code_for
from ml101.bench.devices import DeviceInfo, Machine
from ml101.bench.lesson_timing import NaiveResult, naive_vs_correct
from ml101.bench.measuring import Busy, Point, Skip, is_busy, numpy_threads
from ml101.bench.ops import DTYPES, OPS, intensity, itemsize, size_grid
from ml101.bench.recordings import Recording
from ml101.bench.roofline import ROOFLINE_POINTS, RooflineResult, roofline
from ml101.bench.sweeps import SweepPlan, SweepResult, compare_series, run_sweep
from ml101.ui import controls, state
from ml101.ui.layout import chart, explain, show_code, stage
from ml101.ui.player import KEYS
from ml101.ui.presenter import is_presenting

TABS = ["Sweep", "Naive vs correct", "Roofline", "Recorded runs"]
OP_LABELS = {"matmul": "matmul", "add": "add", "linear": "nn.Linear",
             "h2d_pageable": "copy to GPU (pageable)", "h2d_pinned": "copy to GPU (pinned)"}
SIZES = [2**i for i in range(4, 14)]
PLOTS = {"time": "Time per call", "throughput": "Throughput"}
PRESENT_HEIGHT = 400
KEEP = {"persist_state": "page"}  # a tab that is not drawn keeps its controls' values


def _compare_labels(gpu: DeviceInfo | None) -> dict[str, str]:
    """The comparisons, labelled as the URL stores them (bm_cmp=1 thread vs all)."""
    labels = {"threads": "1 thread vs all", "numpy": "torch vs NumPy", "dtypes": "dtypes"}
    if gpu is not None:
        labels["gpu"] = f"CPU vs {gpu.kind.upper()}"
    return labels


def _height() -> int:
    """The picture's plot height: taller on a projector (whose charts also get larger type)."""
    return PRESENT_HEIGHT if is_presenting() else 250


def _sized(spec: dict, height: int) -> dict:
    return charts.projected(spec) if height == PRESENT_HEIGHT else spec


def _caches(device: DeviceInfo) -> str:
    return ", ".join(c.label for c in device.caches) or "cache sizes unknown"


def _busy_note() -> None:
    st.warning("Another learner's measurement is running on this server. One runs at a time "
               "so that nobody's page freezes; try again in a few seconds.",
               icon=":material/hourglass_top:")


# --- caches: recordings are files everybody reads, their charts are the same for all --------

def _listing() -> tuple[str, tuple]:
    folder = recordings.RECORDED_DIR
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    return str(folder), tuple((f.name, f.stat().st_mtime_ns) for f in files)


@st.cache_resource(max_entries=4, show_spinner=False)
def _recordings(folder: str, listing: tuple) -> tuple[list[Recording], list[str]]:
    """Read and validate the CSVs once per change of the folder (`listing` is the key)."""
    return recordings.recordings(Path(folder))


def _recording(folder: str, listing: tuple, path: str) -> Recording:
    return next(r for r in _recordings(folder, listing)[0] if str(r.path) == path)


@st.cache_resource(max_entries=16, show_spinner=False)
def _dtypes_by_op(folder: str, listing: tuple, path: str) -> dict[str, set[str]]:
    return _recording(folder, listing, path).dtypes_by_op


@st.cache_resource(max_entries=8, show_spinner=False)
def _first_shown(folder: str, listing: tuple, kind: str
                 ) -> tuple[Recording | None, bool, dict[str, set[str]]]:
    """The recording the picture shows before a sweep (see recordings.pick), and the dtypes
    it holds for each op."""
    rec, own = recordings.pick(_recordings(folder, listing)[0], kind)
    return rec, own, rec.dtypes_by_op if rec else {}


@dataclass(frozen=True)
class Shown:
    """One picture's points and everything said around it."""

    points: list[Point]
    machine: Machine
    meta: str
    op: str


def _shown(points: list[Point], machine: Machine, device: str, torch_version: str) -> Shown:
    return Shown(points, machine, readings.meta_line(points, device, torch_version),
                 points[0].series.op)


def _chart(shown: Shown, plot: str, height: int) -> dict:
    """The time or throughput chart of some points, with the peak where one applies."""
    spec = OPS[shown.op]
    if plot == "time":
        return _sized(charts.time_chart(shown.points, shown.machine, shown.meta,
                                        spec.size_name, height), height)
    peak = readings.reference_peak(shown.points, shown.machine)
    if spec.compute_bound:
        line, label = peak.gflops, f"peak {peak.gflops:,.0f} GFLOP/s"
    else:  # a GPU's published memory bandwidth; a CPU has none on file
        line, label = peak.gbps, f"memory bandwidth {peak.gbps:,.0f} GB/s (published)"
    return _sized(charts.throughput_chart(
        shown.points, shown.machine, shown.meta, spec.size_name,
        metric="gflops" if spec.compute_bound else "gbps", peak=line,
        peak_label=label if line else "", height=height), height)


@st.cache_resource(max_entries=256, show_spinner=False)
def _recorded(folder: str, listing: tuple, path: str, op: str, dtype: str,
              compare: str | None = None, threads: int | None = None) -> tuple[Shown, bool]:
    """A recording's points for one op and dtype (and comparison), read once for all."""
    rec = _recording(folder, listing, path)
    points, complete = recordings.select(rec, op, dtype, compare, threads)
    return _shown(points, rec.machine, rec.label, rec.torch_version), complete


@st.cache_resource(max_entries=256, show_spinner=False)
def _recorded_chart(folder: str, listing: tuple, path: str, op: str, dtype: str,
                    compare: str | None, threads: int, plot: str, height: int) -> dict:
    return _chart(_recorded(folder, listing, path, op, dtype, compare, threads)[0], plot,
                  height)


# --- the page's sections -------------------------------------------------------------------

def machine_line() -> None:
    """This server's device facts, in one line (the details behind its help icon)."""
    cpu, gpu = devices.cpu(), devices.gpu()
    last = cpu.caches[-1].label if cpu.caches else "cache sizes unknown"
    where = f"**GPU:** {gpu.label}" if gpu else \
        "**This server has no GPU**: GPU curves come from recordings"
    st.caption(
        f":material/memory: **This machine:** CPU {cpu.name} · {cpu.cores} usable cores · "
        f"{cpu.simd} · {last} · torch {torch.__version__} · {where}.",
        help=f"{cpu.physical_cores} physical cores. Clock the OS reports: "
             f"{cpu.clock_ghz or 'unknown'} GHz. Caches: "
             f"{_caches(cpu)} ({cpu.cache_source}). Host memory {cpu.memory_gb} GB. This "
             f"server uses {runtime.torch_threads()} torch thread(s) for everyday work; a "
             "benchmark sets its own, shown with every result.")


def tabs() -> list:
    return controls.tabs(TABS, key="bm_tab")


@dataclass(frozen=True)
class Settings:
    """What the Sweep tab's controls chose; the other tabs measure with the same threads,
    dtype, budget and seed."""

    plan: SweepPlan
    op: str
    compare: str
    dtype: str
    threads: int
    budget: int
    plot: str


def _settings_popover(op: str, compare: str, gpu: DeviceInfo | None) -> tuple:
    cpu = devices.cpu()
    with st.popover("Settings", icon=":material/tune:", width="stretch"):
        dtype = controls.selectbox("dtype", list(DTYPES), key="bm_dtype",
                                   disabled=compare == "dtypes",
                                   help="Ignored when comparing dtypes: all four are run.")
        if cpu.cores > 1:
            threads = controls.slider(
                "Threads (torch num_threads)", 1, cpu.cores,
                min(runtime.torch_threads(), cpu.cores), key="bm_threads",
                disabled=compare in ("threads", "gpu"),
                help=f"Set explicitly for every measurement. '1 thread vs all' uses 1 and "
                     f"{cpu.cores}.")
        else:
            threads = 1
            st.caption("Threads: 1 (this process has one core).")
        tf32_on = False
        if gpu is not None and gpu.kind == "cuda":
            tf32_on = controls.toggle(
                "TF32 for float32 matmul on CUDA", key="bm_tf32", value=False,
                help="Tensor cores with a 10-bit mantissa: much faster, less precise.")
        lo, hi = controls.select_slider(
            OPS[op].size_name, SIZES, value=(16, 1024), key="bm_sizes",
            help="Powers of two. Sizes that would not fit in memory or in the time budget "
                 "are skipped, and the table says why.")
        budget = controls.slider("Time budget (s)", 1, 10, 3, key="bm_budget",
                                 help="The whole sweep stops within about this long.")
        seed = controls.seed_input("bm_seed")
    return dtype, threads, tf32_on, lo, hi, budget, seed


def _run(plan: SweepPlan, where: st.delta_generator.DeltaGenerator) -> None:
    """Measure the plan, showing progress; a rerun meanwhile (Stop, or any control) ends it
    and keeps what was measured."""
    ss = st.session_state
    if is_busy():
        _busy_note()
        return
    progress = where.progress(0.0, text=f"Measuring 0 of {plan.total} points")

    def on_event(result: SweepResult, event: Point | Skip) -> None:
        ss["bm_result"] = result
        what = "skipped" if isinstance(event, Skip) else f"{event.median_s * 1e3:.3f} ms"
        progress.progress(result.done / plan.total,
                          text=f"{result.done} of {plan.total}: {event.series.label}, "
                               f"size {event.size}: {what}")

    ss["bm_running"] = True
    try:
        ss["bm_result"] = run_sweep(plan, on_event)
    except Busy:
        _busy_note()
    ss["bm_running"] = False
    progress.empty()


def sweep_tab() -> Settings:
    """The stage: the picture beside operation, comparison, plot and Run/Stop, settings in a
    popover; then what the numbers say, the table, the code and the explanation."""
    gpu = devices.gpu()
    labels = _compare_labels(gpu)
    op_keys = ["matmul", "add", "linear"] + (["h2d_pageable", "h2d_pinned"] if gpu else [])
    picture, panel = stage()
    with panel:
        op = controls.segmented_control(  # wrap: a narrow panel takes a second row
            "Operation", op_keys, format_func=OP_LABELS.get, key="bm_op", default="matmul",
            required=True, wrap=True, help="matmul is compute-bound; add is memory-bound; "
                                "nn.Linear(1024, 1024) sweeps the batch size.")
        compare = controls.segmented_control(
            "Compare", list(labels), format_func=labels.get, key="bm_cmp", default="threads",
            required=True, wrap=True)
        plot = controls.segmented_control("Plot", list(PLOTS), format_func=PLOTS.get,
                                          key="bm_plot", default="time", required=True,
                                          wrap=True)
        b1, b2 = st.columns(2)
        run = b1.button("Run sweep", key="bm_run", type="primary", icon=":material/play_arrow:",
                        shortcut=KEYS["play"], width="stretch")
        b2.button("Stop", key="bm_stop", icon=":material/stop:", width="stretch",
                  help="Stops after the current size; what was measured stays.")
        dtype, threads, tf32_on, lo, hi, budget, seed = _settings_popover(op, compare, gpu)
        series = compare_series(op, compare, dtype=dtype, threads=threads,
                                gpu=gpu.kind if gpu else None, tf32_on=tf32_on)
        plan = SweepPlan(series, tuple(size_grid(lo, hi)), float(budget), int(seed))
        dtypes = "all four dtypes" if compare == "dtypes" else dtype
        st.caption(f"Run measures {len(series)} series at {len(plan.sizes)} sizes ({lo} to "
                   f"{hi}), {dtypes}, seed {seed}, in at most about {budget} s.")
        ss = st.session_state
        if ss.get("bm_running") and not run:
            ss["bm_running"] = False  # a rerun arrived mid-sweep: the Stop button, or a control
            if "bm_result" in ss:
                ss["bm_result"].stopped = True
        if run:
            ss["bm_result_for"] = (op, compare)
            _run(plan, panel)
    settings = Settings(plan, op, compare, dtype, threads, budget, plot)
    result: SweepResult | None = ss.get("bm_result")
    # The live sweep replaces the recording while the operation and comparison it measured
    # stay chosen; other settings (dtype, sizes, seed) move only the next Run.
    live = result is not None and bool(result.points) and \
        ss.get("bm_result_for") == (op, compare)
    with picture, st.container(key="bm_picture"):
        shown = _live_picture(result, plot) if live else _recorded_picture(settings)
    if live:
        _live_findings(result, shown)
    elif shown is not None:
        _findings(shown)
    show_code(code_for(result.plan, result.points) if live else code_for(plan),
              title="Show the code" if live else "Show the code (of the sweep Run measures)")
    _notes(op, compare)
    _lesson_explain()
    return settings


def _live_picture(result: SweepResult, plot: str) -> Shown:
    cpu, gpu = devices.cpu(), devices.gpu()
    points = result.points
    on_gpu = gpu is not None and any(p.series.device != "cpu" for p in points)
    device = f"{cpu.label} vs {gpu.label}" if on_gpu and gpu else cpu.label
    shown = _shown(points, devices.this_machine(), device, torch.__version__)
    st.caption(f":material/timer: **Measured live** on this machine: {len(points)} points in "
               f"{result.elapsed_s:.1f} s (budget {result.plan.budget_s:g} s)"
               f"{', stopped early' if result.stopped else ''}, {len(result.skipped)} "
               "skipped.")
    height = _height()
    spec = state.rebuilt("bm_chart", (id(result), len(points), plot, height),
                         lambda: _chart(shown, plot, height))
    chart(spec, _alt_text(shown, plot), width="stretch")
    return shown


def _recorded_picture(settings: Settings) -> Shown | None:
    folder, listing = _listing()
    gpu = devices.gpu()
    kind = gpu.kind if gpu else "cpu"
    rec, own, held = _first_shown(folder, listing, kind)
    if rec is None:
        st.info("No recording under `data/bench/` yet, so nothing to show until you press "
                "**Run sweep**.", icon=":material/touch_app:")
        return None
    op = settings.op if settings.op in held else next(iter(held))
    dtypes = held[op]
    dtype = settings.dtype if settings.dtype in dtypes else \
        ("float32" if "float32" in dtypes else sorted(dtypes)[0])
    shown, complete = _recorded(folder, listing, str(rec.path), op, dtype, settings.compare,
                                settings.threads)
    word = "CPU-only" if kind == "cpu" else kind.upper()
    whose = f"the newest from a {word} machine like this one" if own else \
        f"there is none from a {word} machine like this one yet"
    st.caption(f":material/history: **Recorded run: {rec.label}** ({whose}). "
               "**Run sweep** measures this machine live.")
    spec = _recorded_chart(folder, listing, str(rec.path), op, dtype, settings.compare,
                           settings.threads, settings.plot, _height())
    chart(spec, _alt_text(shown, settings.plot), width="stretch")
    labels = _compare_labels(gpu)
    if op != settings.op:
        st.caption(f"The recording has no {OP_LABELS[settings.op]}: it shows {OP_LABELS[op]}.")
    if not complete:
        st.caption(f"The recording has no *{labels.get(settings.compare, settings.compare)}* "
                   f"comparison for {OP_LABELS[op]}: it shows every series it has at {dtype}.")
    return shown


def _alt_text(shown: Shown, plot: str) -> str:
    return describe.sweep(shown.points, PLOTS[plot], OPS[shown.op].label, shown.meta)


def _findings(shown: Shown) -> None:
    """What every picture needs said: its metadata, the cache marks, the peak, the
    crossover, and what each dtype's time means."""
    st.caption(f"Metadata: {shown.meta}.")
    _cache_note(shown)
    spec = OPS[shown.op]
    peak = readings.reference_peak(shown.points, shown.machine)
    if spec.compute_bound and peak.gflops:
        st.caption(f"Peak line (throughput plot): {peak.basis}.")
        best = max(p.gflops for p in shown.points)
        if best > peak.gflops:
            st.caption(f"The best point ({best:,.0f} GFLOP/s) is above that figure: the cores "
                       "run faster than the clock the OS reports (turbo boost), so the true "
                       "peak is higher than the line.")
    elif spec.compute_bound:
        st.caption(f"No peak line: {peak.basis}.")
    else:
        line = f" Bandwidth line: {peak.basis}." if peak.gbps else ""
        st.caption("A memory-bound op: throughput is in GB/s. The *Roofline* tab measures "
                   f"this machine's bandwidth ceiling.{line}")
    cross = readings.gpu_crossover(shown.points)
    if cross is not None:
        st.markdown(f"**The GPU wins from size {cross} on.** Below it, each call pays a "
                    "fixed launch cost of a few microseconds that a small op cannot hide.")
    for note in readings.dtype_notes(shown.points, shown.machine):
        if note.slow_path:
            st.warning(note.text, icon=":material/slow_motion_video:")
        else:
            st.info(note.text, icon=":material/info:")


def _cache_note(shown: Shown) -> None:
    kinds = sorted({p.series.device for p in shown.points})
    parts = []
    for kind in kinds:
        device = shown.machine.device(kind)
        name = "CPU" if kind == "cpu" else kind.upper()
        parts.append(f"{name} {_caches(device)}" +
                     (f" ({device.cache_source})" if device.cache_source else ""))
    known = [p for p in shown.points if shown.machine.device(p.series.device).caches]
    cached = [p for p in known if readings.cache_of(p, shown.machine)]
    if cached and OPS[shown.op].compute_bound:
        lead = (f"**Hollow points** ({len(cached)} of {len(shown.points)}) have a working set "
                f"that fits in a cache. For {OPS[shown.op].label} that matters less than for "
                "an add: it reuses each byte many times, so compute sets its pace once it is "
                "large.")
    elif cached:
        lead = (f"**Hollow points** ({len(cached)} of {len(shown.points)}) have a working set "
                "that fits in a cache: repeated calls find their data there, so they measure "
                "the cache, not memory. Memory bandwidth shows only at the filled points.")
    elif known:
        some = " of known size" if len(known) < len(shown.points) else ""
        lead = f"No working set here fits in a cache{some}: these points measure memory."
    else:
        lead = "No point is marked in cache or memory: the cache sizes are unknown."
    st.caption(f"{lead} Caches: {'; '.join(parts)}.")


def _live_findings(result: SweepResult, shown: Shown) -> None:
    _findings(shown)
    # Built once per sweep: the table, and the CSV stamped with the machine and the time
    table, csv = state.rebuilt("bm_live_table", id(result), lambda: (
        readings.table(shown.points, shown.machine),
        recordings.to_frame(shown.points).to_csv(index=False)))
    st.dataframe(table, hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in
                                ("median (ms)", "IQR (ms)", "GFLOP per call")})
    if result.skipped:
        with st.expander(f"Skipped sizes ({len(result.skipped)})"):
            st.dataframe([{"series": s.series.label, "size": s.size, "why": s.reason}
                          for s in result.skipped], hide_index=True)
    st.download_button("Download CSV (with device metadata)", csv, "benchmark.csv",
                       key="bm_csv", icon=":material/download:")


def _notes(op: str, compare: str) -> None:
    if compare == "numpy" and op not in ("matmul", "add"):
        st.info("NumPy has matmul and add but no nn.Linear or device copy: its rows will be "
                "skipped. Pick matmul or add to compare the two libraries.")
    if compare == "numpy":
        st.caption(f"NumPy's BLAS keeps its own thread pool ({numpy_threads()} threads "
                   "here); torch's num_threads does not reach it.")
    if compare == "threads":
        st.caption("On a busy shared server, more threads than idle cores can be *slower*: "
                   "a multi-threaded op waits for its slowest thread, and a thread waiting for "
                   "a core stalls the whole call.")


def _lesson_explain() -> None:
    explain(
        "The lesson times **one** `1000 x 1000` matmul with `time.time()` before and after. "
        "That single sample includes whatever happened to be slow that instant: the first call "
        "of a fresh process (thread pools starting, memory being mapped), another program on "
        "the same cores, the clock's own resolution. On a GPU its synchronisation is right, "
        "but its one cold call also pays for cuBLAS setup.\n\n"
        "A sound measurement repeats the call many times in blocks and reports the "
        "**median** with its **interquartile range** (IQR: where the middle half of the "
        "blocks fell). `torch.utils.benchmark.Timer.blocked_autorange` first sizes its "
        "blocks, running the statement 1, 10, 100... times until one block is long enough "
        "for the clock's overhead to vanish (those runs warm it up too), then times blocks of "
        "that many calls; its clock synchronises any GPU before each reading. Timer's "
        "`num_threads` defaults to **1**, so forgetting it measures one core: here it is "
        "always set and always shown.\n\n"
        "Time alone is hard to judge, so each point is also turned into **GFLOP/s** (work "
        "done per second: a matmul of size n does 2n³ floating-point operations) and **GB/s** "
        "(bytes moved per second), and compared with what the hardware could do at best. An "
        "add whose working set fits in a cache (hollow on the charts) measures that cache, "
        "not memory: memory bandwidth shows only at sizes beyond it.",
        title="What is wrong with the lesson's timing?",
    )


# --- Naive vs correct ------------------------------------------------------------------------

def naive_tab(settings: Settings) -> None:
    st.markdown("The lesson's measurement, repeated as it stands, beside a measurement with "
                "`Timer`. Each orange dot is what the lesson would have printed on that run.")
    n1, n2, n3 = st.columns(3)
    with n1:
        n = controls.select_slider("Matrix size n", [250, 500, 1000, 2000], value=1000,
                                   key="bm_n", **KEEP)
    with n2:
        repeats = controls.slider("Repeats of the lesson's measurement", 3, 30, 10,
                                  key="bm_reps", **KEEP)
    with n3:
        fresh = controls.toggle(
            "Include a first call in a fresh Python process", value=True, key="bm_fresh", **KEEP,
            help="Starts a new interpreter, imports torch and times its very first matmul: "
                 "what the lesson's script sees. Takes a few seconds.")
    if st.button("Run the lesson's timing", key="bm_naive", icon=":material/play_arrow:"):
        if is_busy():
            _busy_note()
        else:
            bar = st.progress(0.0, text="starting")
            try:
                st.session_state["bm_naive_result"] = naive_vs_correct(
                    n, repeats, settings.threads, "cpu", fresh, settings.plan.seed,
                    on_step=lambda text, frac: bar.progress(frac, text=text))
            except Busy:
                _busy_note()
            bar.empty()
    naive: NaiveResult | None = st.session_state.get("bm_naive_result")
    if naive is None:
        st.info("Press the button: it times the lesson's single call a few times, then "
                "measures the same matmul properly.", icon=":material/touch_app:")
    else:
        _naive_result(naive)
    explain("A single sample is one draw from a noisy distribution. The first call of a "
            "process also pays one-off costs: starting the thread pool, faulting in fresh "
            "memory, and on a GPU creating the cuBLAS handle and picking a kernel. "
            "`Timer.blocked_autorange` keeps none of the calls that size its blocks: it runs "
            "the statement 1, 10, 100... times until a block is long enough to time (which "
            "also warms it up), then times blocks of that many calls and reports the median, "
            "which a few slow outliers cannot move.", title="Why do single samples scatter?")


def _naive_result(naive: NaiveResult) -> None:
    cpu = devices.cpu()
    meta = readings.meta_line([naive.timer], cpu.label, torch.__version__)
    lo_ms, hi_ms = min(naive.naive_s) * 1e3, max(naive.naive_s) * 1e3
    t = naive.timer
    m1, m2, m3 = st.columns(3)
    m1.metric("lesson's samples: range", f"{lo_ms:.2f} to {hi_ms:.2f} ms",
              help="Each one a single time.time() measurement.")
    m2.metric("Timer median", f"{t.median_s * 1e3:.2f} ms",
              help=f"IQR {t.iqr_s * 1e3:.2f} ms over {t.runs} timed runs")
    m3.metric("spread of the single samples", f"{hi_ms / lo_ms:.1f}x",
              help="slowest / fastest of the repeated lesson measurements")
    g1, g2 = st.columns([3, 2])
    specs = state.rebuilt("bm_naive_charts", id(naive), lambda: (
        charts.naive_chart(naive, meta), charts.cold_warm_chart(naive, meta)))
    chart(specs[0], describe.naive(naive), where=g1, width="stretch")
    chart(specs[1], describe.cold_warm(naive), where=g2, width="stretch")
    st.caption(f"Metadata: {meta}. Threads: {naive.threads} for both measurements.")
    if naive.fresh_process_first_s is not None:
        st.markdown(
            f"In a fresh process, `import torch` took {naive.fresh_process_import_s:.2f} s "
            f"and the first matmul {naive.fresh_process_first_s * 1e3:.2f} ms: "
            f"{naive.fresh_process_first_s / t.median_s:.1f}x the warm median. The lesson "
            "prints that first call.")


# --- Roofline --------------------------------------------------------------------------------

def roofline_tab(settings: Settings) -> None:
    dtype = settings.dtype
    item = itemsize(dtype)
    st.markdown(
        "Every op sits somewhere between two ceilings. Ops that do little work per byte "
        f"(an elementwise add in {dtype}: 1 FLOP per {3 * item} bytes) are capped by **memory "
        "bandwidth**, the slanted roof; ops that reuse each byte many times are capped by "
        f"**compute**, the flat roof (a 1024 x 1024 matmul in {dtype}: "
        f"{intensity('matmul', 1024, dtype):.0f} FLOP per byte). "
        "Arithmetic intensity = FLOP / bytes moved.")
    if st.button("Measure roofline points", key="bm_roof", icon=":material/play_arrow:",
                 help=f"{len(ROOFLINE_POINTS)} points plus a bandwidth test, in about "
                      f"{settings.budget} s, with {settings.threads} thread(s) and {dtype}."):
        if is_busy():
            _busy_note()
        else:
            with st.spinner(f"Measuring {len(ROOFLINE_POINTS)} ops and the bandwidth..."):
                try:
                    st.session_state["bm_roof_result"] = roofline(
                        "cpu", dtype, settings.threads, float(settings.budget),
                        settings.plan.seed)
                except Busy:
                    _busy_note()
    roof: RooflineResult | None = st.session_state.get("bm_roof_result")
    height = _height()
    if roof is not None:
        machine = devices.this_machine()
        meta = readings.meta_line(roof.points, machine.cpu.label, torch.__version__)
        _roofline(*state.rebuilt("bm_roof_view", (id(roof), height),
                                 lambda: _roofline_view(roof, machine, meta, height)))
        return
    folder, listing = _listing()
    gpu = devices.gpu()
    rec = _first_shown(folder, listing, gpu.kind if gpu else "cpu")[0]
    recorded = _recorded_roofline(folder, listing, str(rec.path), dtype, height) if rec \
        else None
    if recorded is None:
        st.info("Press the button to place add, nn.Linear and matmul on this machine's "
                "roofline.", icon=":material/touch_app:")
        return
    st.caption(f":material/history: **Recorded run: {rec.label}.** **Measure roofline "
               "points** places this machine's own.")
    _roofline(*recorded)


@st.cache_resource(max_entries=32, show_spinner=False)
def _recorded_roofline(folder: str, listing: tuple, path: str, dtype: str, height: int
                       ) -> tuple[RooflineResult, Machine, str, dict] | None:
    """A recording's roofline and its chart, built once for every learner."""
    rec = _recording(folder, listing, path)
    roof = recordings.roofline_of(rec, dtype)
    if roof is None:
        return None
    return _roofline_view(roof, rec.machine,
                          readings.meta_line(roof.points, rec.label, rec.torch_version), height)


def _roofline_view(roof: RooflineResult, machine: Machine, meta: str, height: int) -> tuple:
    """Everything the roofline section draws, built once per result."""
    peak = readings.reference_peak(roof.points, machine)
    table = readings.table(roof.points, machine).assign(
        **{"FLOP per byte": [intensity(p.series.op, p.size, p.series.dtype)
                             for p in roof.points]})
    spec = charts.roofline_chart(roof, machine, peak.gflops, meta, height + 60)
    return roof, machine, meta, _sized(spec, height), table


def _roofline(roof: RooflineResult, machine: Machine, meta: str, spec: dict,
              table: pd.DataFrame) -> None:
    peak = readings.reference_peak(roof.points, machine)
    chart(spec, describe.roofline(roof, peak.gflops, meta), width="stretch", table=table)
    st.caption(f"Metadata: {meta}. Compute roof: "
               f"{f'{peak.gflops:,.0f} GFLOP/s, ' if peak.gflops else ''}{peak.basis}. "
               f"Bandwidth roof: {roof.bandwidth_gbps:,.1f} GB/s, {roof.bandwidth_basis}.")
    st.dataframe(table, hide_index=True)
    kinds = sorted({p.series.device for p in roof.points})
    caches = "; ".join(_caches(machine.device(k)) for k in kinds)
    st.caption("Small ops fall below both roofs: a call that takes microseconds is dominated "
               "by Python and dispatch overhead, not by the hardware. Hollow points fit in a "
               f"cache ({caches}), which is faster than memory, so they may sit above the "
               "bandwidth roof.")


# --- Recorded runs ---------------------------------------------------------------------------

@st.cache_resource(max_entries=64, show_spinner=False)
def _recorded_view(folder: str, listing: tuple, path: str, op: str, dtype: str, height: int
                   ) -> tuple[dict, dict, pd.DataFrame]:
    """Both charts and the table of one recorded op and dtype, built once for every learner."""
    shown = _recorded(folder, listing, path, op, dtype)[0]
    return (_chart(shown, "time", height), _chart(shown, "throughput", height),
            readings.table(shown.points, shown.machine))


def recorded_tab() -> None:
    folder, listing = _listing()
    recs, problems = _recordings(folder, listing)
    for note in problems:
        st.warning(f"Ignored a recording: {note}")
    if not any(r.has_gpu for r in recs):
        st.info("No GPU recording yet. On a machine with a GPU, run "
                "`python -m ml101.bench --device cuda` (or `--device mps` on a Mac) and commit "
                "the CSV it writes under `data/bench/`: it records the GPU and the CPU side by "
                "side with full device metadata. GPU numbers are never made up here.")
    if not recs:
        return
    labels = [r.label for r in recs]
    pick = controls.selectbox("Recording", labels, key="bm_rec", **KEEP)
    rec = recs[labels.index(pick)]
    held = _dtypes_by_op(folder, listing, str(rec.path))
    r1, r2 = st.columns(2)
    with r1:
        op = controls.selectbox("Operation", [o for o in OPS if o in held], key="bm_rec_op",
                                format_func=lambda k: OPS[k].label, **KEEP)
    with r2:
        dtype = controls.selectbox("dtype", [d for d in DTYPES if d in held[op]],
                                   key="bm_rec_dtype", **KEEP)
    shown = _recorded(folder, listing, str(rec.path), op, dtype)[0]
    k1, k2 = st.columns(2)
    *pair, table = _recorded_view(folder, listing, str(rec.path), op, dtype, _height())
    for col, spec, plot in zip((k1, k2), pair, PLOTS, strict=True):
        chart(spec, _alt_text(shown, plot), where=col, width="stretch")
    peak = readings.reference_peak(shown.points, shown.machine)
    st.caption(f"Recording: {rec.path.name}. Metadata: {shown.meta}. Peak: {peak.basis}.")
    _cache_note(shown)
    cross = readings.gpu_crossover(shown.points)
    if cross is not None:
        st.markdown(f"**The GPU wins from size {cross} on**; below it, launch overhead "
                    "and small work per call favour the CPU.")
    st.dataframe(table, hide_index=True)
