"""A lecture hall of 50, 100 and 200 learners on one server, and throughput on 1 and 2 replicas.

    python benches/hall_load.py                               # everything (about 25 minutes)
    python benches/hall_load.py --learners 100 --think 5      # one hall
    python benches/hall_load.py --learners 2 --think 0 --no-warm --no-scale --json out.json

Each learner is a Locust user that speaks Streamlit's websocket protocol
(`benches/hall/locustfile.py`): a few KB and a few ms of CPU per action, so 200 of them fit
on the core the server does not use. A learner opens Home, follows the sidebar through every
page, moves two controls on each, and plays the lesson's XOR run to the end; it thinks about
`--think` seconds between actions, arrives within the first `--ramp` seconds, and stays
connected until the whole hall is done. Before a hall the presenter has opened every page once
(`--no-warm` skips that), as in a lecture.

The server is pinned to one core and Locust to the other, so the server's numbers are those
of one core; the server logs every script run it finishes (ML101_RUN_LOG), which gives its own
rerun times next to the learners'. "Client" times run from the BackMsg sent to the
`script_finished` received. RSS is the server's resident memory (psutil), sampled every second.

Throughput: learners that never think (a closed loop) tour for `--scale-s` seconds on 1 and then
2 replicas behind HAProxy (`deploy/replicas.py`), unpinned; actions finished per second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import psutil
from locust.env import Environment  # before psutil and ours: locust patches for gevent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall.locustfile import Learner
from report import headline, median_p95
from server_load import cpu_s, pin

from deploy.replicas import hall as behind_balancer
from ml101.lesson_map import built_pages
from tests.e2e.live import live_server
from tests.e2e.protocol import Learner as Tab

MiB = 2**20
KINDS = ("open", "rerun", "tick", "wait")


@dataclass
class Servers:
    url: str
    pids: list[int]  # the app's processes (replicas)
    direct: list[str]  # each replica's own URL
    others: list[int] = field(default_factory=list)  # the balancer


@contextmanager
def servers(replicas: int, env: dict[str, str], logs: Path) -> Iterator[Servers]:
    """One plain server, or `replicas` of them behind HAProxy."""
    if replicas == 1:
        with live_server(env={**env, "ML101_RUN_LOG": str(logs / "r1.jsonl")}) as srv:
            yield Servers(srv.url, [srv.pid], [srv.url])
    else:
        with behind_balancer(replicas, env=env, run_logs=logs) as h:
            pids = h.pids()
            yield Servers(h.url, [p for n, p in pids.items() if n != "haproxy"],
                          list(h.replicas.values()), [pids["haproxy"]])


def processes(pids: list[int]) -> list[psutil.Process]:
    """The processes still running among these."""
    out = []
    for pid in pids:
        try:
            out.append(psutil.Process(pid))
        except psutil.Error:
            continue
    return out


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total / MiB


def warm(url: str) -> None:
    """The presenter opens every page once before the lecture."""
    tab = Tab(url, timeout_s=300)
    tab.open()
    for info in built_pages():
        if info.url_path != "start":
            tab.goto(info.url_path)
    tab.close()


@dataclass
class Hall:
    """What one run measured."""

    learners: int
    replicas: int
    wall_s: float
    client: dict[tuple[str, str], list[float]]  # (kind, page) -> seconds
    failures: dict[str, int]  # "kind /page: error" -> count
    server: dict[tuple[str, str], list[float]]  # (kind, page) -> seconds, from the run log
    finished: int
    gave_up: int
    longest_line: int
    waiters: int
    load: float  # the 1-minute load average just before the run
    peak_rss: float
    idle_rss: float
    server_cpu: float
    driver_cpu: float
    other_cpu: float

    @property
    def actions(self) -> int:
        return sum(len(v) for (kind, _), v in self.client.items() if kind in KINDS)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def times(self, kinds: tuple[str, ...], source: str = "client") -> list[float]:
        table = self.client if source == "client" else self.server
        return [s for (kind, _), v in table.items() if kind in kinds for s in v]


def quiet(max_load: float | None, wait_s: float = 3600) -> float:
    """Wait (checking every 2 minutes, up to `wait_s`) until the 1-minute load average is
    under `max_load`, so other work on a shared machine does not skew a run; the load then."""
    deadline = time.monotonic() + wait_s
    while max_load is not None and os.getloadavg()[0] >= max_load \
            and time.monotonic() < deadline:
        print(f"(load average {os.getloadavg()[0]:.2f}: waiting)", file=sys.stderr, flush=True)
        time.sleep(120)
    return os.getloadavg()[0]


def run_hall(learners: int, *, think: float, ramp: float, replicas: int, limit_s: float,
             tours: int, warm_up: bool, pinned: bool, threads: int,
             max_load: float | None, gc_after_runs: bool = False) -> Hall:
    load = quiet(max_load)
    logs = Path(tempfile.mkdtemp(prefix="ml101-hall-"))
    env = {"ML101_TORCH_THREADS": str(threads)}
    if gc_after_runs:  # Streamlit's default, which .streamlit/config.toml turns off
        env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = "true"
    with servers(replicas, env, logs) as srv:
        if warm_up:
            for url in srv.direct:  # every replica: the balancer would send us to one
                warm(url)
        cores = sorted(os.sched_getaffinity(0))
        if pinned and len(cores) > 1:
            pin(processes(srv.pids + srv.others), {cores[-1]})
            os.sched_setaffinity(0, set(cores[:-1]))
        idle_rss = rss_mib(srv.pids)
        for log in logs.glob("*.jsonl"):
            log.unlink()  # only the hall's own runs
        Learner.think_s, Learner.tours, Learner.linger = think, tours, True
        Learner.finished = Learner.gave_up = Learner.longest_line = Learner.waiters = 0
        client: dict[tuple[str, str], list[float]] = defaultdict(list)
        failures: dict[str, int] = defaultdict(int)

        def record(request_type: str, name: str, response_time: float,
                   exception: Exception | None, **_: Any) -> None:
            client[(request_type, name.lstrip("/"))].append(response_time / 1000)
            if exception is not None:
                failures[f"{request_type} {name}: {exception!r}"[:160]] += 1

        environment = Environment(user_classes=[Learner], host=srv.url)
        environment.events.request.add_listener(record)
        runner = environment.create_local_runner()
        me = psutil.Process()
        cpu0 = cpu_s(processes(srv.pids)), me.cpu_times(), cpu_s(processes(srv.others))
        t0 = time.perf_counter()
        runner.start(learners, spawn_rate=max(1.0, learners / max(ramp, 0.1)))
        peak = idle_rss
        while (Learner.finished + Learner.gave_up < learners
               and time.perf_counter() - t0 < limit_s):
            gevent.sleep(1)
            peak = max(peak, rss_mib(srv.pids))
        wall = time.perf_counter() - t0
        peak = max(peak, rss_mib(srv.pids))  # everybody still connected
        Learner.linger = False
        me_now = me.cpu_times()
        server_cpu = cpu_s(processes(srv.pids)) - cpu0[0]
        driver_cpu = (me_now.user + me_now.system) - (cpu0[1].user + cpu0[1].system)
        other_cpu = cpu_s(processes(srv.others)) - cpu0[2]
        runner.quit()
        os.sched_setaffinity(0, set(cores))
    server: dict[tuple[str, str], list[float]] = defaultdict(list)
    for log in logs.glob("*.jsonl"):
        for line in log.read_text().splitlines():
            r = json.loads(line)
            server[(r["kind"], r["page"])].append(r["s"])
        log.unlink()
    logs.rmdir()
    return Hall(learners, replicas, wall, dict(client), dict(failures), dict(server),
                Learner.finished, Learner.gave_up, Learner.longest_line, Learner.waiters,
                load, peak, idle_rss,
                server_cpu, driver_cpu, other_cpu)


def ms(values: list[float]) -> str:
    if not values:
        return " | "
    p50, p95 = median_p95(values)
    return f"{p50 * 1000:,.0f} | {p95 * 1000:,.0f}"


def print_halls(halls: list[Hall], think: float, ramp: float) -> None:
    print(f"## A lecture hall on one server: learners arrive within {ramp:.0f} s, think "
          f"~{think:g} s between actions, each tours all {len(built_pages())} pages and "
          "trains the lesson's XOR\n")
    print("| learners | tours done | actions | errors | client p50 ms | client p95 ms "
          "| server p50 ms | server p95 ms | tick p95 ms | actions/s | server CPU "
          "| peak RSS MiB | MiB per learner | wall s | load before |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for h in halls:
        per = (h.peak_rss - h.idle_rss) / h.learners
        ticks = h.times(("tick", "wait"))
        print(f"| {h.learners} | {h.finished} | {h.actions:,} | {h.errors} "
              f"| {ms(h.times(('open', 'rerun')))} | {ms(h.times(('open', 'rerun'), 'server'))} "
              f"| {median_p95(ticks)[1] * 1000 if ticks else 0:,.0f} "
              f"| {h.actions / h.wall_s:.1f} | {100 * h.server_cpu / h.wall_s:.0f} % "
              f"| {h.peak_rss:,.0f} | {per:.1f} | {h.wall_s:.0f} | {h.load:.2f} |")
    print("\nClient: from the learner's BackMsg to `script_finished`, opens and reruns. Server: "
          "the script runs the server logged for them (no network, no queueing for the GIL). "
          "Server CPU: share of its one core. Tick: one beat of the training player. A waiting "
          "beat is one whose page said every heavy-work slot was taken and where the learner "
          "stood in line: the page keeps answering while it waits.")
    print("\n### Heavy-work slots (training waits for one of "
          f"{os.environ.get('ML101_MAX_HEAVY', '2')})\n")
    print("| learners | learners who waited | waits | wait p50 s | wait p95 s | wait max s "
          "| farthest back in line | waiting beat p50 ms | waiting beat p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for h in halls:
        waits = h.times(("queue",))
        p50, p95 = median_p95(waits) if waits else (0, 0)
        print(f"| {h.learners} | {h.waiters} | {len(waits)} | {p50:.1f} | {p95:.1f} "
              f"| {max(waits, default=0):.1f} | {h.longest_line} | {ms(h.times(('wait',)))} |")
    for h in halls:
        print(f"\n### {h.learners} learners, page by page (ms)\n")
        print("| page | opens | client p50 | client p95 | server p50 | server p95 "
              "| reruns | client p50 | client p95 | server p50 | server p95 |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for info in built_pages():
            p = info.url_path
            cells = []
            for kind in ("open", "rerun"):
                c = h.client.get((kind, p), [])
                cells.append(f"{len(c)} | {ms(c)} | {ms(h.server.get((kind, p), []))}")
            print(f"| {p} | {' | '.join(cells)} |")
        if h.failures:
            print("\nFailures:\n")
            for what, n in sorted(h.failures.items(), key=lambda kv: -kv[1])[:10]:
                print(f"- {n} x {what}")


def print_gc(before: Hall, after: Hall, window_s: float) -> None:
    print(f"\n## Before and after `postScriptGC = false`: {after.learners} learners, the "
          f"first {window_s:.0f} s of the same hall, back to back\n")
    print("| Streamlit's full gc.collect() after every run | client p50 ms | client p95 ms "
          "| server CPU s per action | actions/s | peak RSS MiB | errors | wall s | load before |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, h in (("on (Streamlit's default)", before), ("off (this app)", after)):
        print(f"| {label} | {ms(h.times(('open', 'rerun')))} "
              f"| {h.server_cpu / max(1, h.actions):.3f} | {h.actions / h.wall_s:.1f} "
              f"| {h.peak_rss:,.0f} | {h.errors} | {h.wall_s:.0f} | {h.load:.2f} |")


def print_scale(runs: list[Hall], scale_s: float) -> None:
    print(f"\n## Throughput: learners who never think, {scale_s:.0f} s, 1 and 2 replicas "
          "behind HAProxy (unpinned)\n")
    print("| replicas | learners | actions | actions/s | client p50 ms | client p95 ms "
          "| errors | replicas' CPU s | HAProxy CPU s | Locust CPU s | load before |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for h in runs:
        print(f"| {h.replicas} | {h.learners} | {h.actions:,} | {h.actions / h.wall_s:.1f} "
              f"| {ms(h.times(KINDS))} | {h.errors} | {h.server_cpu:.0f} "
              f"| {h.other_cpu:.1f} | {h.driver_cpu:.0f} | {h.load:.2f} |")


def main(args: argparse.Namespace) -> int:
    common = {"ramp": args.ramp, "limit_s": args.limit_s, "threads": args.threads,
              "max_load": args.max_load}
    halls = [run_hall(n, think=args.think, replicas=1, tours=1, warm_up=args.warm,
                      pinned=args.pin, **common) for n in args.learners]
    print_halls(halls, args.think, args.ramp)
    if args.gc_baseline:
        # time-bounded: with Streamlit's collection after every run a whole tour takes long
        gc_runs = {flag: run_hall(args.gc_baseline, think=args.think, replicas=1, tours=1,
                                  warm_up=args.warm, pinned=args.pin, gc_after_runs=flag,
                                  **{**common, "limit_s": args.gc_s})
                   for flag in (True, False)}
        print_gc(gc_runs[True], gc_runs[False], args.gc_s)
    scale: list[Hall] = []
    if args.scale:
        for replicas in (1, 2):
            scale.append(run_hall(args.scale_learners, think=0, replicas=replicas,
                                  tours=10_000, warm_up=True, pinned=False,
                                  **{**common, "limit_s": args.scale_s}))
        print_scale(scale, args.scale_s)
    load = os.getloadavg()[0]
    print(f"\nTorch threads {args.threads}; cores {psutil.cpu_count()}; load average "
          f"{load:.2f} at the end (other work on this machine shows here)")
    biggest = halls[-1]
    p95 = median_p95(biggest.times(("open", "rerun")))[1]
    headline(f"p95 open/rerun seen by learners, {biggest.learners} at once", p95, "s",
             "as low as possible", None)
    headline(f"errors, {biggest.learners} learners", biggest.errors, "",
             "0", biggest.errors == 0)
    headline(f"server RSS, {biggest.learners} learners connected", biggest.peak_rss, "MiB",
             "< 2 GB", biggest.peak_rss < 2048)
    if len(scale) == 2:
        ratio = (scale[1].actions / scale[1].wall_s) / (scale[0].actions / scale[0].wall_s)
        headline("throughput, 2 replicas vs 1 (2 cores, Locust on them too)", ratio, "x",
                 "as close to 2 as the cores allow", None)
    if args.json:
        Path(args.json).write_text(json.dumps([{
            "learners": h.learners, "replicas": h.replicas, "finished": h.finished,
            "gave_up": h.gave_up, "errors": h.errors, "failures": h.failures,
            "pages": sorted({p for _, p in h.client}), "kinds": sorted({k for k, _ in h.client}),
            "actions": h.actions, "peak_rss_mib": h.peak_rss,
            "server_runs": sum(len(v) for v in h.server.values()),
        } for h in [*halls, *scale]], indent=1))
    return 1 if any(h.errors or h.gave_up for h in [*halls, *scale]) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean seconds a learner thinks between actions")
    parser.add_argument("--ramp", type=float, default=20.0,
                        help="seconds over which the learners arrive")
    parser.add_argument("--limit-s", type=float, default=1200,
                        help="a hall that has not finished by then is stopped")
    parser.add_argument("--threads", type=int, default=1, help="ML101_TORCH_THREADS")
    parser.add_argument("--no-warm", dest="warm", action="store_false",
                        help="skip the presenter's first visit of every page")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the server and Locust share every core")
    parser.add_argument("--no-scale", dest="scale", action="store_false",
                        help="skip the 1 vs 2 replicas throughput runs")
    parser.add_argument("--scale-learners", type=int, default=24)
    parser.add_argument("--scale-s", type=float, default=90)
    parser.add_argument("--gc-baseline", type=int, default=20, metavar="LEARNERS",
                        help="also run this many for --gc-s seconds with Streamlit's gc "
                             "after every run, and again without (0: skip)")
    parser.add_argument("--gc-s", type=float, default=120)
    parser.add_argument("--max-load", type=float, default=None,
                        help="before each run, wait until the 1-minute load average is "
                             "under this (a shared machine)")
    parser.add_argument("--json", help="also write the figures here (for tests)")
    sys.exit(main(parser.parse_args()))
