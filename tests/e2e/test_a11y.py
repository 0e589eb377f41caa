"""Usable by everyone, checked in a real browser (the session's one server and one Chromium):

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
from pathlib import Path
from typing import Any

import pytest

from ml101.deck import load_deck
from ml101.lesson_map import PageInfo, built_pages
from tests.e2e.a11y import audit, blocking, interact, open_settled
from tests.e2e.live import CHROMIUM, page_url, wait_idle

_REQUIRED = os.environ.get("ML101_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not _REQUIRED and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]


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


_FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  for (let box = el; box && box !== document.body; box = box.parentElement) {
    const s = getComputedStyle(box);
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) return true;
    if (box.matches('label')) break;
  }
  return false;
}"""


def _tab_into_main(tab: Any, presses: int = 60) -> list[str]:
    """Tab from the top of the page until the focus lands in the page itself; what it met,
    each with a visible focus ring."""
    met: list[str] = []
    for _ in range(presses):
        tab.keyboard.press("Tab")
        where = tab.evaluate("() => { const e = document.activeElement;"
                             " return e.closest('[data-testid=stMain]') ? 'main' : 'elsewhere';"
                             " }")
        assert tab.evaluate(_FOCUS_RING) is not False, "a focused control without a ring"
        met.append(where)
        if where == "main":
            return met
    raise AssertionError("Tab never reached the page's own controls")


def _retype(tab: Any, field: Any, text: str) -> None:
    """Keyboard only: focus the field, select what it holds, type `text`, Enter."""
    field.focus()
    tab.keyboard.press("Control+A")
    tab.keyboard.type(text)
    tab.keyboard.press("Enter")
    wait_idle(tab)


def _map_name(tab: Any) -> str:
    return tab.locator('.st-key-op_picture [data-testid="stVegaLiteChart"]').get_attribute(
        "aria-label") or ""


def test_a_chart_page_by_keyboard_alone(server: str, tab: Any) -> None:
    """The race: Tab reaches its controls with a ring; the map's click-to-start has a
    keyboard twin, the labelled Start x input, and the map's description follows it."""
    open_settled(tab, server, "optimizers")
    _tab_into_main(tab)
    assert "start (-1, 1)" in _map_name(tab)
    _retype(tab, tab.get_by_role("spinbutton", name="Start x", exact=True), "0.5")
    assert "start (0.5, 1)" in _map_name(tab)


def _ag_step(tab: Any) -> str:
    return tab.locator('input[aria-label^="Backward step"]').input_value()


def test_an_animated_page_by_keyboard_and_its_keys_never_fire_while_typing(
        server: str, tab: Any) -> None:
    """The autograd player: N steps and B goes back from anywhere on the page, but not
    while the learner types N, B or P into a text or number field."""
    open_settled(tab, server, "autograd", "ag_step=0")
    assert _ag_step(tab) == "0"
    tab.locator("h1").click()  # focus on the page, not in a field
    tab.keyboard.press("n")
    wait_idle(tab)
    assert _ag_step(tab) == "1", "N is Step"
    field = tab.get_by_role("textbox", name="Expression", exact=True)
    field.focus()
    tab.keyboard.press("End")
    tab.keyboard.type(" npb")
    tab.wait_for_timeout(500)
    assert _ag_step(tab) == "1", "typing N, P or B in a text field moved the player"
    assert field.input_value().endswith(" npb")
    tab.keyboard.press("Escape")
    open_settled(tab, server, "optimizers")
    number = tab.get_by_role("spinbutton", name="Start x", exact=True)
    number.focus()
    before = tab.get_by_role("button", name="Play").count()
    tab.keyboard.press("p")
    tab.wait_for_timeout(500)
    assert tab.get_by_role("button", name="Play").count() == before, \
        "P in a number field pressed Play"


def test_a_form_heavy_page_by_keyboard_alone(server: str, tab: Any) -> None:
    """Training: a text field and a switch, set with Tab, typing, Enter and Space."""
    open_settled(tab, server, "training")
    _tab_into_main(tab)
    _retype(tab, tab.get_by_role("textbox", name="Hidden layer sizes", exact=True), "16, 8")
    assert "tr_hidden=16" in tab.url
    tab.get_by_role("switch", name="Charts as tables").focus()
    tab.keyboard.press("Space")
    wait_idle(tab)
    assert "tables=true" in tab.url
    assert tab.locator('[data-testid="stDataFrame"]').count() >= 1


def test_a_deck_scene_waits_for_play_when_the_browser_asks_for_less_motion(
        server: str, chrome: Any) -> None:
    """?deck=...&scene=N of a scene with play = true: it plays, unless the learner's
    browser prefers reduced motion; then it waits, says so, and Play still works."""
    deck = load_deck("lesson-5")
    n, scene = next((i, s) for i, s in enumerate(deck.scenes, start=1) if s.play)
    for motion in ("reduce", "no-preference"):
        ctx = chrome.new_context(viewport={"width": 1440, "height": 900},
                                  reduced_motion=motion)
        page = ctx.new_page()
        page.goto(page_url(server, "start", f"deck=lesson-5&scene={n}"))
        wait_idle(page)
        page.wait_for_timeout(1000)
        held = page.get_by_text("asks for reduced motion").count() == 1
        if motion == "reduce":  # still paused a second later, and it says why
            assert held and page.get_by_role("button", name="Pause").count() == 0, \
                f"scene '{scene.title}' moved for a browser that asks for reduced motion"
        else:  # it played (a short walk may be over already)
            assert not held
        ctx.close()
