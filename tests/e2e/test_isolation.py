"""Two learners on one server never see each other's state.

Both open the autograd page's gradient-accumulation demo, whose leaf tensors live in
each session's st.session_state, and press backward a different number of times.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import CHROMIUM, error_boxes, page_url, wait_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("ML101_REQUIRE_BROWSER") != "1"
                       and not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed"),
]

DEMO = "ag_tab=Gradient+accumulation&ag_expr=y1+%3D+x**2&ag_vars=x+%3D+3.0"


@pytest.fixture(scope="module")
def two_learners(server: str, chrome: Any) -> Iterator[tuple[Any, Any]]:
    contexts = [chrome.new_context(viewport={"width": 1400, "height": 1000})
                for _ in range(2)]
    pages = []
    for ctx in contexts:
        page = ctx.new_page()
        page.goto(page_url(server, "autograd", DEMO))
        wait_idle(page)
        pages.append(page)
    yield pages[0], pages[1]
    for ctx in contexts:
        ctx.close()


def press(page: Any, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    wait_idle(page)


def grad_now(page: Any) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text="x.grad now")
    text = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return re.sub(r"\s+", "", text)


def test_two_sessions_accumulate_their_own_gradients(two_learners: tuple[Any, Any]) -> None:
    alice, bob = two_learners
    press(alice, "y1.backward()")
    press(alice, "y1.backward()")
    assert grad_now(alice) == "12"
    press(bob, "y1.backward()")
    assert grad_now(bob) == "6", "Bob's gradient must not start from Alice's"
    press(alice, "y2.backward()")
    assert grad_now(alice) == "13", "Alice's gradient must not include Bob's press"
    assert error_boxes(alice) == [] and error_boxes(bob) == []
