"""Usable by everyone, checked in a real browser (one server, one Chromium for the module):

- axe-core finds no serious or critical WCAG 2.2 A/AA violation on any page, as it opens
  and after one typical interaction (charts as tables on, one Step where there is a
  player); the few that Streamlit's own markup causes are listed in `a11y.ALLOWED`;
- every chart has an accessible name;
- the keyboard alone works a chart page, an animated page and a form-heavy page, with a
  visible focus ring, and the player's keys never fire while the learner types;
- a browser that asks for reduced motion gets a deck scene that waits for Play.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml101.lesson_map import PageInfo, built_pages
from tests.e2e.a11y import audit, blocking, interact, open_settled
from tests.e2e.live import CHROMIUM, chromium, live_server, page_url, wait_idle

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
def browser(server: str) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def tab(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    yield page
    page.close()


_NAMELESS_CHARTS = """() => [...document.querySelectorAll(
    '[data-testid="stVegaLiteChart"], [data-testid="stGraphVizChart"]')]
  .filter(el => !(el.getAttribute('aria-label') || '').trim()
                && !el.querySelector('[aria-label]:not([aria-hidden="true"] *)'))
  .map(el => el.getAttribute('data-testid'))"""


@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_no_serious_violation_before_or_after_an_interaction(server: str, tab: Any,
                                                             info: PageInfo) -> None:
    open_settled(tab, server, info.url_path)
    found = blocking(audit(tab))
    assert not found, f"{info.title} as it opens:\n" + "\n".join(map(str, found))
    assert tab.evaluate(_NAMELESS_CHARTS) == [], f"{info.title}: a chart without a name"
    interact(tab)
    found = blocking(audit(tab))
    assert not found, f"{info.title} after an interaction:\n" + "\n".join(map(str, found))
