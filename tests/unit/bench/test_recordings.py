"""Recordings: CSV round trip with the metadata, refusal of anything else, the machine a
recording ran on (caches included), and which recording the page shows first."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml101.bench import ops, readings, recordings
from ml101.bench.devices import Cache
from ml101.bench.measuring import Point, Series
from ml101.bench.recordings import BadCsv
from ml101.inputs import InputError

H200 = "CUDA NVIDIA H200, recorded 2026-11-26"


def _points() -> list[Point]:
    return [
        Point(Series("matmul", "cpu", "float32", 2), 1024, 0.0123456789, 0.012, 0.0131, 17, 1,
              ops.matmul_flops(1024), ops.matmul_bytes(1024, 4)),
        Point(Series("add", "cpu", "bfloat16", 1, "torch"), 64, 3.2e-6, 3.1e-6, 3.3e-6, 40,
              1000, ops.add_flops(64), ops.add_bytes(64, 2)),
        Point(Series("matmul", "cpu", "float64", 2, "numpy"), 16, 1e-5, 9e-6, 2e-5, 9, 100,
              ops.matmul_flops(16), ops.matmul_bytes(16, 8)),
        Point(Series("matmul", "cuda", "float32", 2, tf32=True), 4096, 0.001, 0.0009, 0.0011,
              30, 10, ops.matmul_flops(4096), ops.matmul_bytes(4096, 4)),
    ]


def test_csv_round_trip_keeps_every_point_and_the_metadata(tmp_path: Path) -> None:
    meta = recordings.metadata()
    path = recordings.write_csv(_points(), tmp_path / "run.csv", meta)
    df = recordings.load_csv(path)
    assert recordings.from_frame(df) == _points()
    row = df.iloc[0]
    for key in ("device_name", "cpu_model", "torch_version", "recorded_at", "cpu_simd",
                "cpu_caches"):
        assert str(row[key]) == str(meta[key])
    assert int(row.cpu_cores) == meta["cpu_cores"]
    assert list(df["gflops"]) == pytest.approx([p.gflops for p in _points()])


def test_a_recording_carries_this_cpus_caches(tmp_path: Path) -> None:
    from ml101.bench import devices

    recordings.write_csv(_points()[:2], tmp_path / "cpu.csv")
    (rec,), _ = recordings.recordings(tmp_path)
    assert rec.machine.cpu.caches == devices.cpu().caches
    assert recordings.parse_caches("L1:32768 L2:1048576") == (Cache(1, 32768),
                                                               Cache(2, 1048576))


def test_a_recording_is_labelled_with_device_and_date(tmp_path: Path) -> None:
    meta = {**recordings.metadata(), "device_name": "NVIDIA A100-SXM4-80GB",
            "recorded_at": "2025-01-31T10:00:00Z"}
    recordings.write_csv(_points(), tmp_path / "gpu.csv", meta)
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    recs, problems = recordings.recordings(tmp_path)
    assert len(recs) == 1 and recs[0].has_gpu and recs[0].kind == "cuda"
    assert recs[0].label == "CUDA NVIDIA A100-SXM4-80GB, recorded 2025-01-31"
    assert problems and "junk.csv: missing columns" in problems[0]


def _csv_text(**overrides: object) -> str:
    df = recordings.to_frame(_points()[:1], recordings.metadata())
    for col, value in overrides.items():
        df[col] = value
    return df.to_csv(index=False)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"op": "rm -rf"}, "unknown op"),
    ({"device": "tpu"}, "unknown device"),
    ({"median_s": "fast"}, "numeric"),
    ({"median_s": -1.0}, "positive"),
    ({"device_name": "<script>alert(1)</script>"}, "unexpected characters"),
    ({"cpu_caches": "L2=huge"}, "cpu_caches"),
])
def test_bad_csvs_are_refused_with_a_reason(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(BadCsv, match=message) as caught:
        recordings.load_csv(io.StringIO(_csv_text(**overrides)))
    assert isinstance(caught.value, InputError) and "Allowed:" in str(caught.value)


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_hostile_text_gives_a_frame_or_a_clear_error(text: str) -> None:
    try:
        df = recordings.load_csv(io.StringIO(text))
    except BadCsv as exc:
        assert str(exc)
    else:
        assert isinstance(df, pd.DataFrame)


def _committed(label: str) -> recordings.Recording:
    return next(r for r in recordings.recordings()[0] if r.label == label)


def test_an_older_recording_without_cache_columns_still_loads() -> None:
    """The committed H200 run predates the cache columns: its GPU takes the published L2,
    its CPU stays unknown rather than guessed."""
    machine = _committed(H200).machine
    assert machine.gpu is not None and machine.gpu.caches == (Cache(2, 50 * 2**20),)
    assert "published" in machine.gpu.cache_source
    assert machine.cpu.caches == () and machine.cpu.name == "Intel(R) Xeon(R) Processor"


def test_the_h200s_cache_resident_add_is_marked_and_its_memory_figure_is_not() -> None:
    rec = _committed(H200)
    points, _ = recordings.select(rec, "add", "float64")
    by = {p.size: p for p in points if p.series.device == "cuda"}
    assert by[1024].gbps == pytest.approx(4798, abs=1)  # the HBM's 4,800 GB/s, by chance
    assert readings.cache_of(by[1024], rec.machine) == Cache(2, 50 * 2**20)  # 24 MiB
    assert readings.cache_of(by[8192], rec.machine) is None
    assert by[8192].gbps == pytest.approx(4294, abs=1)


def test_the_page_shows_this_kinds_newest_recording_or_the_gpus(tmp_path: Path) -> None:
    old = {**recordings.metadata(), "recorded_at": "2025-01-01T00:00:00Z"}
    new = {**recordings.metadata(), "recorded_at": "2025-06-01T00:00:00Z"}
    recordings.write_csv(_points()[:2], tmp_path / "a.csv", old)
    recordings.write_csv(_points()[:2], tmp_path / "b.csv", new)
    recordings.write_csv(_points(), tmp_path / "c.csv", {**old, "device_name": "NVIDIA H200"})
    recs, _ = recordings.recordings(tmp_path)
    rec, own = recordings.pick(recs, "cpu")
    assert own and rec is not None and rec.path.name == "b.csv"
    rec, own = recordings.pick(recs, "mps")
    assert not own and rec is not None and rec.path.name == "c.csv"
    assert recordings.pick([], "cpu") == (None, False)


def test_a_recorded_comparison_falls_back_to_what_the_recording_has() -> None:
    rec = _committed(H200)
    points, complete = recordings.select(rec, "matmul", "float32", "gpu")
    assert complete and {(p.series.device, p.series.tf32) for p in points} == {
        ("cpu", False), ("cuda", False), ("cuda", True)}
    points, complete = recordings.select(rec, "add", "float32", "dtypes")
    assert complete and {p.series.dtype for p in points} == set(ops.DTYPES)
    assert {p.series.device for p in points} == {"cuda"}
    points, complete = recordings.select(rec, "matmul", "float32", "threads")
    assert not complete  # one CPU thread count only: every float32 series instead
    assert {p.series.dtype for p in points} == {"float32"} and len(points) == 30


def test_a_recording_draws_its_own_roofline() -> None:
    """Before this machine is measured, the Roofline tab places a recording's points: under
    the GPU's published bandwidth, or under a CPU recording's own largest add."""
    from ml101.bench.roofline import ROOFLINE_POINTS

    roof = recordings.roofline_of(_committed(H200), "float32")
    assert roof is not None and roof.bandwidth_gbps == 4800 and "published" in \
        roof.bandwidth_basis
    # every roofline size the recording has: its sweep started at 16, so no batch of 1
    assert [(p.series.op, p.size) for p in roof.points] == [
        k for k in ROOFLINE_POINTS if k != ("linear", 1)]
    assert {p.series.device for p in roof.points} == {"cuda"}
    cpu = recordings.roofline_of(_committed("CPU AMD EPYC, recorded 2026-11-25"), "float32")
    assert cpu is not None and "its largest add (n = 2048, 48 MiB per call)" in \
        cpu.bandwidth_basis
    assert cpu.bandwidth_gbps == pytest.approx(12.8, abs=0.1)
    assert recordings.roofline_of(_committed("CPU AMD EPYC, recorded 2026-11-25"),
                                  "float16") is None  # it recorded float32 only
