"""One `streamlit run` and one Chromium for every browser test that needs no server of its
own: pages open cold only once per run (some train or measure on their first open), so the
browser checks pay that once instead of once per module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.live import chromium, live_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every test on the shared server goes to one worker, and first:
    together they are the longest chain of the run."""
    shared = [item for item in items if "server" in getattr(item, "fixturenames", ())]
    for item in shared:
        item.add_marker(pytest.mark.xdist_group("browser"))
    items[:] = shared + [item for item in items if item not in shared]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    with live_server(env={"ML101_TORCH_THREADS": "1"}) as srv:
        yield srv.url


@pytest.fixture(scope="session")
def chrome(server: str) -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def tab(chrome: Any) -> Iterator[Any]:
    page = chrome.new_page(viewport={"width": 1440, "height": 900})
    yield page
    page.close()
