"""axe-core (the copy `axe-playwright-python` ships) against a live page: the serious and
critical WCAG 2.2 A/AA violations the app's own markup, theme and charts cause.

Streamlit's own markup has a few that no app can avoid; each is listed in ALLOWED with
the reason and the upstream issue, matched by rule and by the element it sits in.
Run as a script to count violations on every page (before/after comparisons):

    python -m tests.e2e.a11y [url_path ...]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ml101.lesson_map import built_pages
from tests.e2e.live import chromium, live_server, page_url, wait_idle

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("critical", "serious")

# (rule, the element a violating node lies in): why the app cannot avoid it.
ALLOWED: dict[tuple[str, str], str] = {
    ("list", '[data-testid="stSidebarNav"]'):
        "st.navigation with sections wraps each section's header and <li>s in a <div> "
        "directly inside the <ul> (Streamlit's SidebarNav; no option changes it)",
    ("listitem", '[data-testid="stSidebarNav"]'):
        "the same: each page's <li> has that <div>, not the <ul>, as its parent",
}

_INSIDE = "([sel, region]) => !!document.querySelector(sel)?.closest(region)"


@dataclass(frozen=True)
class Finding:
    rule: str
    impact: str
    target: str
    html: str
    message: str

    def __str__(self) -> str:
        return f"{self.impact} {self.rule} at {self.target}: {self.html[:160]} | {self.message}"


def audit(tab: Any, allowed: dict[tuple[str, str], str] = ALLOWED) -> list[Finding]:
    """Every violation axe finds on the page as it is now, `allowed` ones left out."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(tab, options={"runOnly": {"type": "tag", "values": TAGS},
                                     "resultTypes": ["violations"]})
    found = []
    for v in result.response["violations"]:
        for node in v["nodes"]:
            target = str(node["target"][-1])
            if any(rule == v["id"] and tab.evaluate(_INSIDE, [target, region])
                   for rule, region in allowed):
                continue
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            found.append(Finding(v["id"], node.get("impact") or v["impact"], target,
                                 node["html"], checks[0]["message"] if checks else ""))
    return found


def blocking(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.impact in BLOCKING]


def open_settled(tab: Any, server: str, url_path: str, query: str = "") -> None:
    tab.goto(page_url(server, url_path, query))
    wait_idle(tab)
    tab.wait_for_selector("h1", timeout=30_000)
    tab.wait_for_timeout(400)  # charts lay themselves out after the run


def interact(tab: Any) -> None:
    """One typical interaction on any page: charts as tables on (every chart then shows
    its numbers), and one Step where the page has a player."""
    tab.get_by_text("Charts as tables").click()
    wait_idle(tab)
    step = tab.locator('[class*="_step"] button:has-text("Step"), '
                       '.stButton button:has-text("Step")').first
    if step.count() and step.is_enabled():
        step.click()
        wait_idle(tab)
    tab.wait_for_timeout(400)


def main(paths: list[str]) -> None:
    """`--raw` counts the allowed violations too."""
    allowed = {} if "--raw" in paths else ALLOWED
    paths = [p for p in paths if p != "--raw"]
    pages = [p for p in built_pages() if not paths or p.url_path in paths]
    total: Counter[tuple[str, str]] = Counter()
    with live_server(env={"ML101_TORCH_THREADS": "1"}) as srv, chromium() as browser:
        tab = browser.new_page(viewport={"width": 1440, "height": 900})
        for info in pages:
            for when in ("default", "after"):
                if when == "default":
                    open_settled(tab, srv.url, info.url_path)
                else:
                    interact(tab)
                found = audit(tab, allowed)
                counts = Counter((f.impact, f.rule) for f in found)
                total.update(counts)
                print(f"{info.url_path:<15} {when:<8} {dict(counts)}")
                for f in blocking(found):
                    print("   ", f)
    print("total", dict(total))


if __name__ == "__main__":
    main(sys.argv[1:])
