"""A live `streamlit run` on 127.0.0.1 and Debian's Chromium, for browser tests and benches.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright through
`executable_path`; Playwright never downloads a browser.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.replicas import wait_healthy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ML101_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
_ERRORS = ('[data-testid="stException"], [data-testid="stAlertContentError"], '
           '[role="dialog"]:has-text("Page not found")')


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
        wait_healthy(url, proc, timeout)
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
    boxes = page.locator(_ERRORS)
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]


# Async helpers for many learners at once (the load test and benches/server_load.py).

_WATCH_RUN = """() => { window.__rerun = new Promise(resolve => {
  // Watch the whole document: Streamlit may re-mount the app element during a run.
  const state = () => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state');
  let running = false;
  const obs = new MutationObserver(() => {
    if (state() !== 'notRunning') running = true;
    else if (running) { obs.disconnect(); resolve(performance.now()); }
  });
  obs.observe(document.documentElement,
              {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
}); }"""
SETTLE_MS = 250


async def settle(page: Any) -> None:
    await page.wait_for_selector(IDLE, timeout=120_000)
    await page.wait_for_timeout(SETTLE_MS)
    await page.wait_for_selector(IDLE, timeout=120_000)


async def visit(page: Any, url: str, timeout_s: float = 120) -> tuple[float, int]:
    """Seconds from goto to a settled page, and how many error boxes it shows."""
    t0 = time.perf_counter()
    # Only the first response is awaited here: with many learners arriving at once the
    # page's scripts can take longer than goto's 30 s default; the h1 wait is the bound.
    await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    await page.wait_for_selector("h1", timeout=timeout_s * 1000)
    await settle(page)
    elapsed = time.perf_counter() - t0 - SETTLE_MS / 1000
    return elapsed, await page.locator(_ERRORS).count()


RERUN_WAIT_S = 30.0


async def timed_click(page: Any, target: Any) -> float:
    """Seconds from a click on `target` until the rerun it causes has finished,
    timed in the browser with a MutationObserver on the app's run state. A click that
    starts no rerun within RERUN_WAIT_S counts as RERUN_WAIT_S (it never hangs)."""
    await page.evaluate(_WATCH_RUN)
    t0 = await page.evaluate("performance.now()")
    await target.click()
    try:
        t1 = await asyncio.wait_for(page.evaluate("window.__rerun"), RERUN_WAIT_S)
    except TimeoutError:
        return RERUN_WAIT_S
    await settle(page)
    return (t1 - t0) / 1000


async def open_sidebar(page: Any) -> None:
    """Unfold the sidebar if it is folded (presenter mode folds it)."""
    unfold = page.locator('[data-testid="stExpandSidebarButton"]')
    if await unfold.count() and await unfold.first.is_visible():
        await unfold.first.click()
        await page.wait_for_timeout(300)


async def tour(browser: Any, server_url: str, paths: list[str], clicks: bool = True,
               delay_s: float = 0, timeout_s: float = 120) -> tuple[Any, list[float], int]:
    """One learner: a fresh browser context that opens every page and reruns it twice
    (the presenter toggle reruns the router and the page, whatever the page); on the
    training page it also trains one step. Without `clicks` it only opens the pages.
    It arrives after `delay_s`; each page open or action may take `timeout_s`. Returns the
    context (left open for memory readings), the rerun times, and the error boxes seen."""
    await asyncio.sleep(delay_s)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(timeout_s * 1000)  # a starved browser is slow, not broken
    page = await ctx.new_page()
    times, errors = [], 0
    for path in paths:
        _, boxes = await visit(page, page_url(server_url, path), timeout_s)
        if not clicks:
            errors += boxes
            continue
        toggle = page.get_by_text("Presenter mode")
        for _ in range(2):
            await open_sidebar(page)  # presenter mode folds it away
            times.append(await timed_click(page, toggle))
        if path == "training":
            times.append(await timed_click(page, page.locator(".st-key-tr_step button").first))
        errors += boxes + await page.locator(_ERRORS).count()
    return ctx, times, errors
