"""A learner's own data in a real browser: clicks on the drawing plane add points where
the pointer is (DataLoader viewer and Training pipeline), the link follows the drawing,
and a CSV chosen in the file dialog becomes the dataset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ml101 import own_data
from tests.e2e.live import CHROMIUM, error_boxes, page_url, wait_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("ML101_REQUIRE_BROWSER") != "1"
                       and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser_and_server(chrome: Any, server: str) -> tuple[Any, str]:
    return chrome, server


def _open(browser: Any, url: str) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(url)
    wait_idle(page)
    page.wait_for_timeout(500)  # Vega lays the chart out after the run
    return page


def _click_plane(page: Any, prefix: str, fx: float, fy: float) -> None:
    """Click at a fraction of the plane's plotting area (Vega's own group of marks)."""
    chart = page.locator(f'[class*="st-key-{prefix}_plane_"]').first
    box = chart.locator("canvas.marks, svg.marks").first.bounding_box()
    before = page.url
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    # the click reruns the chart's part, which reruns the page, which writes the link
    page.wait_for_function("u => window.location.href !== u", arg=before, timeout=20_000)
    wait_idle(page)


def _points_in_link(page: Any, key: str) -> list[own_data.Point]:
    from urllib.parse import parse_qs, urlparse

    values = parse_qs(urlparse(page.url).query).get(key, [""])
    return own_data.decode_points(values[0])


def test_clicks_on_the_dataloader_plane_add_points_and_the_link_follows(
        browser_and_server: tuple[Any, str]) -> None:
    browser, url = browser_and_server
    page = _open(browser, page_url(url, "dataloader", "dl_ds=draw"))
    assert "no points yet" in page.inner_text('[data-testid="stMain"]')
    _click_plane(page, "dl", 0.3, 0.3)
    _click_plane(page, "dl", 0.7, 0.6)
    assert len(_points_in_link(page, "dl_pts")) == 2
    page.locator(".st-key-dl_pen button").filter(has_text="1").click()  # class 1's pen
    wait_idle(page)
    _click_plane(page, "dl", 0.5, 0.65)
    _click_plane(page, "dl", 0.5, 0.65)  # the same place twice: two points
    points = _points_in_link(page, "dl_pts")
    assert [c for *_, c in points] == [0, 0, 1, 1] and points[2] == points[3]
    (x0, y0, _), (x1, y1, _) = points[:2]
    assert x0 < x1 and y0 > y1  # left of and above the second click: where the pointer was
    assert "4 points" in page.inner_text('[data-testid="stMain"]')
    assert error_boxes(page) == []


def test_a_click_on_the_training_boundary_adds_a_point_and_starts_afresh(
        browser_and_server: tuple[Any, str]) -> None:
    browser, url = browser_and_server
    points = [(i - 15, (7 * i) % 41 - 20, int(i > 14)) for i in range(30)]
    page = _open(browser, page_url(url, "training", "tr_data=Points+you+draw&tr_bs=8&tr_pts="
                                   + own_data.encode_points(points)))
    _click_plane(page, "tr", 0.5, 0.5)
    assert len(_points_in_link(page, "tr_pts")) == 31
    assert "31 points" in page.inner_text('[data-testid="stMain"]')
    assert error_boxes(page) == []


def test_a_csv_from_the_file_dialog_becomes_the_dataset(
        browser_and_server: tuple[Any, str], tmp_path: Path) -> None:
    browser, url = browser_and_server
    page = _open(browser, page_url(url, "dataloader"))
    (tmp_path / "fruit.csv").write_bytes(own_data.example_csv())
    page.get_by_role("button", name="Your data").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        str(tmp_path / "fruit.csv"))
    page.wait_for_timeout(500)
    wait_idle(page)
    page.keyboard.press("Escape")
    text = page.inner_text('[data-testid="stMain"]')
    assert "150 rows of 4 features from fruit.csv" in text
    assert error_boxes(page) == []
