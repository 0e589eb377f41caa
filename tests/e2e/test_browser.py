"""A real browser opens every page against `streamlit run` and finds no error box.

Screenshots land in artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml101.lesson_map import PageInfo, built_pages
from tests.e2e.live import CHROMIUM, ROOT, chromium, error_boxes, live_server, page_url, wait_idle

SHOTS = ROOT / "artifacts" / "screenshots"
_REQUIRED = os.environ.get("ML101_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not _REQUIRED and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server(env={"ML101_TORCH_THREADS": "1"}) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def tab(server: str) -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1400, "height": 1000})


@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_page_renders_in_a_real_browser(server: str, tab: Any, info: PageInfo) -> None:
    tab.goto(page_url(server, info.url_path))
    wait_idle(tab)
    tab.wait_for_selector("h1", timeout=30_000)
    assert error_boxes(tab) == [], info.title
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{info.url_path}.png"), full_page=True)


def test_presenter_mode_link_enlarges_type(server: str, tab: Any) -> None:
    size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    tab.goto(page_url(server, "start"))
    wait_idle(tab)
    normal = tab.evaluate(size)
    tab.goto(page_url(server, "start", "present=1"))
    wait_idle(tab)
    assert tab.evaluate(size) > normal
    assert error_boxes(tab) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / "presenter-mode.png"))
