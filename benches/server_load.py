"""Cold start, first renders, server memory and a lecture-hall load test, in one run.

Starts `streamlit run app.py` on 127.0.0.1, drives Debian's Chromium with Playwright
(loopback only, bounded in count and time) and prints tables:

    python benches/server_load.py                 # 10 and 30 sessions, load test with 20
    python benches/server_load.py --sessions 4 8 --load 6

A "render" is the time from navigation until the app reports its script run finished;
a "rerun" the time from a control change (the presenter toggle, present on every page)
until then, seen in the browser. The browsers run on the same machine as the server, so
both are pessimistic next to students' own machines. For the load test the server is
pinned to its own core (the last one) and the browsers to the others, and the server logs
each script run it finishes (ML101_RUN_LOG), so its own rerun time is reported apart from
the browsers'. The memory sessions only open every page; RSS is the server process's
resident memory (psutil).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import headline

from ml101.lesson_map import built_pages
from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, live_server, page_url, tour, visit

MiB = 2**20


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / MiB


def pin(procs: list[psutil.Process], cpus: set[int]) -> None:
    """Pin every thread of these processes (threads they start later inherit it)."""
    for proc in procs:
        try:
            threads = proc.threads()
        except psutil.Error:
            continue
        for t in threads:
            try:
                os.sched_setaffinity(t.id, cpus)
            except OSError:
                continue  # the thread ended meanwhile


def cpu_s(procs: list[psutil.Process]) -> float:
    """User + system CPU seconds of the processes still alive."""
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> int:
    from playwright.async_api import async_playwright

    paths = [p.url_path for p in built_pages()]
    cores = sorted(os.sched_getaffinity(0))
    server_cpus = {cores[-1]} if args.pin and len(cores) > 1 else None
    log = Path(tempfile.mkstemp(prefix="ml101-runs-", suffix=".jsonl")[1])
    env = {"ML101_TORCH_THREADS": str(args.threads), "ML101_RUN_LOG": str(log)}
    with live_server(env=env) as srv:
        health_s = srv.healthy_at - srv.started_at
        idle_rss = rss_mib(srv.pid)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Cold start and each page's first render, one learner.
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await ctx.new_page()
            first: dict[str, float] = {}
            errors = 0
            for path in paths:
                first[path], boxes = await visit(page, page_url(srv.url, path))
                errors += boxes
                if path == "start":
                    home_s = time.monotonic() - srv.started_at
            one_rss = rss_mib(srv.pid)
            await ctx.close()

            print("## Cold start (one learner, fresh server)\n")
            print("| step | seconds |\n|---|---:|")
            print(f"| `streamlit run` to /_stcore/health | {health_s:.2f} |")
            print(f"| `streamlit run` to Home rendered in Chromium | {home_s:.2f} |")
            for path in paths:
                print(f"| first render of /{path} | {first[path]:.2f} |")

            # Memory with many learners connected at once.
            mem_rows = [("idle, no session", idle_rss), ("one session visited every page", one_rss)]
            open_ctx: list[Any] = []
            for target in sorted(args.sessions):
                need = target - len(open_ctx)
                results = await asyncio.gather(
                    *(tour(browser, srv.url, paths, clicks=False) for _ in range(need)))
                for c, _, boxes in results:
                    open_ctx.append(c)
                    errors += boxes
                mem_rows.append((f"{target} sessions connected, each opened every page",
                                 rss_mib(srv.pid)))
            for c in open_ctx:
                await c.close()
            print("\n## Server memory (RSS)\n")
            print("| state | MiB |\n|---|---:|")
            for label, mib in mem_rows:
                print(f"| {label} | {mib:,.0f} |")
            lo, hi = sorted(args.sessions)[0], sorted(args.sessions)[-1]
            per = (mem_rows[-1][1] - mem_rows[2][1]) / max(1, hi - lo)
            print(f"| each extra session ({lo} to {hi}) | {per:,.1f} |")
            headline("server RSS after one session visited every page", one_rss, "MiB",
                     "< 600 MiB", one_rss < 600)
            headline(f"memory per extra session ({lo} to {hi} sessions)", per, "MiB",
                     "< 15 MiB", per < 15)

            # Load: N learners at once, each touring every page.
            server = psutil.Process(srv.pid)
            clients = psutil.Process().children(recursive=True)
            # A lecture hall's browsers are on the students' laptops: pin ours away from the
            # server for the load test, so the server keeps a core of its own.
            if server_cpus:
                pin([server], server_cpus)
                pin([psutil.Process(), *clients], set(cores) - server_cpus)
            cpu0 = cpu_s([server]), cpu_s(clients)
            t0, started_at = time.perf_counter(), time.time()
            results = await asyncio.gather(
                *(tour(browser, srv.url, paths, delay_s=i * args.ramp / args.load,
                       timeout_s=600) for i in range(args.load)))
            wall = time.perf_counter() - t0
            clients = psutil.Process().children(recursive=True)
            server_cpu, client_cpu = cpu_s([server]) - cpu0[0], cpu_s(clients) - cpu0[1]
            reruns = [s for _, times, _ in results for s in times]
            load_errors = sum(boxes for _, _, boxes in results)
            for c, _, _ in results:
                await c.close()
            await browser.close()

    print(f"\n## Load: {args.load} learners arriving over {args.ramp:.0f} s, each opening all "
          f"{len(paths)} pages and rerunning each twice\n")
    print("| reruns | median s | p95 s | max s | error boxes | wall s |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(reruns)} | {statistics.median(reruns):.2f} | {pct(reruns, 0.95):.2f} "
          f"| {max(reruns):.2f} | {load_errors} | {wall:.1f} |")
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    log.unlink()
    loaded = [r for r in runs if r["at"] >= started_at]
    print(f"\nThe same {wall:.0f} s seen from the server: the script runs it finished, from "
          "its own log. An open is the first run on a page, a rerun one after a control "
          "changed.\n")
    print("| page | reruns | median s | p95 s | opens | median s | p95 s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for path in [*paths, "all pages"]:
        cells = []
        for kind in ("rerun", "open"):
            secs = [r["s"] for r in loaded
                    if r["kind"] == kind and path in (r["page"], "all pages")]
            cells.append(f"{len(secs)} | {statistics.median(secs):.2f} | {pct(secs, 0.95):.2f}"
                         if secs else "0 | | ")
        print(f"| {path} | {' | '.join(cells)} |")
    where = (f"server pinned to core {min(server_cpus)}, browsers on the other "
             f"{len(cores) - 1}" if server_cpus else "server and browsers share every core")
    print(f"\nCPU during the load: server {server_cpu:.0f} s, browsers and driver "
          f"{client_cpu:.0f} s ({where}).")
    p95 = pct(reruns, 0.95)
    headline(f"p95 rerun seen in the browser, {args.load} learners at once", p95, "s", "< 1 s",
             p95 < 1)
    server_secs = [r["s"] for r in loaded if r["kind"] == "rerun"]
    if server_secs:
        sp95 = pct(server_secs, 0.95)
        headline(f"p95 rerun on the server, {args.load} learners at once", sp95, "s",
                 "< 1 s", sp95 < 1)
    headline("cold start to Home rendered", home_s, "s", "as short as possible", None)
    print(f"\nTorch threads {args.threads}; cores {psutil.cpu_count()}; "
          f"error boxes outside the load test: {errors}")
    return 1 if errors or load_errors else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--load", type=int, default=20, help="learners in the load test")
    parser.add_argument("--threads", type=int, default=1, help="ML101_TORCH_THREADS")
    parser.add_argument("--ramp", type=float, default=20,
                        help="seconds over which the load test's learners arrive")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let server and browsers share every core")
    sys.exit(asyncio.run(main(parser.parse_args())))
