"""A learner's own data, timed: parsing an upload at the caps (target: a 5 MB CSV in
under 1 s) and the DataLoader viewer's rerun with a 20,000-row upload (target: median
under 150 ms).

Parsing: `own_data.read_table` and `default_dataset` on files made here, at the size cap
and at the row cap, median of the repeats. Rerun: the page opened under AppTest, the file
uploaded, then reruns timed three ways, as `dataloader_rerun.py` does ("script" times the
script run in its own thread, "script cpu" that thread's CPU time, "round trip" the whole
`at.run()`). With `--against DIR` the default view's rerun is timed in that checkout too,
in fresh processes whose rounds alternate with this tree's, so load on a shared machine
hits both alike: the before/after of the same run.

    python benches/own_data.py [--repeats 15] [--against /work/main]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ML101_TORCH_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benches"))

from dataloader_rerun import _script_cpu_ms, _script_ms  # noqa: E402  (times script runs)
from report import headline  # noqa: E402

from ml101 import own_data  # noqa: E402
from tests.conftest import open_page  # noqa: E402

PARSE_TARGET_MS, RERUN_TARGET_MS = 1000.0, 150.0


def table_bytes(rows: int, numbers: int, decimals: int = 6, sep: str = ",") -> bytes:
    """A table of `numbers` numeric columns and a text label of 8 classes."""
    lines = [sep.join([*(f"f{j}" for j in range(numbers)), "label"])]
    lines += [sep.join([*(f"{((i * 31 + j * 17) % 9973) / 97.0:.{decimals}f}"
                          for j in range(numbers)), "abcdefgh"[i % 8]]) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def at_the_cap() -> bytes:
    """20,000 rows padded with columns until the file is as close to 5 MB as it gets."""
    data = table_bytes(own_data.MAX_ROWS, 24)
    for numbers in range(25, own_data.MAX_FEATURES + 1):
        wider = table_bytes(own_data.MAX_ROWS, numbers)
        if len(wider) > own_data.MAX_BYTES:
            break
        data = wider
    return data


def parse_ms(data: bytes, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        own_data.default_dataset(own_data.read_table(data, "bench.csv"))
        times.append((time.perf_counter() - start) * 1000)
    return times


def rerun_ms(setup: str, repeats: int, data: bytes | None = None,
             query: dict[str, str] | None = None) -> tuple[list[float], list[float], list[float]]:
    """(script, script cpu, round trip) ms per rerun of /dataloader, after two warm-ups."""
    at = open_page("dataloader", **(query or {}))
    if data is not None:
        at.file_uploader(key="dl_csv").set_value(("bench.csv", data, "text/csv")).run()
    assert not at.exception and not at.error, (setup, at.exception, at.error)
    at.run()
    at.run()
    _script_ms.clear()
    _script_cpu_ms.clear()
    trips = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        trips.append((time.perf_counter() - start) * 1000)
    assert not at.exception
    return list(_script_ms), list(_script_cpu_ms), trips


# Runs in a fresh interpreter inside the tree measured: the default view, reruns timed
# (wall and process CPU, ms). Only what every checkout has: tests.conftest.open_page.
_CHILD = """
import json, os, sys, time
os.environ.setdefault("ML101_TORCH_THREADS", "1")
sys.path.insert(0, os.getcwd())
from tests.conftest import open_page
reps = int(sys.argv[1])
at = open_page("dataloader")
at.run(); at.run()
wall, cpu = [], []
for _ in range(reps):
    t, c = time.perf_counter(), time.process_time()
    at.run()
    wall.append((time.perf_counter() - t) * 1e3)
    cpu.append((time.process_time() - c) * 1e3)
assert not at.exception
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def before_after(against: Path, rounds: int, reps: int) -> None:
    trees = {"after": ROOT, "before": against}
    got: dict[str, dict[str, list[float]]] = {t: {"wall": [], "cpu": []} for t in trees}
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave the other checkout as it is
    for _ in range(rounds):
        for name, tree in trees.items():
            out = subprocess.run([sys.executable, "-c", _CHILD, str(reps)], cwd=tree,
                                 capture_output=True, text=True, timeout=600, check=True,
                                 env=env)
            for clock, times in json.loads(out.stdout.strip().splitlines()[-1]).items():
                got[name][clock] += times
    print(f"\nDefault view (400 moons, B=32), rerun in fresh processes, {rounds} alternating "
          f"rounds x {reps}: this tree against {against}")
    print(f"{'tree':8} {'wall median ms':>15} {'CPU median ms':>14}")
    for name in trees:
        print(f"{name:8} {statistics.median(got[name]['wall']):15.1f} "
              f"{statistics.median(got[name]['cpu']):14.1f}")


def _row(name: str, times: list[float], target: float) -> str:
    med = statistics.median(times)
    p90 = sorted(times)[int(0.9 * (len(times) - 1))]
    return f"{name:<52} {med:>10.1f} {p90:>8.1f} {med / target:>9.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout to time the default view's rerun in")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    cap = at_the_cap()
    widest = table_bytes(own_data.MAX_ROWS, own_data.MAX_FEATURES, decimals=3)
    width = cap.split(b"\n", 1)[0].count(b",")  # numeric columns before the label
    files = {
        f"{len(cap) / 2**20:.2f} MB: 20,000 rows x {width} numbers + label": cap,
        f"{len(widest) / 2**20:.2f} MB: 20,000 rows x 32 numbers + label": widest,
        "the same, semicolons": widest.replace(b",", b";"),
        "the example fruit.csv (150 rows)": own_data.example_csv(),
    }
    head = f"{'what':<52} {'median ms':>10} {'p90 ms':>8} {'vs target':>10}"
    print(f"Parsing an upload (read_table + default_dataset), {args.repeats} repeats each; "
          f"target {PARSE_TARGET_MS:.0f} ms")
    print(head)
    medians = {}
    for name, data in files.items():
        times = parse_ms(data, args.repeats)
        medians[name] = statistics.median(times)
        print(_row(f"parse {name}", times, PARSE_TARGET_MS))
    worst = max(medians[n] for n in list(files)[:3])
    headline("parse a 5 MB, 20,000-row CSV upload", worst, "ms", f"< {PARSE_TARGET_MS:.0f} ms",
             worst < PARSE_TARGET_MS)

    drawing = own_data.encode_points([(i % 41 - 20, (7 * i) % 41 - 20, i % 3)
                                      for i in range(own_data.LINK_POINTS)])
    scenes = {
        "default view (400 moons, B=32)": (None, {}),
        "20,000-row upload, B=32": (cap, {}),
        "20,000-row upload, B=32, 20 % validation": (cap, {"dl_val": "20"}),
        "20,000-row upload, B=8, 5 epochs": (cap, {"dl_bs": "8", "dl_ep": "5"}),
        "150 points drawn (from a link), B=8": (None, {"dl_ds": "draw", "dl_pts": drawing,
                                                       "dl_bs": "8"}),
    }
    print(f"\nRerunning /dataloader (AppTest), {args.repeats} reruns each; target "
          f"{RERUN_TARGET_MS:.0f} ms")
    print(head)
    upload_median = 0.0
    for name, (data, query) in scenes.items():
        script, cpu, trip = rerun_ms(name, args.repeats, data, query)
        print(_row(f"script: {name}", script, RERUN_TARGET_MS))
        print(_row(f"  script cpu: {name}", cpu, RERUN_TARGET_MS))
        print(_row(f"  round trip: {name}", trip, RERUN_TARGET_MS))
        if name == "20,000-row upload, B=32":
            upload_median = statistics.median(script)
    headline("rerun /dataloader with a 20,000-row upload", upload_median, "ms",
             f"< {RERUN_TARGET_MS:.0f} ms", upload_median < RERUN_TARGET_MS)
    if args.against:
        before_after(args.against, args.rounds, args.repeats)
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, torch threads "
          f"{os.environ['ML101_TORCH_THREADS']}, shared machine.")


if __name__ == "__main__":
    main()
