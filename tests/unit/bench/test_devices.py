"""Device facts: this machine's CPU, its caches (from sysfs), and the machine of a run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ml101.bench import devices
from ml101.bench.devices import Cache, DeviceInfo, Machine


def test_cpu_discovery_reads_this_machine() -> None:
    cpu = devices.cpu()
    assert cpu.kind == "cpu" and cpu.name and cpu.cores >= 1
    assert cpu.simd == torch.backends.cpu.get_cpu_capability()
    assert devices.available()[0] == cpu
    assert devices.free_bytes(cpu) > 0
    assert devices.this_machine().cpu == cpu


@pytest.mark.skipif(not Path("/sys/devices/system/cpu/cpu0/cache").is_dir(),
                    reason="no sysfs cache listing here")
def test_this_cpus_caches_come_from_sysfs() -> None:
    cpu = devices.cpu()
    assert cpu.caches and "sys/devices" in cpu.cache_source
    levels = [c.level for c in cpu.caches]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    sizes = [c.size_bytes for c in cpu.caches]
    assert sizes == sorted(sizes)


def _index(root: Path, i: int, level: int, kind: str, size: str) -> None:
    d = root / f"index{i}"
    d.mkdir(parents=True)
    (d / "level").write_text(f"{level}\n")
    (d / "type").write_text(f"{kind}\n")
    (d / "size").write_text(f"{size}\n")


def test_sysfs_listing_keeps_data_caches_one_per_level(tmp_path: Path) -> None:
    _index(tmp_path, 0, 1, "Data", "48K")
    _index(tmp_path, 1, 1, "Instruction", "32K")
    _index(tmp_path, 2, 2, "Unified", "2048K")
    _index(tmp_path, 3, 3, "Unified", "105M")
    found = devices._sysfs_caches(tmp_path)
    assert found == (Cache(1, 48 * 2**10), Cache(2, 2 * 2**20), Cache(3, 105 * 2**20))
    assert devices._sysfs_caches(tmp_path / "absent") == ()


def test_a_cache_is_named_with_its_size() -> None:
    assert Cache(2, 2**20).label == "L2 (1 MiB)"
    assert Cache(1, 48 * 2**10).label == "L1 (48 KiB)"
    assert Cache(2, 50 * 2**20).label == "L2 (50 MiB)"


def test_the_smallest_cache_that_holds_a_working_set() -> None:
    cpu = DeviceInfo("cpu", "x", caches=(Cache(1, 32 * 2**10), Cache(2, 2**20),
                                         Cache(3, 32 * 2**20)))
    assert cpu.cache_for(10_000) == Cache(1, 32 * 2**10)
    assert cpu.cache_for(2**20) == Cache(2, 2**20)
    assert cpu.cache_for(33 * 2**20) is None
    assert DeviceInfo("cpu", "unknown caches").cache_for(1) is None


def test_a_machine_finds_the_device_of_a_series() -> None:
    cpu, gpu = DeviceInfo("cpu", "c"), DeviceInfo("cuda", "g")
    assert Machine(cpu, gpu).device("cuda") is gpu
    assert Machine(cpu, gpu).device("cpu") is cpu
    unknown = Machine(cpu).device("cuda")  # never the CPU's caches for a GPU series
    assert unknown.kind == "cuda" and unknown.caches == ()
