"""Ceilings: the CPU's theoretical peak, GPUs' published figures and L2 sizes."""

from __future__ import annotations

import pytest

from ml101.bench import devices, peaks


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


def test_published_l2_sizes_where_the_vendor_gives_one() -> None:
    assert peaks.gpu_spec("NVIDIA H200").l2_mib == 50  # the driver reports 52,428,800 bytes
    assert peaks.gpu_spec("NVIDIA A100-SXM4-40GB").l2_mib == 40
    assert peaks.gpu_spec("Apple M1 Pro").l2_mib == 0  # Apple publishes none: none is made up
