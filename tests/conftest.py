"""Shared fixtures: AppTest on any page of the navigation."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("ML101_TORCH_THREADS", "1")

from streamlit.testing.v1 import AppTest

from ml101 import runtime
from ml101.lesson_map import page_by_url

# Core tests run under the app's own thread policy too: the tensors are tiny, and on a
# busy machine a second OpenMP thread makes an epoch some 30 times slower.
runtime.configure()

ROOT = Path(__file__).resolve().parent.parent
OpenPage = Callable[..., AppTest]


def open_page(url_path: str, timeout: float = 60, **query: str) -> AppTest:
    """Run the app on one page, as a browser opening /url_path?query would."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()  # the router registers the pages; switching needs that first
    at.query_params.update(query)
    if url_path != "start" or query:
        at.switch_page(page_by_url(url_path).script).run()
    return at


@pytest.fixture
def open_app() -> OpenPage:
    return open_page


def shown_text(at: AppTest) -> str:
    """Everything a user can read on the page, as one string, for assertions."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "code", "text", "error", "warning", "info", "success",
                 "metric", "latex", "title", "header", "subheader"):
        for el in getattr(at, kind):
            value = getattr(el, "value", None)
            parts.append(str(value if value is not None else getattr(el, "body", "")))
            label = getattr(el, "label", None)
            if label:
                parts.append(str(label))
    for df in at.dataframe:
        parts.append(df.value.to_string())
    for tbl in at.table:
        parts.append(tbl.value.to_string())
    return "\n".join(parts)


def widget_keys(at: AppTest) -> set[str]:
    """The user-given key of every element on the page (widgets, keyed charts, buttons)."""
    keys: set[str] = set()
    stack = [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None)
        if key:
            keys.add(str(key))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return keys


def assert_clean(at: AppTest) -> None:
    """No exception and no error box: what a learner should see by default."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def run_script(code: str) -> tuple[dict, str]:
    """Run a page's "Show the code" script: its namespace and what it printed."""
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, ns)
    return ns, out.getvalue()
