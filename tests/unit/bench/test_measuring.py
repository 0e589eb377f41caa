"""Timing one op: the process-wide lock, throughput from the median, labels of a series."""

from __future__ import annotations

import threading

import pytest
import torch

from ml101.bench import ops
from ml101.bench.measuring import (
    Busy,
    Point,
    Series,
    exclusive,
    is_busy,
    measure,
    short_labels,
    torch_threads,
)


def test_one_measurement_at_a_time() -> None:
    with exclusive():
        assert is_busy()
        seen: list[bool] = []

        def other() -> None:
            try:
                with exclusive():
                    seen.append(True)
            except Busy:
                seen.append(False)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [False]
    assert not is_busy()


def test_throughput_is_work_over_median() -> None:
    p = Point(Series("matmul"), 1024, 0.01, 0.009, 0.012, 10, 1,
              ops.matmul_flops(1024), ops.matmul_bytes(1024, 4))
    assert p.gflops == pytest.approx(2 * 1024**3 / 0.01 / 1e9)
    assert p.gbps == pytest.approx(3 * 1024**2 * 4 / 0.01 / 1e9)
    assert p.iqr_s == pytest.approx(0.003)


def test_a_measurement_reports_a_median_inside_its_quartiles() -> None:
    p = measure(Series("add", dtype="float64"), 64, min_run_time=0.05)
    assert 0 < p.p25_s <= p.median_s <= p.p75_s
    assert p.bytes == ops.add_bytes(64, 8) and p.flops == ops.add_flops(64)
    assert p.runs >= 1 and p.number_per_run >= 1


def test_threads_are_restored_after_a_block() -> None:
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_full_labels_name_everything() -> None:
    assert Series("matmul", "cpu", "float32", 2).label == "torch · CPU · float32 · 2 threads"
    assert Series("matmul", "cuda", tf32=True).label == "torch · CUDA · float32 · TF32"


def test_legend_names_keep_only_what_tells_the_curves_apart() -> None:
    """'torch · CPU · float32 · 1 th…' was cut in the legend: the shared words go."""
    cpu, gpu, tf32 = (Series("matmul", "cpu", threads=16), Series("matmul", "cuda", threads=16),
                      Series("matmul", "cuda", threads=16, tf32=True))
    assert short_labels([cpu, gpu, tf32]) == {cpu: "CPU · 16 threads", gpu: "CUDA",
                                              tf32: "CUDA · TF32"}
    one, two = Series("add", threads=1), Series("add", threads=2)
    assert short_labels([one, two, one]) == {one: "1 thread", two: "2 threads"}
    dtypes = [Series("add", dtype=d) for d in ops.DTYPES]
    assert list(short_labels(dtypes).values()) == list(ops.DTYPES)
    assert short_labels([gpu, tf32]) == {gpu: "float32", tf32: "TF32"}
    assert short_labels([one]) == {one: one.label}  # a lone curve keeps its full name
