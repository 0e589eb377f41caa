"""What hardware this process can compute on: the CPU, and any CUDA or Apple MPS GPU.

A benchmark number means nothing without the machine it came from, so every
measurement and every recorded CSV carries a `DeviceInfo`. Discovery never
fails: a field it cannot read is left empty rather than guessed.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import psutil
import torch


@dataclass(frozen=True)
class DeviceInfo:
    """One device as a benchmark reports it."""

    kind: str  # "cpu", "cuda" or "mps"
    name: str  # CPU model or GPU name
    cores: int = 0  # CPU cores this process may use (0 for GPUs)
    physical_cores: int = 0
    clock_ghz: float = 0.0  # clock the OS reports (0 when unknown)
    simd: str = ""  # torch's CPU kernel capability: AVX2, AVX512, NEON, ...
    capability: str = ""  # CUDA compute capability, e.g. "8.0"
    memory_gb: float = 0.0  # GPU memory, or host memory for the CPU

    @property
    def torch_device(self) -> torch.device:
        return torch.device("cuda:0" if self.kind == "cuda" else self.kind)

    @property
    def label(self) -> str:
        """Short name for legends and captions."""
        if self.kind == "cpu":
            return f"CPU {self.name} ({self.cores} cores)"
        return f"{self.kind.upper()} {self.name}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def usable_cores() -> int:
    """Cores this process may run on (a container often gets fewer than the host has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if match:
            return match.group(1).strip()
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["/usr/sbin/sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True, text=True, timeout=2, check=False,
            )
            if out.stdout.strip():
                return out.stdout.strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _clock_ghz() -> float:
    freq = psutil.cpu_freq()
    if freq is None:
        return 0.0
    mhz = freq.max if freq.max else freq.current
    return round(mhz / 1000, 3) if mhz else 0.0


@cache
def cpu() -> DeviceInfo:
    """The CPU: model, usable cores, clock and the SIMD level torch's kernels use."""
    return DeviceInfo(
        kind="cpu",
        name=_cpu_model(),
        cores=usable_cores(),
        physical_cores=psutil.cpu_count(logical=False) or usable_cores(),
        clock_ghz=_clock_ghz(),
        simd=torch.backends.cpu.get_cpu_capability(),
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
    )


def cuda() -> DeviceInfo | None:
    """The first CUDA GPU, or None when there is none."""
    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return DeviceInfo(
        kind="cuda",
        name=props.name,
        capability=f"{props.major}.{props.minor}",
        memory_gb=round(props.total_memory / 2**30, 1),
    )


def mps() -> DeviceInfo | None:
    """Apple's Metal GPU, or None. Its name is the chip's, e.g. 'Apple M1 Pro'."""
    if not torch.backends.mps.is_available():
        return None
    return DeviceInfo(kind="mps", name=_cpu_model(),
                      memory_gb=round(psutil.virtual_memory().total / 2**30, 1))


def available() -> list[DeviceInfo]:
    """Every device a benchmark can run on here, the CPU first."""
    return [d for d in (cpu(), cuda(), mps()) if d is not None]


def gpu() -> DeviceInfo | None:
    """The GPU to compare the CPU with, if any."""
    return cuda() or mps()


def _cgroup_headroom() -> int | None:
    """Bytes left under a container's memory limit (cgroup v2), if one is set.

    psutil reads /proc/meminfo, which inside a container shows the whole host;
    Community Cloud's limit lives here instead.
    """
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
    except OSError:
        return None
    if not limit.isdigit() or not used.isdigit():
        return None
    return max(0, int(limit) - int(used))


def free_bytes(device: DeviceInfo) -> int:
    """Memory free right now on the device: the cap every sweep checks before allocating."""
    if device.kind == "cuda":
        free, _total = torch.cuda.mem_get_info(0)
        return int(free)
    free = int(psutil.virtual_memory().available)
    headroom = _cgroup_headroom()
    return free if headroom is None else min(free, headroom)
