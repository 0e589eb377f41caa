"""A real browser opens every page against `streamlit run`, at a laptop, a projector in
presenter mode and a phone: no error box, the main picture in the first screen with the
controls that move it, and no label cut short.

Screenshots land in artifacts/screenshots/<page>-<viewport>.png for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ml101.lesson_map import PageInfo, built_pages
from tests.e2e.layout import VIEWPORTS, Viewport, measure
from tests.e2e.live import CHROMIUM, error_boxes, page_url, wait_idle

_REQUIRED = os.environ.get("ML101_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not _REQUIRED and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]


@pytest.mark.parametrize("vp", VIEWPORTS, ids=lambda v: v.name)
@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_picture_first(server: str, tab: Any, info: PageInfo, vp: Viewport) -> None:
    m = measure(tab, server, info, vp)
    assert m.errors == (), f"{info.title} ({vp.name}): {m.errors}"
    assert m.picture_top is not None, f"{info.title}: no element keyed {info.prefix}_picture"
    if vp.phone:
        assert m.picture_top < 1.5 * vp.height, \
            f"{info.title} on a phone: the picture starts {m.picture_top:.0f}px down"
    else:
        assert m.visible_share >= 0.5, \
            f"{info.title} ({vp.name}): only {m.visible_share:.0%} of the picture in view"
    assert m.clipped == (), f"{info.title} ({vp.name}): labels cut short: {m.clipped}"


def test_presenter_mode_link_enlarges_type(server: str, tab: Any) -> None:
    size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    tab.set_viewport_size({"width": 1440, "height": 900})
    tab.goto(page_url(server, "start"))
    wait_idle(tab)
    normal = tab.evaluate(size)
    tab.goto(page_url(server, "start", "present=1"))
    wait_idle(tab)
    assert tab.evaluate(size) > normal
    assert error_boxes(tab) == []
