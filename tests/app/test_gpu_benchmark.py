"""The benchmark page: fast default view, a real small sweep, the naive timing, recordings."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import torch

from ml101.bench import sweep as bench
from tests.conftest import OpenPage, assert_clean, shown_text

TINY = {"bm_sizes": ["16", "32"], "bm_budget": "1"}


def _chart_specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_default_view_measures_nothing_and_says_there_is_no_gpu(open_app: OpenPage) -> None:
    at = open_app("benchmark")
    assert_clean(at)
    text = shown_text(at)
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert "This server has no GPU" in text
    assert "Nothing measured yet" in text
    assert "bm_result" not in at.session_state
    assert f"torch {torch.__version__}" in text
    assert at.metric[1].value == str(bench.devices.usable_cores())


def test_a_small_sweep_shows_its_table_and_metadata(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_cmp="dtypes", **TINY)
    at.button(key="bm_run").click().run()
    assert_clean(at)
    table = at.dataframe[0].value
    # Size 32 may fall to the 1 s budget on a slow first call; size 16 never does.
    assert set(table["size"]) <= {16, 32}
    assert set(table.loc[table["size"] == 16, "series"].str.split(" · ").str[2]) == \
        set(bench.DTYPES)
    assert (table["median (ms)"] > 0).all()
    gflop = {16: bench.matmul_flops(16) / 1e9, 32: bench.matmul_flops(32) / 1e9}
    assert list(table["GFLOP per call"]) == pytest.approx([gflop[s] for s in table["size"]])
    rate = table["GFLOP per call"] / (table["median (ms)"] / 1e3)
    assert list(table["GFLOP/s"]) == pytest.approx(list(rate))
    text = shown_text(at)
    meta = re.search(r"Metadata: (.+?)\.\n", text)
    assert meta, text
    for part in (bench.devices.cpu().name, f"torch {torch.__version__}", "threads 1",
                 "bfloat16, float16, float32, float64", "timed runs per point"):
        assert part in meta.group(1)
    done = re.search(r"Sweep done: (\d+) points in [\d.]+ s \(budget 1 s\), (\d+) skipped", text)
    assert done and int(done.group(1)) == len(table) and int(done.group(2)) == 8 - len(table)
    specs = _chart_specs(at)
    lines = meta.group(1).split(" · ")
    carried = [all(part in json.dumps(s, ensure_ascii=False) for part in lines) for s in specs]
    assert carried.count(True) >= 2, "the time and throughput charts carry the metadata"


def test_threads_comparison_from_a_deep_link(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_op="add", bm_cmp="1 thread vs all", **TINY)
    assert at.select_slider(key="bm_sizes").value == (16, 32)
    assert at.segmented_control(key="bm_op").value == "add"
    assert at.segmented_control(key="bm_cmp").value == "threads"
    at.button(key="bm_run").click().run()
    assert_clean(at)
    table = at.dataframe[0].value
    cores = bench.devices.usable_cores()
    assert {int(s.split(" · ")[3].split()[0]) for s in table["series"]} == {1, cores}
    assert "memory-bound" in shown_text(at)


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
    at = open_app("benchmark", bm_n="250", bm_reps="5", bm_fresh="false")
    at.button(key="bm_naive").click().run()
    assert_clean(at)
    result = at.session_state["bm_naive_result"]
    metrics = {m.label: m.value for m in at.metric}
    lo, hi = min(result.naive_s) * 1e3, max(result.naive_s) * 1e3
    assert metrics["lesson's samples: range"] == f"{lo:.2f} to {hi:.2f} ms"
    assert metrics["Timer median"] == f"{result.timer.median_s * 1e3:.2f} ms"
    titles = [s.get("title", {}).get("text") for s in _chart_specs(at)]
    assert "Cold vs warm" in titles
    assert "250 x 250 matmul: one sample vs a measurement" in titles


def test_roofline_has_both_ceilings(open_app: OpenPage) -> None:
    at = open_app("benchmark", bm_budget="1")
    at.button(key="bm_roof").click().run()
    assert_clean(at)
    text = shown_text(at)
    assert "Bandwidth roof:" in text and "GB/s, measured: copy of a 64 MiB tensor" in text
    table = at.dataframe[0].value
    assert len(table) == len(bench.ROOFLINE_POINTS)
    assert bench.ROOFLINE_POINTS[0] == ("add", 256) and bench.ROOFLINE_POINTS[-1] == (
        "matmul", 1024)
    assert table["FLOP per byte"].iloc[0] == pytest.approx(1 / 12)  # 1 FLOP per 3 floats
    assert table["FLOP per byte"].iloc[-1] == pytest.approx(1024 / 6)  # n/6 for float32


def test_a_busy_server_refuses_a_second_sweep_politely(open_app: OpenPage) -> None:
    at = open_app("benchmark", **TINY)
    with bench.exclusive():
        at.button(key="bm_run").click().run()
    assert_clean(at)
    assert "Another learner's measurement is running" in shown_text(at)
    assert "bm_result" not in at.session_state


def test_recorded_gpu_run_is_labelled_and_shows_the_crossover(
        open_app: OpenPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test data only (never shipped): a CSV shaped like a GPU recording."""
    cpu = [bench.Point(bench.Series("matmul", "cpu", "float32", 2), n, t, t, t, 5, 1,
                       bench.matmul_flops(n), bench.matmul_bytes(n, 4))
           for n, t in ((64, 1e-5), (256, 4e-4), (1024, 2e-2))]
    gpu = [bench.Point(bench.Series("matmul", "cuda", "float32", 2), n, t, t, t, 5, 1,
                       bench.matmul_flops(n), bench.matmul_bytes(n, 4))
           for n, t in ((64, 2e-5), (256, 3e-5), (1024, 1e-4))]
    meta = {**bench.metadata(), "device_name": "Tesla T4", "recorded_at": "2024-05-06T07:08:09Z"}
    bench.write_csv(cpu + gpu, tmp_path / "t4.csv", meta)
    monkeypatch.setattr(bench, "RECORDED_DIR", tmp_path)
    at = open_app("benchmark", bm_tab="Recorded runs")
    assert_clean(at)
    text = shown_text(at)
    assert at.selectbox(key="bm_rec").value == "CUDA Tesla T4, recorded 2024-05-06"
    assert "The GPU wins from size 256 on" in text
    assert "NVIDIA T4 Tensor Core GPU datasheet" in text
    assert "No GPU recording yet" not in text


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
