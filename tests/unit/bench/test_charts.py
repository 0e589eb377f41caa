"""Chart specs: metadata in every subtitle, readable legends, powers of two on size axes,
the house palette, hollow points where the working set fits in a cache."""

from __future__ import annotations

import json
import math

from ml101.bench import charts, readings, recordings
from ml101.bench.devices import Cache, DeviceInfo, Machine
from ml101.style import SERIES

H200 = "CUDA NVIDIA H200, recorded 2026-11-26"


def _h200() -> recordings.Recording:
    return next(r for r in recordings.recordings()[0] if r.label == H200)


def _layer(spec: dict, mark: str) -> dict:
    return next(layer for layer in spec["layer"]
                if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"])
                == mark)


def test_a_recorded_chart_carries_its_device_and_torch_build() -> None:
    rec = _h200()
    points, _ = recordings.select(rec, "matmul", "float32")
    meta = readings.meta_line(points, rec.label, rec.torch_version)
    for spec in (charts.time_chart(points, rec.machine, meta, "n"),
                 charts.throughput_chart(points, rec.machine, meta, "n", peak=67_000,
                                         peak_label="peak")):
        text = json.dumps(spec)
        assert "NVIDIA H200" in text and "2.11.0+cu130" in text
        assert spec["config"]["title"]["anchor"] == "start"  # clear of the chart toolbar
        assert spec["config"]["legend"]["labelLimit"] == 0  # legends never truncate


def test_legends_are_short_and_in_the_house_palette() -> None:
    rec = _h200()
    points, _ = recordings.select(rec, "matmul", "float32")
    spec = charts.time_chart(points, rec.machine, "m", "n")
    colour = _layer(spec, "line")["encoding"]["color"]
    assert colour["scale"]["domain"] == ["CPU · 16 threads", "CUDA", "CUDA · TF32"]
    assert colour["scale"]["range"] == list(SERIES[:3])
    tips = [t["field"] for t in _layer(spec, "point")["encoding"]["tooltip"]]
    assert "label" in tips  # the full name is one hover away


def test_size_axes_tick_at_powers_of_two_and_time_at_decades() -> None:
    rec = _h200()
    points, _ = recordings.select(rec, "add", "float32")
    spec = charts.time_chart(points, rec.machine, "m", "n")
    x = _layer(spec, "line")["encoding"]["x"]
    assert x["scale"] == {"type": "log", "base": 2}
    assert x["axis"]["values"] == [2**k for k in range(4, 14)]
    y = _layer(spec, "line")["encoding"]["y"]["axis"]["values"]
    assert all(v == 10.0**round(math.log10(v)) for v in y)


def test_points_that_fit_in_a_cache_are_hollow() -> None:
    rec = _h200()
    points, _ = recordings.select(rec, "add", "float64")
    spec = charts.throughput_chart(points, rec.machine, "m", "n", metric="gbps")
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    gpu = {r["size"]: r["where"] for r in rows if r["series"] == "CUDA"}
    assert gpu[1024] == charts.IN_CACHE and gpu[8192] == charts.IN_MEMORY
    cpu = {r["where"] for r in rows if r["series"] != "CUDA"}
    assert cpu == {charts.UNKNOWN}  # the recording gives no CPU cache sizes
    fill = _layer(spec, "point")["encoding"]["fillOpacity"]["scale"]
    assert dict(zip(fill["domain"], fill["range"], strict=True))[charts.IN_CACHE] == 0.0
    assert fill["type"] == "ordinal"


def test_the_roofline_marks_cache_resident_points() -> None:
    from ml101.bench.measuring import Point, Series
    from ml101.bench.roofline import RooflineResult

    cpu = DeviceInfo("cpu", "c", caches=(Cache(2, 2**20), Cache(3, 32 * 2**20)))
    pts = [Point(Series("add"), n, 1e-3, 1e-3, 1e-3, 5, 1, n * n, 12 * n * n)
           for n in (256, 2048)]
    spec = charts.roofline_chart(RooflineResult(pts, 20.0, "test"), Machine(cpu), 100.0, "m")
    rows = spec["datasets"][next(iter(spec["datasets"].keys() - {_roof(spec)}))]
    assert [r["where"] for r in rows] == [charts.IN_CACHE, charts.IN_MEMORY]


def _roof(spec: dict) -> str:
    """The dataset of the roof line (the one with 80 rows)."""
    return next(k for k, v in spec["datasets"].items() if len(v) == 80)


def test_a_projected_chart_has_larger_type_and_the_same_data() -> None:
    rec = _h200()
    points, _ = recordings.select(rec, "matmul", "float32")
    spec = charts.time_chart(points, rec.machine, "m", "n")
    big = charts.projected(spec)
    assert big["config"]["axis"]["labelFontSize"] > spec["config"]["axis"]["labelFontSize"]
    assert big["config"]["title"]["fontSize"] > spec["config"]["title"]["fontSize"]
    assert big["title"]["subtitleFontSize"] > spec["title"]["subtitleFontSize"]
    assert big["datasets"] is spec["datasets"] and big["layer"] is spec["layer"]
    assert spec["config"]["axis"]["labelFontSize"] == 12  # the original is untouched
