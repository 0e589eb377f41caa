"""Sweeps: every point in order inside the budget, skips with reasons, the memory caps."""

from __future__ import annotations

import pytest
import torch

from ml101 import runtime
from ml101.bench import devices, ops, sweeps
from ml101.bench.measuring import Busy, Point, Series, exclusive, is_busy
from ml101.bench.sweeps import SweepPlan, compare_series, run_sweep

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = torch.backends.mps.is_available()


def test_a_busy_process_refuses_a_second_sweep() -> None:
    with exclusive(), pytest.raises(Busy):
        run_sweep(SweepPlan((Series("add"),), (16,), 0.2))
    assert not is_busy()


def test_a_small_sweep_measures_every_point_in_order() -> None:
    series = compare_series("matmul", "threads")
    plan = SweepPlan(series, (16, 32), budget_s=2.0)
    events: list[object] = []
    threads_before = torch.get_num_threads()
    result = run_sweep(plan, lambda r, e: events.append(e))
    assert [(p.size, p.series) for p in result.points] == [
        (size, s) for size in (16, 32) for s in series]
    assert len(events) == plan.total
    for p in result.points:
        assert 0 < p.p25_s <= p.median_s <= p.p75_s
        assert p.runs >= 1 and p.number_per_run >= 1
        assert p.flops == ops.matmul_flops(p.size)
    assert result.elapsed_s < 4 and not is_busy()
    assert torch.get_num_threads() == threads_before  # Timer restored the server's setting


def test_the_sweep_skips_what_would_not_fit_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweeps, "memory_cap", lambda device, shared=True: 3 * 64 * 64 * 4)
    result = run_sweep(SweepPlan((Series("add"),), (32, 64, 128), 1.0))
    assert [p.size for p in result.points] == [32, 64]
    assert [s.size for s in result.skipped] == [128]
    assert result.skipped[0].reason.startswith("memory")


def test_the_sweep_skips_what_would_overrun_the_budget() -> None:
    prev = Point(Series("matmul"), 512, 0.05, 0.05, 0.05, 5, 1, ops.matmul_flops(512),
                 ops.matmul_bytes(512, 4))
    assert sweeps.predict_seconds(prev, 1024) == pytest.approx(0.4)
    skip = sweeps._plan_point(Series("matmul"), 1024, 1.0, 1 << 30, prev)
    assert skip is not None and skip.reason.startswith("time budget")
    assert sweeps._plan_point(Series("matmul"), 1024, 5.0, 1 << 30, prev) is None


def test_the_sweep_stops_when_asked() -> None:
    result = run_sweep(SweepPlan((Series("add"),), (16, 32, 64), 2.0), should_stop=lambda: True)
    assert result.stopped and not result.points


def test_unsupported_combinations_are_skipped_with_a_reason() -> None:
    plan = SweepPlan((Series("matmul", dtype="bfloat16", library="numpy"),
                      Series("h2d_pinned")), (16,), 1.0)
    result = run_sweep(plan)
    reasons = [s.reason for s in result.skipped]
    assert any("bfloat16" in r for r in reasons) and any("GPU" in r for r in reasons)


def test_numpy_and_dtype_comparisons() -> None:
    numpy = compare_series("matmul", "numpy", threads=1)
    assert [s.library for s in numpy] == ["torch", "numpy"]
    assert [s.dtype for s in compare_series("add", "dtypes")] == list(ops.DTYPES)
    if not (HAS_CUDA or HAS_MPS):
        with pytest.raises(ValueError, match="no GPU"):
            compare_series("matmul", "gpu")


def test_the_memory_cap_fits_the_shared_servers_budget() -> None:
    cpu = devices.cpu()
    assert 0 < sweeps.memory_cap(cpu) <= runtime.MEMORY_BUDGET_BYTES


def test_only_a_shared_server_adds_its_request_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI records on one's own machine, so free memory alone caps its sizes."""
    monkeypatch.setattr(sweeps.devices, "free_bytes", lambda device: 16 * 2**30)
    cpu = devices.cpu()
    assert sweeps.memory_cap(cpu) == runtime.MEMORY_BUDGET_BYTES
    assert sweeps.memory_cap(cpu, shared=False) == 4 * 2**30


# --- GPU paths: real measurements where a GPU exists, skipped cleanly where not ------------

@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU on this machine")
def test_cuda_sweep_with_copies_and_tf32() -> None:
    from ml101.bench.recordings import metadata

    gpu = devices.cuda()
    assert gpu is not None and gpu.capability and gpu.memory_gb > 0
    assert gpu.caches and gpu.caches[0].level == 2  # the L2 the driver reports
    series = (Series("matmul", "cuda", "float32", 1, tf32=True),
              Series("matmul", "cuda", "float32", 1),
              Series("h2d_pageable", "cuda"), Series("h2d_pinned", "cuda"))
    before = torch.backends.cuda.matmul.fp32_precision
    result = run_sweep(SweepPlan(series, (256, 1024), 3.0))
    assert torch.backends.cuda.matmul.fp32_precision == before
    assert {p.series for p in result.points} == set(series)
    assert all(p.median_s > 0 for p in result.points)
    assert metadata("cuda")["gpu_capability"] == gpu.capability
    assert metadata("cuda")["gpu_cache_bytes"] == gpu.caches[0].size_bytes


@pytest.mark.skipif(not HAS_MPS, reason="no Apple MPS GPU on this machine")
def test_mps_sweep() -> None:
    result = run_sweep(SweepPlan((Series("matmul", "mps"),), (64, 256), 2.0))
    assert len(result.points) == 2 and all(p.median_s > 0 for p in result.points)
