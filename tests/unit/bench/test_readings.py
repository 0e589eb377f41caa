"""What the numbers say: crossover, dtype notes that are right for each dtype, cache marks,
the share of the peak."""

from __future__ import annotations

import pytest

from ml101.bench import ops, readings
from ml101.bench.devices import Cache, DeviceInfo, Machine
from ml101.bench.measuring import Point, Series

CPU = DeviceInfo("cpu", "test CPU", cores=4, clock_ghz=3.0, simd="AVX2",
                 caches=(Cache(1, 32 * 2**10), Cache(2, 2**20), Cache(3, 32 * 2**20)))
GPU = DeviceInfo("cuda", "NVIDIA H200", caches=(Cache(2, 50 * 2**20),))
MACHINE = Machine(CPU, GPU)


def _pt(dtype: str, size: int, median: float, op: str = "matmul", device: str = "cpu",
        threads: int = 1) -> Point:
    spec = ops.OPS[op]
    return Point(Series(op, device, dtype, threads), size, median, median, median, 5, 1,
                 spec.flops(size), spec.bytes(size, ops.itemsize(dtype)))


def test_crossover_is_where_the_gpu_wins_for_good() -> None:
    sizes = [16, 64, 256, 1024]
    assert readings.crossover(sizes, [1, 2, 3, 4], [2, 1.5, 1, 1]) == 64
    assert readings.crossover(sizes, [1, 2, 3, 4], [0.5, 3, 1, 1]) == 256  # a blip is luck
    assert readings.crossover(sizes, [1, 2, 3, 4], [2, 3, 4, 5]) is None


def test_the_marked_crossover_is_full_float32_against_the_most_cpu_threads() -> None:
    def series(s: Series, times: list[float]) -> list[Point]:
        return [Point(s, n, t, t, t, 5, 1, 0, 0) for n, t in zip((16, 64, 256), times,
                                                                  strict=True)]
    pts = (series(Series("matmul", "cpu", threads=1), [1, 4, 64])
           + series(Series("matmul", "cpu", threads=8), [1, 2, 8])
           + series(Series("matmul", "cuda", tf32=True), [2, 1, 1])
           + series(Series("matmul", "cuda"), [2, 3, 4]))
    assert readings.gpu_crossover(pts) == 256  # not 64 (TF32) and not vs the 1-thread CPU
    assert readings.gpu_crossover(pts[:6]) is None


def test_a_slow_half_type_is_a_slow_path_and_says_it_halves_the_bytes() -> None:
    pts = [_pt("float32", 64, 1.0), _pt("float32", 128, 1.0), _pt("float16", 64, 1.0),
           _pt("float16", 128, 20.0), _pt("bfloat16", 128, 1.5)]
    notes = readings.dtype_notes(pts, MACHINE)
    assert [(n.dtype, n.ratio, n.size, n.slow_path) for n in notes] == [
        ("float16", 20.0, 128, True)]  # judged at the largest size both ran
    assert "halves the bytes" in notes[0].text and "this CPU (AVX2)" in notes[0].text


def test_float64_being_twice_as_slow_is_expected_not_a_slow_path() -> None:
    """The old warning said float64 'halves the bytes, so it should be faster': it doubles
    them, and a vector register holds half as many."""
    notes = readings.dtype_notes([_pt("float32", 1024, 1.0), _pt("float64", 1024, 1.9)],
                                 MACHINE)
    assert len(notes) == 1 and not notes[0].slow_path
    text = notes[0].text
    assert "as expected" in text and "8 bytes instead of 4" in text
    assert "halves" not in text and "should be" not in text and "slow path" not in text


def test_float64_beyond_twice_is_traced_to_a_cache_boundary() -> None:
    """At n=256 an add's float32 working set (768 KiB) fits in a 1 MiB L2; float64's
    (1.5 MiB) does not: that, not a slow kernel, is the rest of the gap."""
    pts = [_pt("float32", 256, 1.0, "add"), _pt("float64", 256, 4.3, "add")]
    (note,) = readings.dtype_notes(pts, MACHINE)
    assert not note.slow_path
    assert "fits in L2 (1 MiB)" in note.text and "0.75 MiB" in note.text
    assert "needs L3 (32 MiB)" in note.text


def test_small_differences_need_no_note() -> None:
    pts = [_pt("float32", 512, 1.0), _pt("float64", 512, 1.3), _pt("bfloat16", 512, 2.0)]
    assert readings.dtype_notes(pts, MACHINE) == []


def test_dtypes_are_compared_within_one_device() -> None:
    pts = [_pt("float32", 512, 1.0), _pt("float16", 512, 9.0, device="cuda")]
    assert readings.dtype_notes(pts, MACHINE) == []  # no float32 on the GPU to compare with


def test_cache_marks_follow_each_devices_own_caches() -> None:
    """The H200 recording's float64 add at n=1024 (24 MiB) reached 4,798 GB/s, its HBM's
    peak by coincidence: it fits in the 50 MiB L2. n=8192 (1.5 GiB) is the memory figure."""
    small, large = _pt("float64", 1024, 1.0, "add", "cuda"), _pt("float64", 8192, 1.0, "add",
                                                                  "cuda")
    assert readings.cache_of(small, MACHINE) == Cache(2, 50 * 2**20)
    assert readings.cache_of(large, MACHINE) is None
    assert readings.residence(small, MACHINE) == "fits in L2 (50 MiB)"
    assert readings.residence(large, MACHINE) == "exceeds L2 (50 MiB)"
    cpu = _pt("float32", 1024, 1.0, "add")  # 12 MiB: in the CPU's 32 MiB L3
    assert readings.residence(cpu, MACHINE) == "fits in L3 (32 MiB)"
    assert readings.residence(cpu, Machine(DeviceInfo("cpu", "?"))) == "cache size unknown"
    copy = Point(Series("h2d_pinned", "cuda"), 16, 1.0, 1.0, 1.0, 1, 1, 0, 1024)
    assert readings.cache_of(copy, MACHINE) is None and readings.residence(copy, MACHINE) == ""


def test_percent_of_peak_uses_the_points_own_threads() -> None:
    p1 = Point(Series("matmul", threads=1), 1024, 1.0, 1.0, 1.0, 1, 1, int(48e9), 1)
    p4 = Point(Series("matmul", threads=4), 1024, 1.0, 1.0, 1.0, 1, 1, int(48e9), 1)
    table = readings.table([p1, p4], Machine(CPU))
    assert list(table["% of peak"]) == pytest.approx([50.0, 12.5])  # 96 and 384 GFLOP/s peaks


def test_the_table_says_where_each_working_set_lives() -> None:
    table = readings.table([_pt("float32", 32, 1e-5, "add"), _pt("float32", 2048, 1e-2, "add")],
                           MACHINE)
    assert list(table["working set"]) == ["fits in L1 (32 KiB)", "exceeds L3 (32 MiB)"]
    assert list(table["working set (MiB)"]) == pytest.approx([3 * 32 * 32 * 4 / 2**20, 48.0])


def test_the_reference_peak_is_the_gpus_when_one_ran() -> None:
    pts = [_pt("float32", 64, 1.0, threads=4), _pt("float32", 64, 1.0, device="cuda")]
    assert readings.reference_peak(pts, MACHINE).gflops == 67_000
    assert readings.reference_peak(pts[:1], MACHINE).gflops == pytest.approx(384)


def test_the_meta_line_names_device_torch_threads_dtypes_and_runs() -> None:
    line = readings.meta_line([_pt("float32", 64, 1.0), _pt("float64", 64, 1.0, threads=2)],
                              "CPU test", "2.13.0")
    assert line == ("CPU test · torch 2.13.0 · threads 1, 2 · float32, float64 · 5 timed runs "
                    "per point, median with IQR")


def test_a_half_type_add_slower_inside_a_cache_is_the_conversion_not_a_slow_path() -> None:
    """At n=512 an add's tensors fit in L3: the bytes bfloat16 saves do not matter there,
    and torch's CPU kernels convert each bfloat16 to float32 and back (binary_op_as_fp32)."""
    pts = [_pt("float32", 512, 1.0, "add"), _pt("bfloat16", 512, 3.5, "add")]
    (note,) = readings.dtype_notes(pts, MACHINE)
    assert not note.slow_path and "fit in L3 (32 MiB)" in note.text
    assert "converting each one in and out" in note.text and "slow path" not in note.text
    big = [_pt("float32", 4096, 1.0, "add"), _pt("bfloat16", 4096, 3.5, "add")]
    (note,) = readings.dtype_notes(big, MACHINE)  # beyond every cache: a slow path after all
    assert note.slow_path
