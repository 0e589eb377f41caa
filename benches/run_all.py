"""Run every bench script and rewrite BENCHMARKS.md: one command refreshes the table.

    python benches/run_all.py            # all scripts, each with its defaults
    python benches/run_all.py --skip server_load.py
    python benches/run_all.py --with "server_load.py=--sessions 3 10 --load 5"
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import psutil
import torch
from report import MARK, parse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEPT = "## Measured elsewhere"  # hand-kept section (GPU runs): a refresh carries it over


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = psutil.virtual_memory().total / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, torch "
            f"{torch.__version__}, torch's own default {torch.get_num_threads()} threads; the app "
            "runs 1 per rerun (`ml101/runtime.py`)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--with", dest="extra", action="append", default=[],
                        metavar="SCRIPT=ARGS", help="arguments for one script")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.extra)
    scripts = sorted(p for p in HERE.glob("*.py")
                     if p.name not in {"report.py", "run_all.py", *args.skip})
    rows: list[dict[str, object]] = []
    sections: list[str] = []
    failed = []
    for script in scripts:
        print(f"running {script.name} ...", flush=True)
        argv = shlex.split(extra.get(script.name, ""))
        proc = subprocess.run([sys.executable, str(script), *argv], cwd=ROOT, capture_output=True,
                              text=True, timeout=5400, check=False)
        if proc.returncode != 0:
            failed.append(script.name)
        rows += [{**r, "script": script.name} for r in parse(proc.stdout)]
        body = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith(MARK))
        command = " ".join(["python", f"benches/{script.name}", *argv])
        if "|---" not in body:  # a plain-text table: keep its columns lined up
            body = f"```text\n{body.strip()}\n```"
        if proc.returncode != 0:
            body += f"\n\nExited with {proc.returncode}:\n```text\n{proc.stderr[-1500:]}\n```"
        sections.append(f"## `{command}`\n\n{body.strip()}\n")
    summary = ["| metric | measured | target | met | script |", "|---|---:|---|:---:|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "n/a"}[r["met"]]
        summary.append(f"| {r['metric']} | {r['value']:,.3g} {r['unit']} | {r['target']} "
                       f"| {met} | `{r['script']}` |")
    today = dt.date.today().isoformat()
    text = (
        "# Benchmarks\n\n"
        f"Refreshed with `python benches/run_all.py` on {today}.\n\n"
        f"Machine: {machine()}.\n\n"
        "Medians and ratios are measured within one run of each script, since the machines "
        "are shared and noisy. Targets come from the issues.\n\n"
        "## Summary\n\n" + "\n".join(summary) + "\n\n" + "\n".join(sections)
    )
    out = ROOT / "BENCHMARKS.md"
    if out.exists() and KEPT in (old := out.read_text()):
        text += "\n" + old[old.index(KEPT):]
    out.write_text(text)
    print(f"wrote BENCHMARKS.md ({len(rows)} headline figures)")
    if failed:
        print("scripts that failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
