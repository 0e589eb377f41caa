"""CPU vs GPU benchmark: the lesson's GPU timing, done right."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import torch

from ml101 import runtime
from ml101.bench import charts, devices
from ml101.bench import sweep as bench
from ml101.ui import controls
from ml101.ui.layout import explain, page_header, show_code

page_header(
    "CPU vs GPU benchmark",
    "Time a matrix multiply and friends the right way (warm-up, many runs, the median) and "
    "see how close this machine gets to its peak.  \nNothing runs until you press a button: "
    "each measurement is capped at a few seconds and one at a time on this shared server.",
)

cpu = devices.cpu()
gpu = devices.gpu()
server_threads = runtime.torch_threads()

c1, c2, c3, c4 = st.columns(4)
c1.metric("CPU", cpu.name, help="The model name the operating system reports.")
c2.metric("Usable cores", cpu.cores, help="Cores this process may run on.")
c3.metric("torch threads on this server", server_threads,
          help="The app's policy for everyday work; a benchmark sets its own, shown below.")
c4.metric("GPU", gpu.label if gpu else "none",
          help="CUDA or Apple MPS, whichever torch can see.")
st.caption(f"torch {torch.__version__} · CPU kernels use {cpu.simd} · "
           f"clock the OS reports: {cpu.clock_ghz or 'unknown'} GHz · "
           f"host memory {cpu.memory_gb} GB")
if gpu is None:
    st.info(
        "**This server has no GPU.** Every live measurement here runs on the CPU: one thread "
        "against all of them, torch against NumPy, and the four dtypes. GPU curves appear only "
        "under *Recorded runs*, from CSV files measured on a real GPU with "
        "`python -m ml101.bench --device cuda`, each labelled with its device and date.",
        icon=":material/memory:",
    )

explain(
    "The lesson times **one** `1000 x 1000` matmul with `time.time()` before and after. "
    "That single sample includes whatever happened to be slow that instant: the first call "
    "of a fresh process (thread pools starting, memory being mapped), another program on the "
    "same cores, the clock's own resolution. On a GPU its synchronisation is right, but its "
    "one cold call also pays for cuBLAS setup.\n\n"
    "A sound measurement warms up, repeats the call many times in blocks, and reports the "
    "**median** with its **interquartile range** (IQR: where the middle half of the runs "
    "fell). `torch.utils.benchmark.Timer` does exactly that and synchronises any GPU before "
    "reading the clock. Its `num_threads` defaults to **1**, so forgetting it measures one "
    "core: here it is always set and always shown.\n\n"
    "Time alone is hard to judge, so each point is also turned into **GFLOP/s** (work done "
    "per second: a matmul of size n does 2n³ floating-point operations) and **GB/s** (bytes "
    "moved per second), and compared with what the hardware could do at best.",
    title="What is wrong with the lesson's timing?",
)



@st.cache_resource(max_entries=4, show_spinner=False)
def recordings(folder: str, listing: tuple) -> tuple[list[bench.Recording], list[str]]:
    """Read and validate the CSVs once per change of the folder (`listing` is the key)."""
    return bench.recordings(Path(folder))


@st.cache_resource(max_entries=64, show_spinner=False)
def recorded_charts(folder: str, listing: tuple, path: str, op: str, dtype: str) -> tuple:
    """Both charts of one recorded op and dtype, built once for every learner."""
    rec = next(r for r in recordings(folder, listing)[0] if str(r.path) == path)
    return charts.recorded_charts(charts.recorded_view(rec, op, dtype), op)


TABS = ["Sweep", "Naive vs correct", "Roofline", "Recorded runs"]
tab_sweep, tab_naive, tab_roof, tab_rec = controls.tabs(TABS, key="bm_tab")

COMPARE = {"threads": "1 thread vs all", "numpy": "torch vs NumPy", "dtypes": "dtypes"}
if gpu is not None:
    COMPARE["gpu"] = f"CPU vs {gpu.kind.upper()}"
OP_KEYS = ["matmul", "add", "linear"] + (["h2d_pageable", "h2d_pinned"] if gpu else [])
OP_LABELS = {"matmul": "matmul", "add": "add", "linear": "nn.Linear",
             "h2d_pageable": "copy to GPU (pageable)", "h2d_pinned": "copy to GPU (pinned)"}
SIZES = [2**i for i in range(4, 14)]


def _busy_note() -> None:
    st.warning("Another learner's measurement is running on this server. One runs at a time "
               "so that nobody's page freezes; try again in a few seconds.",
               icon=":material/hourglass_top:")


def _shown_device(points: list[bench.Point]) -> str:
    on_gpu = gpu is not None and any(p.series.device != "cpu" for p in points)
    return f"{cpu.label} vs {gpu.label}" if on_gpu else cpu.label


# --- Sweep -----------------------------------------------------------------------------------
with tab_sweep:
    top_left, top_right = st.columns([3, 2])
    with top_left:
        op_key = controls.segmented_control(
            "Operation", OP_KEYS, format_func=OP_LABELS.get, key="bm_op",
            default="matmul", required=True,
            help="matmul is compute-bound; add is memory-bound; nn.Linear(1024, 1024) sweeps "
                 "the batch size.")
    with top_right:
        compare = controls.segmented_control(
            "Compare", list(COMPARE), format_func=COMPARE.get, key="bm_cmp",
            default="threads", required=True)
    left, mid, right = st.columns(3)
    with left:
        dtype = controls.selectbox("dtype", list(bench.DTYPES), key="bm_dtype",
                                   disabled=compare == "dtypes",
                                   help="Ignored when comparing dtypes: all four are run.")
        if cpu.cores > 1:
            threads = controls.slider(
                "Threads (torch num_threads)", 1, cpu.cores, min(server_threads, cpu.cores),
                key="bm_threads", disabled=compare in ("threads", "gpu"),
                help="Set explicitly for every measurement. '1 thread vs all' uses 1 and "
                     f"{cpu.cores}.")
        else:
            threads = 1
            st.caption("Threads: 1 (this process has one core).")
        tf32_on = False
        if gpu is not None and gpu.kind == "cuda":
            tf32_on = controls.toggle(
                "TF32 for float32 matmul on CUDA", key="bm_tf32", value=False,
                help="Tensor cores with a 10-bit mantissa: much faster, less precise.")
    with mid:
        lo, hi = controls.select_slider(
            bench.OPS[op_key].size_name, SIZES, value=(16, 1024), key="bm_sizes",
            help="Powers of two. Sizes that would not fit in memory or in the time budget "
                 "are skipped, and the table says why.")
        budget = controls.slider("Time budget (s)", 1, 10, 3, key="bm_budget",
                                 help="The whole sweep stops within about this long.")
    with right:
        seed = controls.seed_input("bm_seed")

    series = bench.compare_series(op_key, compare, dtype=dtype, threads=threads,
                                  gpu=gpu.kind if gpu else None, tf32_on=tf32_on)
    plan = bench.SweepPlan(series, tuple(bench.size_grid(lo, hi)), float(budget), int(seed))
    if compare == "numpy" and op_key not in ("matmul", "add"):
        st.info("NumPy has matmul and add but no nn.Linear or device copy: its rows will be "
                "skipped. Pick matmul or add to compare the two libraries.")
    if compare == "threads":
        st.caption("On a busy shared server, more threads than idle cores can be *slower*: "
                   "a multi-threaded op waits for its slowest thread, and a thread waiting for "
                   "a core stalls the whole call.")
    if compare == "numpy":
        st.caption(f"NumPy's BLAS keeps its own thread pool ({bench.numpy_threads()} threads "
                   "here); torch's num_threads does not reach it.")

    b1, b2, _ = st.columns([1, 1, 4])
    run = b1.button("Run sweep", key="bm_run", type="primary", icon=":material/play_arrow:")
    b2.button("Stop", key="bm_stop", icon=":material/stop:",
              help="Stops after the current size; what was measured stays.")

    state = st.session_state
    if state.get("bm_running") and not run:
        state["bm_running"] = False  # a rerun arrived mid-sweep: the Stop button, or any control
        if "bm_result" in state:
            state["bm_result"].stopped = True

    if run:
        if bench.is_busy():
            _busy_note()
        else:
            progress = st.progress(0.0, text=f"Measuring 0 of {plan.total} points")

            def on_event(result: bench.SweepResult, event: bench.Point | bench.Skip) -> None:
                state["bm_result"] = result
                what = ("skipped" if isinstance(event, bench.Skip)
                        else f"{event.median_s * 1e3:.3f} ms")
                progress.progress(result.done / plan.total,
                                  text=f"{result.done} of {plan.total}: {event.series.label}, "
                                       f"size {event.size}: {what}")

            state["bm_running"] = True
            try:
                state["bm_result"] = bench.run_sweep(plan, on_event)
            except bench.Busy:
                _busy_note()
            state["bm_running"] = False
            progress.empty()

    result: bench.SweepResult | None = state.get("bm_result")
    if result is None or not result.points:
        st.info(f"Nothing measured yet in this session. **Run sweep** measures "
                f"{len(plan.series)} series at {len(plan.sizes)} sizes in at most about "
                f"{budget} s. Meanwhile, *Recorded runs* shows curves measured earlier.",
                icon=":material/touch_app:")
    else:
        points = result.points
        shown_op = bench.OPS[points[0].series.op]
        peak = bench.reference_peak(points, gpu.name if gpu else "", cpu)
        meta = charts.meta_line(points, _shown_device(points))
        status = "stopped early" if result.stopped else "done"
        st.success(f"Sweep {status}: {len(points)} points in {result.elapsed_s:.1f} s "
                   f"(budget {result.plan.budget_s:g} s), {len(result.skipped)} skipped.",
                   icon=":material/timer:")
        for slow, ratio in bench.slow_dtypes(points).items():
            st.warning(f"**{slow} is slow on this device**: {ratio:.0f}x slower than float32 "
                       f"at the largest size both ran. It halves the bytes, so it should be "
                       f"faster; this CPU ({cpu.simd}) has no fast {slow} {shown_op.label} "
                       "kernel, so torch takes a slow path.", icon=":material/slow_motion_video:")
        metric = "gflops" if shown_op.compute_bound else "gbps"
        ch1, ch2 = st.columns(2)
        ch1.altair_chart(charts.time_chart(points, meta, shown_op.size_name))
        peak_label = f"peak {peak.gflops:.0f} GFLOP/s" if metric == "gflops" and peak.gflops \
            else ""
        ch2.altair_chart(charts.throughput_chart(
            points, meta, shown_op.size_name, metric=metric,
            peak=peak.gflops if peak_label else 0.0, peak_label=peak_label))
        st.caption(f"Metadata: {meta}.")
        if peak_label:
            best = max(p.gflops for p in points if p.series.op == shown_op.key)
            st.caption(f"Peak line: {peak.basis}.")
            if best > peak.gflops:
                st.caption(f"The best point ({best:.0f} GFLOP/s) is above that figure: the "
                           "cores run faster than the clock the OS reports (turbo boost), so "
                           "the true peak is higher than the line.")
        elif metric == "gflops":
            st.caption(f"No peak line: {peak.basis}.")
        else:
            st.caption("A memory-bound op: throughput is in GB/s. The *Roofline* tab measures "
                       "this machine's bandwidth ceiling.")
        cross = charts.gpu_crossover(points)
        if cross is not None:
            st.markdown(f"**The GPU wins from size {cross} on.** Below it, each call pays a "
                        "fixed launch cost of a few microseconds that a small op cannot hide.")
        st.dataframe(bench.table(points, gpu.name if gpu else "", cpu), hide_index=True,
                     column_config={
            c: st.column_config.NumberColumn(format="%.4f")
            for c in ("median (ms)", "IQR (ms)", "GFLOP per call")})
        if result.skipped:
            with st.expander(f"Skipped sizes ({len(result.skipped)})"):
                st.dataframe([{"series": s.series.label, "size": s.size, "why": s.reason}
                              for s in result.skipped], hide_index=True)
        st.download_button("Download CSV (with device metadata)",
                           bench.to_frame(points).to_csv(index=False), "benchmark.csv",
                           key="bm_csv", icon=":material/download:")
    show_code(bench.sweep_code(plan) if result is None or not result.points
              else bench.sweep_code(result.plan, result.points))

# --- Naive vs correct ------------------------------------------------------------------------
with tab_naive:
    st.markdown("The lesson's measurement, repeated as it stands, beside a measurement with "
                "`Timer`. Each red dot is what the lesson would have printed on that run.")
    n1, n2, n3 = st.columns(3)
    with n1:
        n = controls.select_slider("Matrix size n", [250, 500, 1000, 2000], value=1000,
                                   key="bm_n")
    with n2:
        repeats = controls.slider("Repeats of the lesson's measurement", 3, 30, 10,
                                  key="bm_reps")
    with n3:
        fresh = controls.toggle(
            "Include a first call in a fresh Python process", value=True, key="bm_fresh",
            help="Starts a new interpreter, imports torch and times its very first matmul: "
                 "what the lesson's script sees. Takes a few seconds.")
    naive_threads = threads
    if st.button("Run the lesson's timing", key="bm_naive", icon=":material/play_arrow:"):
        if bench.is_busy():
            _busy_note()
        else:
            bar = st.progress(0.0, text="starting")
            try:
                st.session_state["bm_naive_result"] = bench.naive_vs_correct(
                    n, repeats, naive_threads, "cpu", fresh, int(seed),
                    on_step=lambda text, frac: bar.progress(frac, text=text))
            except bench.Busy:
                _busy_note()
            bar.empty()
    naive: bench.NaiveResult | None = st.session_state.get("bm_naive_result")
    if naive is None:
        st.info("Press the button: it times the lesson's single call a few times, then "
                "measures the same matmul properly.", icon=":material/touch_app:")
    else:
        meta = charts.meta_line([naive.timer], cpu.label)
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
        g1.altair_chart(charts.naive_chart(naive, meta))
        g2.altair_chart(charts.cold_warm_chart(naive, meta))
        st.caption(f"Metadata: {meta}. Threads: {naive.threads} for both measurements.")
        if naive.fresh_process_first_s is not None:
            st.markdown(
                f"In a fresh process, `import torch` took {naive.fresh_process_import_s:.2f} s "
                f"and the first matmul {naive.fresh_process_first_s * 1e3:.2f} ms: "
                f"{naive.fresh_process_first_s / t.median_s:.1f}x the warm median. The lesson "
                "prints that first call.")
    explain("A single sample is one draw from a noisy distribution. The first call of a "
            "process also pays one-off costs: starting the thread pool, faulting in fresh "
            "memory, and on a GPU creating the cuBLAS handle and picking a kernel. "
            "`Timer.blocked_autorange` runs the statement once to warm up, then in blocks "
            "long enough that the clock's overhead vanishes, and reports the median, which a "
            "few slow outliers cannot move.", title="Why do single samples scatter?")

# --- Roofline --------------------------------------------------------------------------------
with tab_roof:
    st.markdown(
        "Every op sits somewhere between two ceilings. Ops that do little work per byte "
        "(elementwise add: 1 FLOP per 12 bytes) are capped by **memory bandwidth**, the slanted "
        "roof; ops that reuse each byte many times (a large matmul) are capped by **compute**, "
        "the flat roof. Arithmetic intensity = FLOP / bytes moved.")
    if st.button("Measure roofline points", key="bm_roof", icon=":material/play_arrow:",
                 help=f"{len(bench.ROOFLINE_POINTS)} points plus a bandwidth test, in about "
                      f"{budget} s, with {threads} thread(s) and {dtype}."):
        if bench.is_busy():
            _busy_note()
        else:
            with st.spinner(f"Measuring {len(bench.ROOFLINE_POINTS)} ops and the bandwidth..."):
                try:
                    st.session_state["bm_roof_result"] = bench.roofline(
                        "cpu", dtype, threads, float(budget), int(seed))
                except bench.Busy:
                    _busy_note()
    roof: bench.RooflineResult | None = st.session_state.get("bm_roof_result")
    if roof is None:
        st.info("Press the button to place add, nn.Linear and matmul on this machine's "
                "roofline.", icon=":material/touch_app:")
    else:
        peak = bench.reference_peak(roof.points, "", cpu)
        meta = charts.meta_line(roof.points, cpu.label)
        st.altair_chart(charts.roofline_chart(roof, peak.gflops, meta))
        st.caption(f"Metadata: {meta}. Compute roof: "
                   f"{f'{peak.gflops:.0f} GFLOP/s, ' if peak.gflops else ''}{peak.basis}. "
                   f"Bandwidth roof: {roof.bandwidth_gbps:.1f} GB/s, {roof.bandwidth_basis}.")
        st.dataframe(bench.table(roof.points, "", cpu).assign(
            **{"FLOP per byte": [bench.intensity(p) for p in roof.points]}), hide_index=True)
        st.caption("Small ops fall below both roofs: a call that takes microseconds is "
                   "dominated by Python and dispatch overhead, not by the hardware. Points "
                   "above the bandwidth roof fit in cache, which is faster than main memory.")

# --- Recorded runs ---------------------------------------------------------------------------
with tab_rec:
    folder = bench.RECORDED_DIR
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    listing = tuple((f.name, f.stat().st_mtime_ns) for f in files)
    recs, problems = recordings(str(folder), listing)
    for note in problems:
        st.warning(f"Ignored a recording: {note}")
    if not any(r.has_gpu for r in recs):
        st.info("No GPU recording yet. On a machine with a GPU, run "
                "`python -m ml101.bench --device cuda` (or `--device mps` on a Mac) and commit "
                "the CSV it writes under `data/bench/`: it records the GPU and the CPU side by "
                "side with full device metadata. GPU numbers are never made up here.")
    if recs:
        labels = [r.label for r in recs]
        pick = controls.selectbox("Recording", labels, key="bm_rec")
        rec = recs[labels.index(pick)]
        df = rec.frame
        r1, r2 = st.columns(2)
        with r1:
            rec_op = controls.selectbox("Operation", [o for o in bench.OPS if o in set(df["op"])],
                                        key="bm_rec_op",
                                        format_func=lambda k: bench.OPS[k].label)
        with r2:
            rec_dtype = controls.selectbox(
                "dtype", [d for d in bench.DTYPES if d in set(df[df["op"] == rec_op]["dtype"])],
                key="bm_rec_dtype")
        view = charts.recorded_view(rec, rec_op, rec_dtype)
        k1, k2 = st.columns(2)
        shown = recorded_charts(str(folder), listing, str(rec.path), rec_op, rec_dtype)
        for col, chart in zip((k1, k2), shown, strict=True):
            col.altair_chart(chart)
        st.caption(f"Recording: {rec.path.name}. Metadata: {view.meta}. "
                   f"Peak: {view.peak.basis}.")
        cross = charts.gpu_crossover(view.points)
        if cross is not None:
            st.markdown(f"**The GPU wins from size {cross} on**; below it, launch overhead "
                        "and small work per call favour the CPU.")
        st.dataframe(bench.table(view.points, view.device_name, view.cpu), hide_index=True)
