"""The benchmark page: a recorded run as the picture on load, a real small sweep that replaces
it, the naive timing, the roofline, recordings, and statements that hold for each dtype."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import torch

from ml101.bench import devices, ops, recordings
from ml101.bench.measuring import Point, Series, exclusive
from ml101.bench.roofline import ROOFLINE_POINTS
from tests.conftest import OpenPage, assert_clean, shown_text, widget_keys

TINY = {"bm_sizes": ["16", "32"], "bm_budget": "1"}
NO_GPU = not torch.cuda.is_available() and not torch.backends.mps.is_available()


def _chart_specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def _titles(at) -> list[str]:
    return [s.get("title", {}).get("text") for s in _chart_specs(at)]


def _point(op: str, device: str, dtype: str, n: int, t: float, threads: int = 2) -> Point:
    spec = ops.OPS[op]
    return Point(Series(op, device, dtype, threads), n, t, t, t, 5, 1, spec.flops(n),
                 spec.bytes(n, ops.itemsize(dtype)))


def test_the_page_opens_on_a_recorded_picture_and_measures_nothing(open_app: OpenPage) -> None:
    at = open_app("benchmark")
    assert_clean(at)
    text = shown_text(at)
    if NO_GPU:
        assert "This server has no GPU" in text
        assert "Recorded run: CPU AMD EPYC, recorded 2026-11-25** (the newest from a CPU-only " \
               "machine like this one)" in text
    assert "bm_result" not in at.session_state
    assert f"torch {torch.__version__}" in text
    assert f"{devices.usable_cores()} usable cores" in text
    assert "bm_picture" in widget_keys(at)
    assert _titles(at)[0] == "Time per call"  # the picture, before anything is measured


def test_the_plot_switch_draws_throughput(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_plot="Throughput", bm_op="add")
    assert_clean(at)
    assert _titles(at)[0] == "Throughput (GB/s)"
    assert "memory-bound" in shown_text(at)


def test_a_small_sweep_replaces_the_recording(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_cmp="dtypes", **TINY)
    at.button(key="bm_run").click().run()
    assert_clean(at)
    table = at.dataframe[0].value
    # Size 32 may fall to the 1 s budget on a slow first call; size 16 never does.
    assert set(table["size"]) <= {16, 32}
    assert set(table.loc[table["size"] == 16, "series"].str.split(" · ").str[2]) == \
        set(ops.DTYPES)
    assert (table["median (ms)"] > 0).all()
    gflop = {16: ops.matmul_flops(16) / 1e9, 32: ops.matmul_flops(32) / 1e9}
    assert list(table["GFLOP per call"]) == pytest.approx([gflop[s] for s in table["size"]])
    rate = table["GFLOP per call"] / (table["median (ms)"] / 1e3)
    assert list(table["GFLOP/s"]) == pytest.approx(list(rate))
    assert set(table["working set"]) <= {"fits in L1 (32 KiB)", "fits in L2 (1 MiB)",
                                         "fits in L2 (2 MiB)", "cache size unknown"} | {
        f"fits in {c.label}" for c in devices.cpu().caches}
    text = shown_text(at)
    assert "Recorded run:" not in text
    meta = re.search(r"Metadata: (.+?)\.\n", text)
    assert meta, text
    for part in (devices.cpu().name, f"torch {torch.__version__}", "threads 1",
                 "bfloat16, float16, float32, float64", "timed runs per point"):
        assert part in meta.group(1)
    done = re.search(r"Measured live\*\* on this machine: (\d+) points in [\d.]+ s "
                     r"\(budget 1 s\), (\d+) skipped", text)
    assert done and int(done.group(1)) == len(table) and int(done.group(2)) == 8 - len(table)
    carried = []
    for plot in ("time", "throughput"):
        at.segmented_control(key="bm_plot").set_value(plot).run()
        assert_clean(at)
        picture = _chart_specs(at)[0]
        text = json.dumps(picture, ensure_ascii=False)
        carried.append(all(part in text for part in meta.group(1).split(" · ")))
    assert carried == [True, True], "the time and throughput charts carry the metadata"


def test_threads_comparison_from_a_deep_link(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_op="add", bm_cmp="1 thread vs all", **TINY)
    assert at.select_slider(key="bm_sizes").value == (16, 32)
    assert at.segmented_control(key="bm_op").value == "add"
    assert at.segmented_control(key="bm_cmp").value == "threads"
    at.button(key="bm_run").click().run()
    assert_clean(at)
    table = at.dataframe[0].value
    cores = devices.usable_cores()
    assert {int(s.split(" · ")[3].split()[0]) for s in table["series"]} == {1, cores}
    assert "memory-bound" in shown_text(at)
    at.segmented_control(key="bm_op").set_value("matmul").run()  # another op: the recording
    assert "Recorded run:" in shown_text(at)
    at.segmented_control(key="bm_op").set_value("add").run()  # and back: the sweep, kept
    assert "Measured live" in shown_text(at)


def test_generated_code_prints_the_numbers_of_the_table(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_cmp="numpy", bm_seed="3", **TINY)
    at.button(key="bm_run").click().run()
    table = at.dataframe[0].value
    code = at.code[0].value
    assert "torch.manual_seed(3)" in code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<page code>", "exec"), {})
    printed = {}
    for line in out.getvalue().splitlines():
        m = re.match(r"(.+?) (\d+) (\d+) (\d+) ([\d.]+) ms IQR ([\d.]+) ms (\d+) ([\d.]+) GFLOP/s",
                     line)
        assert m, line
        printed[(m.group(1), int(m.group(2)))] = (int(m.group(3)), float(m.group(5)))
    assert set(printed) == {(s, int(n)) for s, n in zip(table["series"], table["size"],
                                                         strict=True)}
    for row in table.itertuples():
        flops, median_ms = printed[(row.series, row.size)]
        assert flops / 1e9 == pytest.approx(row[7])  # GFLOP per call, the same count
        assert median_ms > 0


def test_naive_vs_correct_shows_the_spread(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_tab="Naive vs correct", bm_n="250", bm_reps="5",
                  bm_fresh="false")
    at.button(key="bm_naive").click().run()
    assert_clean(at)
    result = at.session_state["bm_naive_result"]
    metrics = {m.label: m.value for m in at.metric}
    lo, hi = min(result.naive_s) * 1e3, max(result.naive_s) * 1e3
    assert metrics["lesson's samples: range"] == f"{lo:.2f} to {hi:.2f} ms"
    assert metrics["Timer median"] == f"{result.timer.median_s * 1e3:.2f} ms"
    assert "Cold vs warm" in _titles(at)
    assert "250 x 250 matmul: one sample vs a measurement" in _titles(at)


def test_blocked_autorange_is_described_as_it_works(open_app: OpenPage) -> None:
    text = shown_text(open_app("benchmark"))
    assert "1, 10, 100" in text
    assert "runs the statement once to warm up" not in text


def test_roofline_has_both_ceilings(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_tab="Roofline", bm_budget="1")
    at.button(key="bm_roof").click().run()
    assert_clean(at)
    text = shown_text(at)
    assert "Bandwidth roof:" in text and "GB/s, measured: copy of a 64 MiB tensor" in text
    table = next(df.value for df in at.dataframe if "FLOP per byte" in df.value)
    assert len(table) == len(ROOFLINE_POINTS)
    assert ROOFLINE_POINTS[0] == ("add", 256) and ROOFLINE_POINTS[-1] == ("matmul", 1024)
    assert table["FLOP per byte"].iloc[0] == pytest.approx(1 / 12)  # 1 FLOP per 3 floats
    assert table["FLOP per byte"].iloc[-1] == pytest.approx(1024 / 6)  # n/6 for float32
    assert "Hollow points fit in a cache" in text


def test_the_roofline_tab_opens_on_a_recorded_roofline(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_tab="Roofline")
    assert_clean(at)
    assert "Roofline" in _titles(at)
    text = shown_text(at)
    assert "Recorded run:" in text and "Bandwidth roof:" in text
    assert "bm_roof_result" not in at.session_state


def test_the_intensity_statement_follows_the_dtype(open_app: OpenPage) -> None:
    """'1 FLOP per 12 bytes' holds for a float32 add only."""
    text = shown_text(open_app("benchmark", bm_tab="Roofline", bm_dtype="float64"))
    assert "an elementwise add in float64: 1 FLOP per 24 bytes" in text
    assert "a 1024 x 1024 matmul in float64: 85 FLOP per byte" in text
    assert "1 FLOP per 12 bytes" not in text
    assert "1 FLOP per 6 bytes" in shown_text(open_app("benchmark", bm_tab="Roofline",
                                                       bm_dtype="bfloat16"))


def test_a_busy_server_refuses_a_second_sweep_politely(open_app: OpenPage) -> None:
    at = open_app("benchmark", **TINY)
    with exclusive():
        at.button(key="bm_run").click().run()
    assert_clean(at)
    assert "Another learner's measurement is running" in shown_text(at)
    assert "bm_result" not in at.session_state


def test_recorded_gpu_run_is_labelled_and_shows_the_crossover(
        open_app: OpenPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test data only (never shipped): a CSV shaped like a GPU recording."""
    cpu = [_point("matmul", "cpu", "float32", n, t) for n, t in ((64, 1e-5), (256, 4e-4),
                                                                 (1024, 2e-2))]
    gpu = [_point("matmul", "cuda", "float32", n, t) for n, t in ((64, 2e-5), (256, 3e-5),
                                                                  (1024, 1e-4))]
    meta = {**recordings.metadata(), "device_name": "Tesla T4",
            "recorded_at": "2024-05-06T07:08:09Z"}
    recordings.write_csv(cpu + gpu, tmp_path / "t4.csv", meta)
    monkeypatch.setattr(recordings, "RECORDED_DIR", tmp_path)
    at = open_app("benchmark", bm_tab="Recorded runs")
    assert_clean(at)
    text = shown_text(at)
    assert at.selectbox(key="bm_rec").value == "CUDA Tesla T4, recorded 2024-05-06"
    assert "The GPU wins from size 256 on" in text
    assert "NVIDIA T4 Tensor Core GPU datasheet" in text
    assert "No GPU recording yet" not in text
    if NO_GPU:  # the Sweep picture says it is not from a machine like this one
        assert "Recorded run: CUDA Tesla T4, recorded 2024-05-06** (there is none from a " \
               "CPU-only machine like this one yet)" in text


def test_the_committed_h200_recording_opens_at_float32(open_app: OpenPage) -> None:
    """The real GPU run in data/bench: device, date and torch build stay on every view."""
    label = "CUDA NVIDIA H200, recorded 2026-11-26"
    at = open_app("benchmark", bm_tab="Recorded runs", bm_rec=label)
    assert_clean(at)
    assert at.selectbox(key="bm_rec_dtype").value == "float32"
    text = shown_text(at)
    assert "torch 2.11.0+cu130" in text and "NVIDIA H200 Tensor Core GPU datasheet" in text
    assert re.search(r"The GPU wins from size \d+ on", text)
    series = {s for df in at.dataframe if "series" in df.value for s in df.value["series"]}
    assert {"torch · CUDA · float32", "torch · CUDA · float32 · TF32"} <= series


def test_the_h200s_cache_resident_add_is_marked(open_app: OpenPage) -> None:
    """float64 add at n=1024 (24 MiB) ran at the HBM's 4,800 GB/s only because it fits in
    the 50 MiB L2: the page says so instead of calling it the memory figure."""
    at = open_app("benchmark", bm_tab="Recorded runs",
                  bm_rec="CUDA NVIDIA H200, recorded 2026-11-26",
                  bm_rec_op="elementwise add", bm_rec_dtype="float64")
    assert_clean(at)
    text = shown_text(at)
    assert "CUDA L2 (50 MiB) (published for the NVIDIA H200)" in text
    assert "Hollow points" in text and "measure the cache, not memory" in text
    table = [df.value for df in at.dataframe if "working set" in df.value][-1]
    row = table[(table["series"] == "torch · CUDA · float64") & (table["size"] == 1024)]
    assert list(row["working set"]) == ["fits in L2 (50 MiB)"]
    row = table[(table["series"] == "torch · CUDA · float64") & (table["size"] == 8192)]
    assert list(row["working set"]) == ["exceeds L2 (50 MiB)"]


def test_each_dtype_gets_the_statement_that_holds_for_it(
        open_app: OpenPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """float64 twice as slow is expected (twice the bytes); float16 twenty times slower is a
    slow path (it halves the bytes). The old page said float64 'halves the bytes'."""
    times = {"float32": 1.0, "float64": 2.0, "float16": 20.0, "bfloat16": 0.5}
    pts = [_point("matmul", "cpu", d, n, t * n / 1e3) for d, t in times.items()
           for n in (256, 512)]
    recordings.write_csv(pts, tmp_path / "cpu.csv", recordings.metadata())
    monkeypatch.setattr(recordings, "RECORDED_DIR", tmp_path)
    at = open_app("benchmark", bm_cmp="dtypes")
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    infos = [i.value for i in at.info]
    assert any("float16 is slow on this device" in w and "halves the bytes" in w
               for w in warnings)
    assert not any("float64" in w for w in warnings)
    assert any("float64 took 2.0× float32's time" in i and "as expected" in i for i in infos)
    assert not any("bfloat16" in m for m in warnings + infos)


def test_presenter_mode_grows_the_picture(open_app: OpenPage) -> None:
    normal = _chart_specs(open_app("benchmark"))[0]
    big = _chart_specs(open_app("benchmark", present="1"))[0]
    assert big["height"] > normal["height"]
    assert big["config"]["axis"]["labelFontSize"] > normal["config"]["axis"]["labelFontSize"]
