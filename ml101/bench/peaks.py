"""Peak throughput to measure against: what the hardware could do at best.

"My matmul runs at 60 GFLOP/s" only means something next to the ceiling. For a
CPU the ceiling is computed from cores x clock x SIMD lanes x FMA (with the
assumptions spelled out); for GPUs it is the vendor's published figure, with
the document it came from. Dense (no sparsity) figures throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ml101.bench.devices import DeviceInfo

# float32 lanes in one SIMD register, by torch's CPU kernel capability.
_FP32_LANES = {"AVX512": 16, "AVX2": 8, "SVE256": 8, "NEON": 4, "VSX": 4, "ZVECTOR": 4,
               "DEFAULT": 4}
FMA_UNITS = 2  # FMA pipes per core: 2 on most x86 server and desktop cores since Haswell


@dataclass(frozen=True)
class Peak:
    """A ceiling and where it comes from (shown next to every peak line)."""

    gflops: float  # compute ceiling for the dtype, GFLOP/s; 0 when unknown
    gbps: float  # memory bandwidth ceiling, GB/s; 0 when unknown
    basis: str  # how the figure was obtained, in words


def cpu_peak(device: DeviceInfo, threads: int, dtype: str = "float32") -> Peak:
    """Theoretical CPU peak for `threads` cores: cores x clock x lanes x 2 (FMA) x FMA units.

    Float64 has half the lanes. Half-precision types get no figure: most CPUs
    convert them to float32 and their real ceiling depends on extensions (AMX,
    AVX512-FP16) the formula does not model.
    """
    lanes = _FP32_LANES.get(device.simd.upper(), 4)
    if dtype == "float64":
        lanes //= 2
    elif dtype != "float32":
        return Peak(0.0, 0.0, f"no published or derivable {dtype} peak for this CPU")
    if device.clock_ghz <= 0:
        return Peak(0.0, 0.0, "the OS reports no clock, so no theoretical peak")
    cores = max(1, min(threads, device.cores))
    per_cycle = lanes * 2 * FMA_UNITS
    gflops = cores * device.clock_ghz * per_cycle
    basis = (f"theoretical: {cores} core{'s' * (cores > 1)} x {device.clock_ghz:.2f} GHz "
             f"(clock the OS reports; turbo may be higher) x {lanes} {dtype} lanes "
             f"({device.simd}) x 2 (FMA) x {FMA_UNITS} FMA units (assumed)")
    return Peak(round(gflops, 1), 0.0, basis)


@dataclass(frozen=True)
class GpuSpec:
    """Published dense peaks of one GPU model."""

    name: str
    pattern: str  # regex matched against the device name
    tflops: dict[str, float]  # dtype key -> dense TFLOP/s
    bandwidth_gbps: float
    source: str
    l2_mib: float = 0.0  # L2 cache as the driver reports it (NVIDIA's "50 MB" is 50 MiB)


# Keys: fp64, fp32, tf32, fp16, bf16 (matmul figures; tensor cores where the card has them).
# L2: the Hopper (GH100) and Ampere (GA100) architecture whitepapers and Turing's TU104;
# Apple publishes no GPU cache size, so its chips have none here.
GPU_SPECS: tuple[GpuSpec, ...] = (
    GpuSpec("NVIDIA H200", r"H200",
            {"fp64": 67, "fp32": 67, "tf32": 494.5, "fp16": 989.5, "bf16": 989.5}, 4800,
            "NVIDIA H200 Tensor Core GPU datasheet (SXM; sparsity figures halved)", 50),
    GpuSpec("NVIDIA H100 PCIe", r"H100.*PCIe",
            {"fp64": 51, "fp32": 51, "tf32": 378, "fp16": 756, "bf16": 756}, 2000,
            "NVIDIA H100 Tensor Core GPU datasheet (PCIe; sparsity figures halved)", 50),
    GpuSpec("NVIDIA H100 SXM", r"H100",
            {"fp64": 67, "fp32": 67, "tf32": 494.5, "fp16": 989.5, "bf16": 989.5}, 3350,
            "NVIDIA H100 Tensor Core GPU datasheet (SXM; sparsity figures halved)", 50),
    GpuSpec("NVIDIA A100 80GB SXM", r"A100.*SXM.*80",
            {"fp64": 19.5, "fp32": 19.5, "tf32": 156, "fp16": 312, "bf16": 312}, 2039,
            "NVIDIA A100 Tensor Core GPU datasheet (80GB SXM; dense)", 40),
    GpuSpec("NVIDIA A100 80GB PCIe", r"A100.*80",
            {"fp64": 19.5, "fp32": 19.5, "tf32": 156, "fp16": 312, "bf16": 312}, 1935,
            "NVIDIA A100 Tensor Core GPU datasheet (80GB PCIe; dense)", 40),
    GpuSpec("NVIDIA A100 40GB", r"A100",
            {"fp64": 19.5, "fp32": 19.5, "tf32": 156, "fp16": 312, "bf16": 312}, 1555,
            "NVIDIA A100 Tensor Core GPU datasheet (40GB; dense)", 40),
    GpuSpec("NVIDIA T4", r"\bT4\b",
            {"fp32": 8.1, "fp16": 65}, 320,
            "NVIDIA T4 Tensor Core GPU datasheet (FP16 is mixed precision on tensor cores)", 4),
    GpuSpec("Apple M1 Ultra", r"M1 Ultra", {"fp32": 21}, 800,
            "Apple newsroom, M1 Ultra announcement (March 2022)"),
    GpuSpec("Apple M1 Max", r"M1 Max", {"fp32": 10.4}, 400,
            "Apple newsroom, M1 Pro and M1 Max announcement (October 2021)"),
    GpuSpec("Apple M1 Pro", r"M1 Pro", {"fp32": 5.2}, 200,
            "Apple newsroom, M1 Pro and M1 Max announcement (October 2021)"),
    GpuSpec("Apple M1", r"M1\b", {"fp32": 2.6}, 68.25,
            "Apple newsroom, M1 announcement (November 2020)"),
    GpuSpec("Apple M2", r"M2$", {"fp32": 3.6}, 100,
            "Apple newsroom, M2 announcement (June 2022)"),
)

_DTYPE_KEY = {"float64": "fp64", "float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


def gpu_spec(name: str) -> GpuSpec | None:
    """The published spec for a GPU name as CUDA or macOS reports it, if we know the card."""
    return next((s for s in GPU_SPECS if re.search(s.pattern, name.strip())), None)


def gpu_peak(name: str, dtype: str = "float32", tf32: bool = False) -> Peak:
    """Published peak for a GPU and dtype; float32 with TF32 on uses the TF32 figure."""
    spec = gpu_spec(name)
    if spec is None:
        return Peak(0.0, 0.0, f"no published figures on file for {name!r}")
    key = "tf32" if dtype == "float32" and tf32 and "tf32" in spec.tflops else _DTYPE_KEY[dtype]
    tflops = spec.tflops.get(key, 0.0)
    what = f"{key.upper()} {tflops:g} TFLOP/s" if tflops else f"no {key.upper()} figure"
    return Peak(tflops * 1000, spec.bandwidth_gbps,
                f"published: {spec.name}, {what}, {spec.bandwidth_gbps:g} GB/s ({spec.source})")
