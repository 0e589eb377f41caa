"""The benchmark core: work counts, peaks, the lock, sweeps within budget, CSV round trip."""

from __future__ import annotations

import io
import itertools
import json
import threading
from pathlib import Path

import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml101 import runtime
from ml101.bench import devices, peaks
from ml101.bench import sweep as bench
from ml101.bench.sweep import Point, Series

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = torch.backends.mps.is_available()


# --- FLOP and byte counts ------------------------------------------------------------------

def _count_matmul_flops(n: int) -> int:
    """Count the multiplies and adds of the schoolbook algorithm, one by one."""
    flops = 0
    for _i, _j in itertools.product(range(n), range(n)):
        for _k in range(n):
            flops += 2  # one multiply, one add into the accumulator
    return flops


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_matmul_flops_match_a_counted_loop(n: int) -> None:
    assert bench.matmul_flops(n) == _count_matmul_flops(n)


def test_byte_counts_equal_the_tensors_touched() -> None:
    for dtype in bench.DTYPES.values():
        a = torch.zeros(7, 7, dtype=dtype)
        touched = 3 * a.nbytes  # A, B read; C written
        assert bench.matmul_bytes(7, a.element_size()) == touched
        assert bench.add_bytes(7, a.element_size()) == touched
        assert bench.copy_bytes(7, a.element_size()) == a.nbytes


def test_add_does_one_flop_per_element() -> None:
    assert bench.add_flops(1000) == 1_000_000


def test_counts_agree_with_torchs_own_flop_counter() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    f = bench.LINEAR_FEATURES
    a = torch.randn(48, 48)
    with FlopCounterMode(display=False) as counter:
        torch.matmul(a, a)
    assert counter.get_total_flops() == bench.matmul_flops(48)
    layer, x = torch.nn.Linear(f, f), torch.randn(8, f)
    with FlopCounterMode(display=False) as counter:
        layer(x)
    # torch counts the matmul part of addmm; the bias adds one FLOP per output
    assert counter.get_total_flops() + 8 * f == bench.linear_flops(8)


def test_linear_bytes_are_input_weights_bias_and_output() -> None:
    f = bench.LINEAR_FEATURES
    layer = torch.nn.Linear(f, f)
    params = sum(p.numel() for p in layer.parameters())
    assert bench.linear_bytes(8, 4) == (params + 2 * 8 * f) * 4


@given(st.integers(1, 10_000))
def test_matmul_intensity_grows_with_n(n: int) -> None:
    assert bench.matmul_flops(n) * 6 == bench.matmul_bytes(n, 4) * n  # n/6 FLOP per byte


def test_throughput_is_work_over_median() -> None:
    p = Point(Series("matmul"), 1024, 0.01, 0.009, 0.012, 10, 1,
              bench.matmul_flops(1024), bench.matmul_bytes(1024, 4))
    assert p.gflops == pytest.approx(2 * 1024**3 / 0.01 / 1e9)
    assert p.gbps == pytest.approx(3 * 1024**2 * 4 / 0.01 / 1e9)
    assert p.iqr_s == pytest.approx(0.003)


def test_size_grid_is_powers_of_two() -> None:
    assert bench.size_grid(16, 1024) == [16, 32, 64, 128, 256, 512, 1024]
    assert bench.size_grid(20, 100) == [32, 64]
    assert bench.size_grid(1, 10**9)[-1] == bench.MAX_SIZE


# --- peaks ---------------------------------------------------------------------------------

def _cpu(simd: str = "AVX2", clock: float = 3.0, cores: int = 8) -> devices.DeviceInfo:
    return devices.DeviceInfo("cpu", "test CPU", cores=cores, clock_ghz=clock, simd=simd)


def test_cpu_peak_formula() -> None:
    # 4 cores x 3 GHz x 8 lanes x 2 (FMA) x 2 units = 384 GFLOP/s
    assert peaks.cpu_peak(_cpu(), 4).gflops == pytest.approx(384)
    assert peaks.cpu_peak(_cpu(), 4, "float64").gflops == pytest.approx(192)
    assert peaks.cpu_peak(_cpu("AVX512"), 1).gflops == pytest.approx(192)
    assert peaks.cpu_peak(_cpu(), 99).gflops == pytest.approx(768)  # capped at usable cores
    assert "theoretical" in peaks.cpu_peak(_cpu(), 1).basis


def test_cpu_peak_is_absent_rather_than_guessed() -> None:
    assert peaks.cpu_peak(_cpu(clock=0.0), 1).gflops == 0
    assert peaks.cpu_peak(_cpu(), 1, "float16").gflops == 0


@pytest.mark.parametrize(("name", "spec"), [
    ("NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM"),
    ("NVIDIA H100 PCIe", "NVIDIA H100 PCIe"),
    ("NVIDIA H200", "NVIDIA H200"),
    ("NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB SXM"),
    ("NVIDIA A100 80GB PCIe", "NVIDIA A100 80GB PCIe"),
    ("NVIDIA A100-SXM4-40GB", "NVIDIA A100 40GB"),
    ("Tesla T4", "NVIDIA T4"),
    ("Apple M1 Pro", "Apple M1 Pro"),
    ("Apple M1", "Apple M1"),
    ("Apple M2", "Apple M2"),
])
def test_gpu_names_find_their_published_spec(name: str, spec: str) -> None:
    found = peaks.gpu_spec(name)
    assert found is not None and found.name == spec
    assert found.source


def test_unknown_gpus_get_no_invented_figure() -> None:
    assert peaks.gpu_spec("NVIDIA GeForce RTX 4090") is None
    assert peaks.gpu_peak("NVIDIA GeForce RTX 4090").gflops == 0


def test_tf32_switch_picks_the_tensor_core_figure() -> None:
    assert peaks.gpu_peak("NVIDIA A100-SXM4-80GB").gflops == pytest.approx(19_500)
    tf32 = peaks.gpu_peak("NVIDIA A100-SXM4-80GB", tf32=True)
    assert tf32.gflops == pytest.approx(156_000) and "TF32" in tf32.basis
    assert peaks.gpu_peak("Tesla T4", "bfloat16").gflops == 0  # Turing has no bf16


# --- the lock and the sweep ----------------------------------------------------------------

def test_one_measurement_at_a_time() -> None:
    with bench.exclusive():
        assert bench.is_busy()
        with pytest.raises(bench.Busy):
            bench.run_sweep(bench.SweepPlan((Series("add"),), (16,), 0.2))
        seen: list[bool] = []

        def other() -> None:
            try:
                with bench.exclusive():
                    seen.append(True)
            except bench.Busy:
                seen.append(False)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [False]
    assert not bench.is_busy()


def test_a_small_sweep_measures_every_point_in_order() -> None:
    series = bench.compare_series("matmul", "threads")
    plan = bench.SweepPlan(series, (16, 32), budget_s=2.0)
    events: list[object] = []
    threads_before = torch.get_num_threads()
    result = bench.run_sweep(plan, lambda r, e: events.append(e))
    assert [(p.size, p.series) for p in result.points] == [
        (size, s) for size in (16, 32) for s in series]
    assert len(events) == plan.total
    for p in result.points:
        assert 0 < p.p25_s <= p.median_s <= p.p75_s
        assert p.runs >= 1 and p.number_per_run >= 1
        assert p.flops == bench.matmul_flops(p.size)
    assert result.elapsed_s < 4 and not bench.is_busy()
    assert torch.get_num_threads() == threads_before  # Timer restored the server's setting


def test_the_sweep_skips_what_would_not_fit_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "memory_cap", lambda device, shared=True: 3 * 64 * 64 * 4)
    result = bench.run_sweep(bench.SweepPlan((Series("add"),), (32, 64, 128), 1.0))
    assert [p.size for p in result.points] == [32, 64]
    assert [s.size for s in result.skipped] == [128]
    assert result.skipped[0].reason.startswith("memory")


def test_the_sweep_skips_what_would_overrun_the_budget() -> None:
    prev = Point(Series("matmul"), 512, 0.05, 0.05, 0.05, 5, 1, bench.matmul_flops(512),
                 bench.matmul_bytes(512, 4))
    assert bench.predict_seconds(prev, 1024) == pytest.approx(0.4)
    skip = bench._plan_point(Series("matmul"), 1024, 1.0, 1 << 30, prev)
    assert skip is not None and skip.reason.startswith("time budget")
    assert bench._plan_point(Series("matmul"), 1024, 5.0, 1 << 30, prev) is None


def test_the_sweep_stops_when_asked() -> None:
    result = bench.run_sweep(bench.SweepPlan((Series("add"),), (16, 32, 64), 2.0),
                             should_stop=lambda: True)
    assert result.stopped and not result.points


def test_unsupported_combinations_are_skipped_with_a_reason() -> None:
    plan = bench.SweepPlan((Series("matmul", dtype="bfloat16", library="numpy"),
                            Series("h2d_pinned")), (16,), 1.0)
    result = bench.run_sweep(plan)
    reasons = [s.reason for s in result.skipped]
    assert any("bfloat16" in r for r in reasons) and any("GPU" in r for r in reasons)


def test_numpy_and_dtype_comparisons() -> None:
    numpy = bench.compare_series("matmul", "numpy", threads=1)
    assert [s.library for s in numpy] == ["torch", "numpy"]
    assert [s.dtype for s in bench.compare_series("add", "dtypes")] == list(bench.DTYPES)
    if not (HAS_CUDA or HAS_MPS):
        with pytest.raises(ValueError, match="no GPU"):
            bench.compare_series("matmul", "gpu")


# --- reading results -----------------------------------------------------------------------

def test_crossover_is_where_the_gpu_wins_for_good() -> None:
    sizes = [16, 64, 256, 1024]
    assert bench.crossover(sizes, [1, 2, 3, 4], [2, 1.5, 1, 1]) == 64
    assert bench.crossover(sizes, [1, 2, 3, 4], [0.5, 3, 1, 1]) == 256  # a blip at 16 is luck
    assert bench.crossover(sizes, [1, 2, 3, 4], [2, 3, 4, 5]) is None


def test_the_marked_crossover_is_full_float32_against_the_most_cpu_threads() -> None:
    from ml101.bench.charts import gpu_crossover

    def series(s: Series, times: list[float]) -> list[Point]:
        return [Point(s, n, t, t, t, 5, 1, 0, 0) for n, t in zip((16, 64, 256), times,
                                                                  strict=True)]
    pts = (series(Series("matmul", "cpu", threads=1), [1, 4, 64])
           + series(Series("matmul", "cpu", threads=8), [1, 2, 8])
           + series(Series("matmul", "cuda", tf32=True), [2, 1, 1])
           + series(Series("matmul", "cuda"), [2, 3, 4]))
    assert gpu_crossover(pts) == 256  # not 64 (TF32) and not vs the 1-thread CPU
    assert gpu_crossover(pts[:6]) is None


def _pt(dtype: str, size: int, median: float) -> Point:
    return Point(Series("matmul", dtype=dtype), size, median, median, median, 5, 1,
                 bench.matmul_flops(size), bench.matmul_bytes(size, 4))


def test_slow_dtypes_are_flagged_at_the_largest_common_size() -> None:
    pts = [_pt("float32", 64, 1.0), _pt("float32", 128, 1.0), _pt("float16", 64, 1.0),
           _pt("float16", 128, 20.0), _pt("bfloat16", 128, 1.5)]
    assert bench.slow_dtypes(pts) == {"float16": 20.0}


def test_percent_of_peak_uses_the_points_own_threads() -> None:
    cpu = _cpu(cores=4)
    p1 = Point(Series("matmul", threads=1), 1024, 1.0, 1.0, 1.0, 1, 1, int(48e9), 1)
    p4 = Point(Series("matmul", threads=4), 1024, 1.0, 1.0, 1.0, 1, 1, int(48e9), 1)
    table = bench.table([p1, p4], cpu=cpu)
    assert list(table["% of peak"]) == pytest.approx([50.0, 12.5])  # 96 and 384 GFLOP/s peaks


# --- CSV round trip ------------------------------------------------------------------------

def _points() -> list[Point]:
    return [
        Point(Series("matmul", "cpu", "float32", 2), 1024, 0.0123456789, 0.012, 0.0131, 17, 1,
              bench.matmul_flops(1024), bench.matmul_bytes(1024, 4)),
        Point(Series("add", "cpu", "bfloat16", 1, "torch"), 64, 3.2e-6, 3.1e-6, 3.3e-6, 40,
              1000, bench.add_flops(64), bench.add_bytes(64, 2)),
        Point(Series("matmul", "cpu", "float64", 2, "numpy"), 16, 1e-5, 9e-6, 2e-5, 9, 100,
              bench.matmul_flops(16), bench.matmul_bytes(16, 8)),
        Point(Series("matmul", "cuda", "float32", 2, tf32=True), 4096, 0.001, 0.0009, 0.0011,
              30, 10, bench.matmul_flops(4096), bench.matmul_bytes(4096, 4)),
    ]


def test_csv_round_trip_keeps_every_point_and_the_metadata(tmp_path: Path) -> None:
    meta = bench.metadata()
    path = bench.write_csv(_points(), tmp_path / "run.csv", meta)
    df = bench.load_csv(path)
    assert bench.from_frame(df) == _points()
    row = df.iloc[0]
    for key in ("device_name", "cpu_model", "torch_version", "recorded_at", "cpu_simd"):
        assert str(row[key]) == str(meta[key])
    assert int(row.cpu_cores) == meta["cpu_cores"]
    assert list(df["gflops"]) == pytest.approx([p.gflops for p in _points()])


def test_a_recording_is_labelled_with_device_and_date(tmp_path: Path) -> None:
    meta = {**bench.metadata(), "device_name": "NVIDIA A100-SXM4-80GB",
            "recorded_at": "2025-01-31T10:00:00Z"}
    bench.write_csv(_points(), tmp_path / "gpu.csv", meta)
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    recs, problems = bench.recordings(tmp_path)
    assert len(recs) == 1 and recs[0].has_gpu
    assert recs[0].label == "CUDA NVIDIA A100-SXM4-80GB, recorded 2025-01-31"
    assert problems and "junk.csv: missing columns" in problems[0]


def _csv_text(**overrides: object) -> str:
    df = bench.to_frame(_points()[:1], bench.metadata())
    for col, value in overrides.items():
        df[col] = value
    return df.to_csv(index=False)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"op": "rm -rf"}, "unknown op"),
    ({"device": "tpu"}, "unknown device"),
    ({"median_s": "fast"}, "numeric"),
    ({"median_s": -1.0}, "positive"),
    ({"device_name": "<script>alert(1)</script>"}, "unexpected characters"),
])
def test_bad_csvs_are_refused_with_a_reason(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(bench.BadCsv, match=message):
        bench.load_csv(io.StringIO(_csv_text(**overrides)))


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_hostile_text_gives_a_frame_or_a_clear_error(text: str) -> None:
    try:
        df = bench.load_csv(io.StringIO(text))
    except bench.BadCsv as exc:
        assert str(exc)
    else:
        assert isinstance(df, pd.DataFrame)


# --- code, devices, naive timing -----------------------------------------------------------

def test_sweep_code_compiles_for_every_op_and_library() -> None:
    series = (*(Series(op) for op in bench.OPS), Series("add", library="numpy"),
              Series("matmul", "cuda", tf32=True))
    code = bench.sweep_code(bench.SweepPlan(series, (16, 32), 1.0, 7))
    compile(code, "<sweep>", "exec")
    assert "torch.manual_seed(7)" in code and "num_threads" in code


def test_sweep_code_loops_over_the_measured_sizes_only() -> None:
    """A budget-skipped size must not appear in the code, or the code prints extra rows."""
    fast, slow = Series("matmul", threads=1), Series("matmul", threads=2)
    plan = bench.SweepPlan((fast, slow), (16, 32, 64), 1.0)
    measured = [Point(fast, 16, 1e-6, 1e-6, 1e-6, 3, 1, 0, 0),
                Point(fast, 64, 1e-6, 1e-6, 1e-6, 3, 1, 0, 0)]
    code = bench.sweep_code(plan, measured)
    assert "for size in [16, 64]:" in code
    assert "2 threads" not in code and "threads=2" not in code
    assert "for size in [16, 32, 64]:" in bench.sweep_code(plan)


def test_cpu_discovery_reads_this_machine() -> None:
    cpu = devices.cpu()
    assert cpu.kind == "cpu" and cpu.name and cpu.cores >= 1
    assert cpu.simd == torch.backends.cpu.get_cpu_capability()
    assert devices.available()[0] == cpu
    assert devices.free_bytes(cpu) > 0
    assert 0 < bench.memory_cap(cpu) <= runtime.MEMORY_BUDGET_BYTES


def test_only_a_shared_server_adds_its_request_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI records on one's own machine, so free memory alone caps its sizes."""
    monkeypatch.setattr(bench.devices, "free_bytes", lambda device: 16 * 2**30)
    cpu = devices.cpu()
    assert bench.memory_cap(cpu) == runtime.MEMORY_BUDGET_BYTES
    assert bench.memory_cap(cpu, shared=False) == 4 * 2**30


def test_naive_samples_beside_the_timer() -> None:
    result = bench.naive_vs_correct(n=64, repeats=4, threads=1, fresh_process=False)
    assert len(result.naive_s) == 4 and all(t > 0 for t in result.naive_s)
    assert result.timer.size == 64 and result.timer.series.threads == 1
    assert result.fresh_process_first_s is None


def test_a_fresh_process_times_its_first_call() -> None:
    imported, first = bench.fresh_process_first_call(32, 1)
    assert imported > 0 and first > 0
    with pytest.raises(ValueError):
        bench.fresh_process_first_call(10**6, 1)


# --- GPU paths: real measurements where a GPU exists, skipped cleanly where not ------------

@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU on this machine")
def test_cuda_sweep_with_copies_and_tf32() -> None:
    gpu = devices.cuda()
    assert gpu is not None and gpu.capability and gpu.memory_gb > 0
    series = (Series("matmul", "cuda", "float32", 1, tf32=True),
              Series("matmul", "cuda", "float32", 1),
              Series("h2d_pageable", "cuda"), Series("h2d_pinned", "cuda"))
    before = torch.backends.cuda.matmul.fp32_precision
    result = bench.run_sweep(bench.SweepPlan(series, (256, 1024), 3.0))
    assert torch.backends.cuda.matmul.fp32_precision == before
    assert {p.series for p in result.points} == set(series)
    assert all(p.median_s > 0 for p in result.points)
    assert bench.metadata("cuda")["gpu_capability"] == gpu.capability


@pytest.mark.skipif(not HAS_MPS, reason="no Apple MPS GPU on this machine")
def test_mps_sweep() -> None:
    result = bench.run_sweep(bench.SweepPlan((Series("matmul", "mps"),), (64, 256), 2.0))
    assert len(result.points) == 2 and all(p.median_s > 0 for p in result.points)


def test_a_recorded_view_carries_its_device_into_both_charts() -> None:
    from ml101.bench.charts import recorded_charts, recorded_view

    rec = next(r for r in bench.recordings()[0] if r.has_gpu)
    view = recorded_view(rec, "matmul", "float32")
    assert view.device_name == "NVIDIA H200" and view.peak.gflops == 67_000
    assert {p.series.device for p in view.points} == {"cpu", "cuda"}
    for chart in recorded_charts(view, "matmul"):
        spec = json.dumps(chart.to_dict())
        assert "NVIDIA H200" in spec and "2.11.0+cu130" in spec
