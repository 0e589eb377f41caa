"""Run every bench script and rewrite BENCHMARKS.md: one command refreshes the table.

    python benches/run_all.py            # all scripts, each with its defaults
    python benches/run_all.py --skip server_load.py
    python benches/run_all.py --with "server_load.py=--sessions 3 10 --load 5"
    python benches/run_all.py --only optim_race.py deck.py   # refresh two, keep the rest
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


HEAD = ["| metric | measured | target | met | script |", "|---|---:|---|:---:|---|"]
SECTION = "## `python benches/"


def _row(r: dict[str, object]) -> str:
    met = {True: "yes", False: "**no**", None: "n/a"}[r["met"]]  # type: ignore[index]
    return (f"| {r['metric']} | {r['value']:,.3g} {r['unit']} | {r['target']} "
            f"| {met} | `{r['script']}` |")


def _script_of(block: str) -> str:
    """The script a summary row or a section belongs to: `name.py` in it."""
    return block.split("benches/", 1)[1].split()[0].rstrip("`") if SECTION in block \
        else block.rsplit("`", 2)[-2].split()[0]


def _merge(old: str, names: set[str], summary: list[str], sections: list[str],
           today: str) -> str:
    """BENCHMARKS.md with the rows and sections of `names` replaced (in place, or at the
    end when new) and everything else kept, so one noisy script can be rerun alone."""
    kept = old[old.index(KEPT):] if KEPT in old else ""
    body = old[:len(old) - len(kept)]
    head, rest = body.split("## Summary\n\n", 1)
    table, _, tail = rest.partition("\n\n")
    rows = [line for line in table.splitlines() if line not in HEAD]
    first = next((i for i, r in enumerate(rows) if _script_of(r) in names), len(rows))
    rows = [r for r in rows[:first] if _script_of(r) not in names] + summary + \
        [r for r in rows[first:] if _script_of(r) not in names]
    parts = [SECTION + p.rstrip() + "\n" for p in tail.split(SECTION)[1:]]
    fresh = {_script_of(sec): sec for sec in sections}
    merged = [fresh.pop(_script_of(p), p) for p in parts] + list(fresh.values())
    note = "Refreshed alone on "
    if note in head:  # an earlier --only: its scripts stay listed
        head, line = head.split(note, 1)
        names = names | {n.strip(" .") for n in line.split(":", 1)[1].split("\n")[0].split(",")}
    head = head.rstrip() + f"\n\n{note}{today}: {', '.join(sorted(names))}.\n\n"
    return (head + "## Summary\n\n" + "\n".join([*HEAD, *rows]) + "\n\n"
            + "\n".join(merged) + ("\n" + kept if kept else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--only", nargs="+", default=None, metavar="SCRIPT",
                        help="run these alone and replace their rows and sections in "
                             "BENCHMARKS.md, keeping every other script's as it was")
    parser.add_argument("--with", dest="extra", action="append", default=[],
                        metavar="SCRIPT=ARGS", help="arguments for one script")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.extra)
    scripts = sorted(p for p in HERE.glob("*.py")
                     if p.name not in {"report.py", "run_all.py", *args.skip}
                     and (args.only is None or p.name in args.only))
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
    summary = [_row(r) for r in rows]
    today = dt.date.today().isoformat()
    out = ROOT / "BENCHMARKS.md"
    old = out.read_text() if out.exists() else ""
    if args.only and old:
        text = _merge(old, {s.name for s in scripts}, summary, sections, today)
    else:
        text = (
            "# Benchmarks\n\n"
            f"Refreshed with `python benches/run_all.py` on {today}.\n\n"
            f"Machine: {machine()}.\n\n"
            "Medians and ratios are measured within one run of each script, since the "
            "machines are shared and noisy. Targets come from the issues.\n\n"
            "## Summary\n\n" + "\n".join([*HEAD, *summary]) + "\n\n" + "\n".join(sections))
        if KEPT in old:
            text += "\n" + old[old.index(KEPT):]
    out.write_text(text)
    print(f"wrote BENCHMARKS.md ({len(rows)} headline figures)")
    if failed:
        print("scripts that failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
