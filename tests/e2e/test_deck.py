"""The default lecture deck, played in Chromium as a presenter would: every scene opens
without an error box or a refused value, → and Space go on, ← goes back, Home goes to the
first scene. A screenshot of every scene at 1920x1080 in presenter mode lands in
artifacts/screenshots/deck-<NN>.png.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ml101.deck import load_deck
from tests.e2e.layout import SHOTS
from tests.e2e.live import CHROMIUM, error_boxes, wait_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("ML101_REQUIRE_BROWSER") != "1"
                       and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]
REFUSED = '.st-key-deck_bar [data-testid="stAlertContentWarning"]'


def _scene(url: str) -> int:
    found = re.search(r"[?&]scene=(\d+)", url)
    return int(found.group(1)) if found else 0


RETRIED: list[str] = []


def _settle(tab: Any, n: int, title: str, key: str | None = None) -> None:
    """Until scene n is open: its number in the address and its title in the bar. A scene
    that plays keeps the page running, so this does not wait for the run to end. A key
    that moved nothing in 20 s is pressed once more (and reported), as a presenter would."""
    there = f"() => /[?&]scene={n}(&|$)/.test(location.search)"
    try:
        tab.wait_for_function(there, timeout=20_000 if key else 60_000)
    except PlaywrightTimeout:
        if key is None:
            raise
        RETRIED.append(f"{key} to scene {n}")
        tab.keyboard.press(key)
        tab.wait_for_function(there, timeout=60_000)
    tab.locator(".st-key-deck_title").get_by_text(title).first.wait_for(timeout=60_000)
    with contextlib.suppress(PlaywrightTimeout):  # still playing: the picture moves on
        wait_idle(tab, timeout_ms=2_000)
    # keys go to the page, not to a focused control (a cold page may take a while to draw)
    tab.locator("h1").first.click(timeout=60_000)


@pytest.mark.timeout(900)
def test_the_lesson_deck_plays_scene_by_scene(server: str, chrome: Any) -> None:
    deck = load_deck("lesson-5")
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = chrome.new_context(viewport={"width": 1920, "height": 1080})
    tab = ctx.new_page()
    try:
        tab.goto(f"{server}/?deck=lesson-5&present=1")
        _settle(tab, 1, deck.scenes[0].title)
        for n, scene in enumerate(deck.scenes, start=1):
            assert error_boxes(tab) == [], f"scene {n} ({scene.title})"
            refused = tab.locator(REFUSED)
            assert refused.count() == 0, [refused.nth(i).inner_text()
                                          for i in range(refused.count())]
            path = "/" if scene.page == "start" else f"/{scene.page}"
            assert tab.url.split("?")[0].endswith(path), (n, tab.url)
            tab.screenshot(path=str(SHOTS / f"deck-{n:02d}.png"))
            if n < len(deck.scenes):
                key = "ArrowRight" if n % 2 else "Space"
                tab.keyboard.press(key)
                _settle(tab, n + 1, deck.scenes[n].title, key)
        tab.keyboard.press("ArrowLeft")
        _settle(tab, len(deck.scenes) - 1, deck.scenes[-2].title, "ArrowLeft")
        tab.keyboard.press("Home")
        _settle(tab, 1, deck.scenes[0].title, "Home")
        assert _scene(tab.url) == 1
        print(f"keys pressed twice: {RETRIED or 'none'}")
    finally:
        ctx.close()
