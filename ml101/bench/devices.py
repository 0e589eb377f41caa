"""What hardware this process can compute on: the CPU, and any CUDA or Apple MPS GPU.

A benchmark number means nothing without the machine it came from, so every
measurement and every recorded CSV carries a `DeviceInfo`, caches included: a point
whose working set fits in a cache measures the cache, not memory. Discovery never
fails: a field it cannot read is left empty rather than guessed.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psutil
import torch


@dataclass(frozen=True)
class Cache:
    """One level of a device's data cache (per core for a CPU's L1 and L2)."""

    level: int
    size_bytes: int

    @property
    def label(self) -> str:
        """'L2 (1 MiB)': how captions and tooltips name it."""
        size = self.size_bytes
        unit = next((u for u, b in (("MiB", 2**20), ("KiB", 2**10)) if size >= b), "B")
        value = size / {"MiB": 2**20, "KiB": 2**10, "B": 1}[unit]
        return f"L{self.level} ({value:g} {unit})"


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
    caches: tuple[Cache, ...] = ()  # data caches, smallest level first; () when unknown
    cache_source: str = ""  # where the sizes come from, in words

    @property
    def label(self) -> str:
        """Short name for legends and captions."""
        if self.kind == "cpu":
            return f"CPU {self.name} ({self.cores} cores)"
        return f"{self.kind.upper()} {self.name}"

    def cache_for(self, nbytes: int) -> Cache | None:
        """The smallest cache level that holds `nbytes`, or None when none does (or the
        sizes are unknown): then repeated calls stream from memory."""
        return next((c for c in self.caches if nbytes <= c.size_bytes), None)


@dataclass(frozen=True)
class Machine:
    """The CPU a set of points ran on, and the GPU if there was one: a live server, or
    the machine a recording was made on."""

    cpu: DeviceInfo
    gpu: DeviceInfo | None = None

    def device(self, kind: str) -> DeviceInfo:
        """The device a series ran on, by its kind ('cpu', 'cuda', 'mps'); a GPU the machine
        does not describe has no name and no known caches."""
        if kind == "cpu":
            return self.cpu
        return self.gpu if self.gpu is not None else DeviceInfo(kind, "")


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


_SYSFS_CACHE = Path("/sys/devices/system/cpu/cpu0/cache")
_SIZE = re.compile(r"^(\d+)\s*([KMG]?)$")
_SYSCTL_CACHES = ((1, "hw.l1dcachesize"), (2, "hw.l2cachesize"), (3, "hw.l3cachesize"))


def _sysfs_caches(root: Path = _SYSFS_CACHE) -> tuple[Cache, ...]:
    """Data and unified caches of cpu0, as Linux lists them ('32K', '1024K', '32768K')."""
    found: dict[int, int] = {}
    for index in sorted(root.glob("index*")) if root.is_dir() else []:
        try:
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text().strip())
            match = _SIZE.match((index / "size").read_text().strip())
        except (OSError, ValueError):
            continue
        if kind == "Instruction" or match is None:
            continue
        found[level] = int(match.group(1)) * {"": 1, "K": 2**10, "M": 2**20,
                                              "G": 2**30}[match.group(2)]
    return tuple(Cache(level, size) for level, size in sorted(found.items()) if size > 0)


def _sysctl_caches() -> tuple[Cache, ...]:
    """macOS reports its cache sizes through sysctl, in bytes."""
    found = []
    for level, name in _SYSCTL_CACHES:
        try:
            out = subprocess.run(  # noqa: S603 (a fixed path and the names above)
                ["/usr/sbin/sysctl", "-n", name], capture_output=True, text=True, timeout=2,
                check=False).stdout.strip()
        except OSError:
            return ()
        if out.isdigit() and int(out) > 0:
            found.append(Cache(level, int(out)))
    return tuple(found)


def cpu_caches() -> tuple[tuple[Cache, ...], str]:
    """This CPU's data caches and where their sizes were read: Linux's sysfs, else macOS's
    sysctl, else none (points are then left unmarked rather than judged on a guess)."""
    found = _sysfs_caches()
    if found:
        return found, f"read from {_SYSFS_CACHE}"
    if platform.system() == "Darwin":
        found = _sysctl_caches()
        if found:
            return found, "read from sysctl"
    return (), "this system does not report its cache sizes"


@cache
def cpu() -> DeviceInfo:
    """The CPU: model, usable cores, clock, caches and the SIMD level torch's kernels use."""
    caches, source = cpu_caches()
    return DeviceInfo(
        kind="cpu",
        name=_cpu_model(),
        cores=usable_cores(),
        physical_cores=psutil.cpu_count(logical=False) or usable_cores(),
        clock_ghz=_clock_ghz(),
        simd=torch.backends.cpu.get_cpu_capability(),
        memory_gb=round(psutil.virtual_memory().total / 2**30, 1),
        caches=caches,
        cache_source=source,
    )


def cuda() -> DeviceInfo | None:
    """The first CUDA GPU, or None when there is none."""
    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    l2 = int(getattr(props, "L2_cache_size", 0) or 0)
    return DeviceInfo(
        kind="cuda",
        name=props.name,
        capability=f"{props.major}.{props.minor}",
        memory_gb=round(props.total_memory / 2**30, 1),
        caches=(Cache(2, l2),) if l2 > 0 else (),
        cache_source="from torch.cuda.get_device_properties" if l2 > 0 else "",
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


def this_machine() -> Machine:
    """The server this process runs on."""
    return Machine(cpu(), gpu())


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
