"""Every page in the navigation opens cleanly, in both modes; new pages join automatically."""

from __future__ import annotations

import pytest

from ml101.lesson_map import built_pages
from tests.conftest import OpenPage, assert_clean, widget_keys

PAGES = [p.url_path for p in built_pages()]


@pytest.mark.parametrize("url_path", PAGES)
def test_page_opens_without_errors(open_app: OpenPage, url_path: str) -> None:
    at = open_app(url_path)
    assert_clean(at)
    assert at.title, "every page starts with its title"


@pytest.mark.parametrize("url_path", PAGES)
def test_presenter_mode_from_the_url(open_app: OpenPage, url_path: str) -> None:
    at = open_app(url_path, present="1")
    assert_clean(at)
    assert at.sidebar.toggle(key="present").value is True
    for exp in at.expander:
        if exp.label.startswith("What is going on") or exp.label.startswith("Why"):
            assert not exp.proto.expanded, f"explanation '{exp.label}' stays folded"


ROUTER_KEYS = {"present", "tables", "motion"}  # the sidebar's switches, on every page


@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_every_control_carries_its_pages_prefix(open_app: OpenPage, info) -> None:
    """A key is its URL parameter: one page's keys never collide with another's."""
    keys = {k for k in widget_keys(open_app(info.url_path)) - ROUTER_KEYS
            if not k.startswith("deck_")}  # the router's lecture-deck controls
    stray = sorted(k for k in keys if not k.startswith(info.prefix + "_"))
    assert not stray, f"{info.title}: keys without the prefix {info.prefix}_: {stray}"


def test_prefixes_are_distinct() -> None:
    prefixes = [p.prefix for p in built_pages()]
    assert len(set(prefixes)) == len(prefixes)


def test_navigation_follows_the_lesson_order() -> None:
    from ml101.lesson_map import PAGES as ALL

    sections = [p.section for p in ALL]
    assert sections == sorted(sections, key=["Start", "Tensors", "Gradients", "Networks",
                                             "Training"].index)
    assert built_pages()[0].url_path == "start"


def test_home_links_every_built_page(open_app: OpenPage) -> None:
    at = open_app("start")
    linked = {link.proto.page for link in at.get("page_link")}
    assert linked == {info.url_path for info in built_pages()[1:]}



def test_no_magic_pages_folder() -> None:
    """Streamlit still scans a folder named pages/ beside app.py even under st.navigation:
    deep links then pop a "Page not found" dialog that blocks the page, and AppTest runs
    page files without the router. Our page scripts live in app_pages/ instead."""
    from tests.conftest import ROOT

    assert not (ROOT / "pages").exists()
