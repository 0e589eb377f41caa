"""N replicas of the app and HAProxy in front of them, all on 127.0.0.1.

    python deploy/replicas.py --replicas 2            # balancer on :8501, replicas after it
    python deploy/replicas.py --replicas 4 --port 9000

Each replica is a plain `streamlit run app.py` on its own loopback port; HAProxy runs
`deploy/haproxy.cfg` with its bind and server lines rewritten for those ports, so the recipe
in that file is the one that runs. Ctrl-C (or SIGTERM) stops them all. `hall()` does the same
for tests and benches, on free ports. HAProxy is Debian's package (`apt-get install haproxy`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


@dataclass
class Hall:
    """A running balancer and its replicas."""

    url: str  # the balancer: what learners open
    replicas: dict[str, str]  # replica name (its cookie value) -> its own URL
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render(ports: dict[str, int], listen: int) -> str:
    """deploy/haproxy.cfg with its bind on `listen` and one server line per replica."""
    text = CONFIG.read_text()
    text = re.sub(r"(?m)^(\s+bind )127\.0\.0\.1:\d+", rf"\g<1>127.0.0.1:{listen}", text)
    lines = text.splitlines()
    servers = [i for i, line in enumerate(lines) if line.lstrip().startswith("server ")]
    template = lines[servers[0]]
    indent = template[:len(template) - len(template.lstrip())]
    options = template.split(None, 3)[3].rsplit("cookie", 1)[0].strip()  # "check inter 2s"
    new = [f"{indent}server {name} 127.0.0.1:{port} {options} cookie {name}"
           for name, port in ports.items()]
    return "\n".join([*lines[:servers[0]], *new, *lines[servers[-1] + 1:]]) + "\n"


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not become healthy")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it has not ended within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_replica(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def hall(n: int, port: int | None = None, env: dict[str, str] | None = None,
         run_logs: Path | None = None, timeout: float = 120) -> Iterator[Hall]:
    """Start `n` replicas and the balancer (free ports unless `port` is given, then the
    replicas take the ports after it); stop them all on exit. With `run_logs`, replica
    `rK` logs its script runs to `run_logs/rK.jsonl` (ML101_RUN_LOG)."""
    listen = port or free_port()
    ports = {f"r{i + 1}": (listen + i + 1 if port else free_port()) for i in range(n)}
    with ExitStack() as stack:
        procs: dict[str, subprocess.Popen[bytes]] = {}
        for name, p in ports.items():
            extra = dict(env or {})
            if run_logs is not None:
                extra["ML101_RUN_LOG"] = str(run_logs / f"{name}.jsonl")
            procs[name] = start_replica(p, extra)
            stack.callback(stop, procs[name])
        urls = {name: f"http://127.0.0.1:{p}" for name, p in ports.items()}
        for name, url in urls.items():
            wait_healthy(url, procs[name], timeout)
        cfg = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ml101-lb-")))
        (cfg / "haproxy.cfg").write_text(render(ports, listen))
        procs["haproxy"] = subprocess.Popen(  # noqa: S603 (a fixed path, our own config)
            [HAPROXY, "-f", str(cfg / "haproxy.cfg"), "-db"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(stop, procs["haproxy"])
        url = f"http://127.0.0.1:{listen}"
        wait_healthy(url, procs["haproxy"], timeout)
        yield Hall(url, urls, procs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501,
                        help="the balancer's port; replicas take the ports after it")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with hall(args.replicas, port=args.port) as h:
        print(f"balancer {h.url} -> " + ", ".join(f"{n} {u}" for n, u in h.replicas.items()),
              flush=True)
        with suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
