"""A real browser opens every page against `streamlit run` and finds no error box.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright through
`executable_path`; Playwright never downloads a browser. Screenshots land in
artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml101.lesson_map import built_pages

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("ML101_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

_REQUIRED = os.environ.get("ML101_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not _REQUIRED and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "ML101_TORCH_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not become healthy in 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def wait_idle(page: object, timeout_ms: int = 60_000) -> None:
    """Until the script has finished its run and the page has settled."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout_ms)
    page.wait_for_timeout(400)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout_ms)


def assert_no_error_boxes(page: object, where: str) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()}"
    assert errors.count() == 0, f"{where}: {errors.first.inner_text()}"


@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_page_renders_in_a_real_browser(server: str, browser_page: object, info) -> None:
    page = browser_page
    url = server + ("/" if info.url_path == "start" else f"/{info.url_path}")
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector("h1", timeout=30_000)
    assert_no_error_boxes(page, info.title)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{info.url_path}.png"), full_page=True)


def test_presenter_mode_link_enlarges_type(server: str, browser_page: object) -> None:
    page = browser_page
    size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    page.goto(server + "/")
    wait_idle(page)
    normal = page.evaluate(size)
    page.goto(server + "/?present=1")
    wait_idle(page)
    assert page.evaluate(size) > normal
    assert_no_error_boxes(page, "presenter mode")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "presenter-mode.png"))
