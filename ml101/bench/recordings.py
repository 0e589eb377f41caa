"""Recorded runs: sweeps saved as CSV with full device metadata, read back and validated.

GPU curves on a CPU-only server come only from here (`python -m ml101.bench --device
cuda` on a real GPU writes them under data/bench/), each labelled with its device and
date. A CSV is untrusted input: known columns, known ops and dtypes, sane numbers and
plain text only, or it is refused with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ml101.bench import devices, peaks
from ml101.bench.devices import Cache, DeviceInfo, Machine
from ml101.bench.measuring import Point, Series
from ml101.bench.ops import DTYPES, OPS
from ml101.bench.roofline import ROOFLINE_POINTS, RooflineResult
from ml101.inputs import InputError
from ml101.lesson_map import ROOT

RECORDED_DIR = ROOT / "data" / "bench"
POINT_COLUMNS = ["op", "library", "device", "dtype", "threads", "tf32", "size", "median_s",
                 "p25_s", "p75_s", "runs", "number_per_run", "flops", "bytes", "gflops", "gbps"]
META_COLUMNS = ["device_name", "gpu_capability", "gpu_memory_gb", "cpu_model", "cpu_cores",
                "cpu_clock_ghz", "cpu_simd", "torch_version", "cuda_version", "numpy_version",
                "recorded_at"]
# Added later: recordings made before have none, and are read with the sizes unknown (for a
# GPU, its published L2 stands in).
CACHE_COLUMNS = {"cpu_caches": "", "gpu_cache_bytes": 0}
CSV_COLUMNS = POINT_COLUMNS + META_COLUMNS + list(CACHE_COLUMNS)
MAX_CSV_ROWS = 20_000
_CACHE_TEXT = re.compile(r"^(L\d:\d{1,12})( L\d:\d{1,12})*$")


def caches_text(caches: tuple[Cache, ...]) -> str:
    """'L1:32768 L2:1048576 L3:33554432': the cpu_caches column."""
    return " ".join(f"L{c.level}:{c.size_bytes}" for c in caches)


def parse_caches(text: str) -> tuple[Cache, ...]:
    """The cpu_caches column back into caches; '' when the recording gives none."""
    text = text.strip()
    if not text:
        return ()
    if not _CACHE_TEXT.match(text):
        raise BadCsv("column cpu_caches must read like L1:32768 L2:1048576")
    found = (part[1:].split(":") for part in text.split())
    return tuple(sorted((Cache(int(level), int(size)) for level, size in found),
                        key=lambda c: c.level))


def metadata(device_kind: str = "cpu") -> dict[str, object]:
    """Everything a reader needs to trust or compare a run: machine, caches, versions, date."""
    cpu = devices.cpu()
    gpu = devices.gpu() if device_kind != "cpu" else None
    return {
        "device_name": gpu.name if gpu else cpu.name,
        "gpu_capability": gpu.capability if gpu else "",
        "gpu_memory_gb": gpu.memory_gb if gpu else 0.0,
        "cpu_model": cpu.name, "cpu_cores": cpu.cores, "cpu_clock_ghz": cpu.clock_ghz,
        "cpu_simd": cpu.simd, "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda or "", "numpy_version": np.__version__,
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_caches": caches_text(cpu.caches),
        "gpu_cache_bytes": gpu.caches[-1].size_bytes if gpu and gpu.caches else 0,
    }


def to_frame(points: list[Point], meta: dict[str, object] | None = None) -> pd.DataFrame:
    """One row per point, the metadata repeated on each row so any row stands alone."""
    meta = {**CACHE_COLUMNS, **(meta or metadata())}
    rows = []
    for p in points:
        s = p.series
        rows.append({"op": s.op, "library": s.library, "device": s.device, "dtype": s.dtype,
                     "threads": s.threads, "tf32": s.tf32, "size": p.size,
                     "median_s": p.median_s, "p25_s": p.p25_s, "p75_s": p.p75_s,
                     "runs": p.runs, "number_per_run": p.number_per_run, "flops": p.flops,
                     "bytes": p.bytes, "gflops": p.gflops, "gbps": p.gbps, **meta})
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def from_frame(df: pd.DataFrame) -> list[Point]:
    return [Point(Series(r.op, r.device, r.dtype, int(r.threads), r.library, bool(r.tf32)),
                  int(r.size), float(r.median_s), float(r.p25_s), float(r.p75_s), int(r.runs),
                  int(r.number_per_run), int(r.flops), int(r.bytes))
            for r in df.itertuples()]


def write_csv(points: list[Point], path: Path | str, meta: dict[str, object] | None = None,
              ) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_frame(points, meta).to_csv(path, index=False)
    return path


class BadCsv(InputError):
    """A CSV that is not a benchmark recording; the message says what is wrong."""

    allowed = ("a CSV written by python -m ml101.bench: its columns, known ops, dtypes and "
               "devices, positive times and sizes, plain text")


_TEXT_OK = re.compile(r"^[\w .,:;()/+@#\-\[\]]*$")
_TEXT_COLUMNS = ("device_name", "cpu_model", "gpu_capability", "torch_version", "cuda_version",
                 "numpy_version", "recorded_at", "cpu_simd", "cpu_caches")


def load_csv(source: Path | str) -> pd.DataFrame:
    """Read and validate a recorded run: known columns, sane numbers, plain text only."""
    try:
        df = pd.read_csv(source, nrows=MAX_CSV_ROWS + 1, keep_default_na=False,
                         dtype=dict.fromkeys(_TEXT_COLUMNS, str))
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise BadCsv(f"cannot read it as CSV ({exc})") from exc
    for col, default in CACHE_COLUMNS.items():
        if col not in df.columns:
            df[col] = default
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise BadCsv(f"missing columns: {', '.join(missing)}")
    if len(df) > MAX_CSV_ROWS:
        raise BadCsv(f"more than {MAX_CSV_ROWS} rows")
    if df.empty:
        raise BadCsv("no rows")
    df = df[CSV_COLUMNS].copy()
    if not df["op"].isin(list(OPS)).all() or not df["dtype"].isin(list(DTYPES)).all():
        raise BadCsv("unknown op or dtype")
    if not df["device"].isin(["cpu", "cuda", "mps"]).all() or \
            not df["library"].isin(["torch", "numpy"]).all():
        raise BadCsv("unknown device or library")
    numeric = ["threads", "size", "median_s", "p25_s", "p75_s", "runs", "number_per_run",
               "flops", "bytes", "gflops", "gbps", "gpu_memory_gb", "cpu_cores", "cpu_clock_ghz",
               "gpu_cache_bytes"]
    try:
        df[numeric] = df[numeric].apply(pd.to_numeric, errors="raise")
    except (ValueError, TypeError) as exc:
        raise BadCsv(f"a numeric column holds text ({exc})") from exc
    if (df["median_s"] <= 0).any() or (df["size"] <= 0).any():
        raise BadCsv("times and sizes must be positive")
    df["tf32"] = df["tf32"].astype(str).str.lower().isin(["true", "1"])
    for col in ("device_name", "cpu_model", "torch_version", "recorded_at"):
        if not df[col].astype(str).map(lambda v: bool(_TEXT_OK.match(v)) and len(v) < 200).all():
            raise BadCsv(f"column {col} holds unexpected characters")
    for text in set(df["cpu_caches"].astype(str)):
        parse_caches(text)
    return df


@dataclass(frozen=True)
class Recording:
    path: Path
    frame: pd.DataFrame

    @property
    def label(self) -> str:
        """Device and date, the two things a reader must see on any recorded curve."""
        row = self.frame.iloc[0]
        gpu = [k.upper() for k in sorted(set(self.frame["device"])) if k != "cpu"]
        where = f"{'/'.join(gpu)} {row.device_name}" if gpu else f"CPU {row.cpu_model}"
        return f"{where}, recorded {str(row.recorded_at)[:10]}"

    @property
    def has_gpu(self) -> bool:
        return bool((self.frame["device"] != "cpu").any())

    @property
    def kind(self) -> str:
        """The device kind it was recorded for: its GPU's ('cuda', 'mps'), else 'cpu'."""
        gpu = sorted(set(self.frame["device"]) - {"cpu"})
        return gpu[0] if gpu else "cpu"

    @property
    def machine(self) -> Machine:
        """The machine it ran on, rebuilt from the metadata of its first row."""
        row = self.frame.iloc[0]
        caches = parse_caches(str(row.cpu_caches))
        cpu = DeviceInfo("cpu", str(row.cpu_model), int(row.cpu_cores), simd=str(row.cpu_simd),
                         clock_ghz=float(row.cpu_clock_ghz), caches=caches,
                         cache_source="recorded" if caches else "not in the recording")
        if not self.has_gpu:
            return Machine(cpu)
        name, l2 = str(row.device_name), int(row.gpu_cache_bytes)
        source = "recorded"
        spec = peaks.gpu_spec(name)
        if l2 <= 0 and spec is not None and spec.l2_mib:
            l2, source = int(spec.l2_mib * 2**20), f"published for the {spec.name}"
        gpu = DeviceInfo(self.kind, name, capability=str(row.gpu_capability),
                         memory_gb=float(row.gpu_memory_gb),
                         caches=(Cache(2, l2),) if l2 > 0 else (),
                         cache_source=source if l2 > 0 else "not in the recording")
        return Machine(cpu, gpu)

    @property
    def torch_version(self) -> str:
        return str(self.frame.iloc[0].torch_version)

    @property
    def dtypes_by_op(self) -> dict[str, set[str]]:
        """The dtypes recorded for each op, ops in the order they were recorded."""
        df = self.frame
        return {op: set(df[df["op"] == op]["dtype"]) for op in dict.fromkeys(df["op"])}


def recordings(folder: Path | None = None) -> tuple[list[Recording], list[str]]:
    """Every valid CSV under data/bench, and a note for each file that is not one."""
    folder = RECORDED_DIR if folder is None else folder
    found, problems = [], []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            found.append(Recording(path, load_csv(path)))
        except BadCsv as exc:
            problems.append(f"{path.name}: {exc}")
    return found, problems


def pick(recs: list[Recording], kind: str) -> tuple[Recording | None, bool]:
    """The recording to show before anything is measured, and whether it is this machine's
    own kind: the newest for this device kind, else the newest with a GPU, else any."""
    def newest(rs: list[Recording]) -> Recording | None:
        return max(rs, key=lambda r: str(r.frame.iloc[0].recorded_at), default=None)

    own = newest([r for r in recs if r.kind == kind])
    if own is not None:
        return own, True
    return newest([r for r in recs if r.has_gpu]) or newest(recs), False


def select(rec: Recording, op: str, dtype: str, compare: str | None = None,
           threads: int | None = None) -> tuple[list[Point], bool]:
    """The points of one op a recorded picture draws, and whether they make the comparison.

    Without a comparison: every series at that dtype. With one (threads, numpy, dtypes or
    gpu, as in sweeps.compare_series), only the curves it compares, torch's at `threads`
    where the recording has that count (else its most); when the recording holds fewer than
    two of those curves, every series at that dtype instead, and False."""
    df = rec.frame[rec.frame["op"] == op]
    at_dtype = df[df["dtype"] == dtype]
    if compare is None:
        return from_frame(at_dtype), True
    torch_cpu = (df["library"] == "torch") & (df["device"] == "cpu")
    counts = set(df.loc[torch_cpu, "threads"])
    count = threads if threads in counts else max(counts, default=0)
    one_count = ~torch_cpu | (df["threads"] == count)
    wanted = {
        "threads": torch_cpu & (df["dtype"] == dtype),
        "numpy": (df["device"] == "cpu") & (df["dtype"] == dtype) & one_count,
        "dtypes": (df["library"] == "torch") & ~df["tf32"] & (df["device"] == rec.kind) &
                  one_count,
        "gpu": (df["dtype"] == dtype) & one_count,
    }[compare]
    chosen = df[wanted]
    if compare == "gpu" and not rec.has_gpu:
        chosen = chosen.iloc[0:0]
    distinct = chosen[["library", "device", "dtype", "threads", "tf32"]].drop_duplicates()
    if len(distinct) >= 2:
        return from_frame(chosen), True
    return from_frame(at_dtype), False


def roofline_of(rec: Recording, dtype: str) -> RooflineResult | None:
    """The roofline a recording can draw: its points at the roofline's sizes (torch, on its
    own kind of device, at `dtype`), under a bandwidth roof that is the GPU's published
    figure, or for a CPU the recording's own largest add. None when it has neither."""
    df = rec.frame
    sel = df[(df["library"] == "torch") & (df["device"] == rec.kind) & ~df["tf32"] &
             (df["dtype"] == dtype)]
    if sel.empty:
        return None
    sel = sel[sel["threads"] == sel["threads"].max()]
    by = {(p.series.op, p.size): p for p in from_frame(sel)}
    points = [by[key] for key in ROOFLINE_POINTS if key in by]
    spec = peaks.gpu_spec(str(df.iloc[0].device_name)) if rec.has_gpu else None
    if spec is not None:
        roof = (spec.bandwidth_gbps, f"published: {spec.name}, {spec.bandwidth_gbps:g} GB/s "
                                     f"({spec.source})")
    else:
        adds = [p for p in by.values() if p.series.op == "add"]
        if not adds:
            return None
        big = max(adds, key=lambda p: p.size)
        roof = (big.gbps, f"from the recording: its largest add (n = {big.size}, "
                          f"{big.bytes / 2**20:,.0f} MiB per call)")
    return RooflineResult(points, *roof) if points else None
