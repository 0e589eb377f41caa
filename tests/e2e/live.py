"""A live `streamlit run` on 127.0.0.1 and Debian's Chromium, for browser tests and benches.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright through
`executable_path`; Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ML101_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    started_at: float  # time.monotonic() just before the process was launched
    healthy_at: float

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(timeout: float = 90, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`streamlit run app.py` on a free loopback port, stopped on exit."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = started + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not become healthy") from None
                time.sleep(0.2)
        yield Server(url, proc, started, time.monotonic())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium under Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def page_url(server_url: str, url_path: str, query: str = "") -> str:
    path = "/" if url_path == "start" else f"/{url_path}"
    return server_url + path + (f"?{query}" if query else "")


def wait_idle(page: Any, timeout_ms: int = 60_000) -> None:
    """Until the script run is over and the page has settled (no rerun queued)."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def error_boxes(page: Any) -> list[str]:
    """Texts of every exception box, error box and error dialog on the page."""
    boxes = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"], '
                         '[role="dialog"]:has-text("Page not found")')
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]
