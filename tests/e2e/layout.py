"""What a learner sees on the first screen, measured in Chromium: where the page's main
picture sits and which visible labels are cut short.

Each view marks its main picture with a container keyed `<prefix>_picture` (Streamlit
gives it the class `st-key-<prefix>_picture`). Run as a script to look at one or all
pages at the three viewports and save screenshots:

    python -m tests.e2e.layout [url_path ...]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from ml101.lesson_map import PageInfo, built_pages
from tests.e2e.live import ROOT, chromium, error_boxes, live_server, page_url, wait_idle

SHOTS = ROOT / "artifacts" / "screenshots"


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    query: str = ""

    @property
    def phone(self) -> bool:
        return self.width < 640


VIEWPORTS = (
    Viewport("laptop", 1440, 900),
    Viewport("projector", 1920, 1080, "present=1"),
    Viewport("phone", 390, 844),
)

# Text that is cut short: an element showing text whose content is wider (or taller)
# than its box while the box hides the rest. Code blocks and tables scroll on purpose,
# and chart text is drawn by Vega (its own limits are set in the specs).
_CLIPPED = """() => {
  const skip = '[data-testid="stCode"], [data-testid="stDataFrame"], [data-testid="stTable"],'
             + ' [data-testid="stVegaLiteChart"], [data-testid="stGraphVizChart"], svg, canvas,'
             + ' [data-testid="stTooltipContent"], [role="listbox"], [data-baseweb="popover"],'
             + ' .katex-mathml, [data-testid="stExpanderDetails"]:not([open] *)';
  const hides = s => ['hidden', 'clip', 'auto', 'scroll'].includes(s.overflowX)
                     || s.textOverflow === 'ellipsis';
  const shown = el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0';
  };
  const cut = new Set();
  const roots = document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]');
  for (const root of roots) {
    if (!shown(root)) continue;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el || el.closest(skip) || !shown(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const r = range.getBoundingClientRect();
      if (r.width === 0) continue;
      for (let box = el; box && box !== root; box = box.parentElement) {
        const s = getComputedStyle(box);
        if (!hides(s)) continue;
        const b = box.getBoundingClientRect();
        const wider = box.scrollWidth > box.clientWidth + 1;
        if (wider && (r.right > b.right + 1 || r.left < b.left - 1
                      || s.textOverflow === 'ellipsis')) {
          cut.add(text.slice(0, 80));
          break;
        }
      }
    }
  }
  return [...cut];
}"""

_PICTURE = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: r.top + window.scrollY, height: r.height, width: r.width};
}"""


@dataclass(frozen=True)
class Measure:
    page: str
    viewport: str
    picture_top: float | None  # px from the top of the document
    picture_height: float
    screen_height: int
    clipped: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def visible_share(self) -> float:
        """How much of the picture's height lies inside the first screen."""
        if self.picture_top is None or self.picture_height <= 0:
            return 0.0
        inside = min(self.picture_top + self.picture_height, self.screen_height)
        return max(0.0, inside - self.picture_top) / self.picture_height


def measure(tab: Any, server: str, info: PageInfo, vp: Viewport, shot: bool = True
            ) -> Measure:
    """Open `info` at the viewport, let it settle, and measure it."""
    tab.set_viewport_size({"width": vp.width, "height": vp.height})
    tab.goto(page_url(server, info.url_path, vp.query))
    wait_idle(tab)
    tab.wait_for_selector("h1", timeout=30_000)
    tab.wait_for_timeout(400)  # charts lay themselves out after the run
    box = tab.evaluate(_PICTURE, f".st-key-{info.prefix}_picture")
    clipped = tuple(tab.evaluate(_CLIPPED))
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{info.url_path}-{vp.name}.png"))
    return Measure(info.url_path, vp.name, None if box is None else box["top"],
                   0.0 if box is None else box["height"], vp.height, clipped,
                   tuple(error_boxes(tab)))


def main(paths: list[str]) -> None:
    pages = [p for p in built_pages() if not paths or p.url_path in paths]
    with live_server(env={"ML101_TORCH_THREADS": "1"}) as srv, chromium() as browser:
        tab = browser.new_page()
        for info in pages:
            for vp in VIEWPORTS:
                m = measure(tab, srv.url, info, vp)
                where = ("no picture marked" if m.picture_top is None else
                         f"picture top {m.picture_top:.0f}px, {m.visible_share:.0%} in view")
                print(f"{info.url_path:<15} {vp.name:<10} {where}; clipped: {list(m.clipped)}"
                      + (f"; ERRORS {list(m.errors)}" if m.errors else ""))
    print(f"screenshots in {SHOTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
