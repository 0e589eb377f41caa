"""Every widget on every page, pushed to its extremes and fed odd values: no exception.

Bad input may be answered with an st.error (that is the point), never with a crash.
Widgets are discovered from the running page, so new controls are covered for free.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ml101.lesson_map import built_pages
from tests.conftest import open_page

HOSTILE_TEXT = [
    "",
    " ",
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "9**9**9",
    "[" * 200 + "]" * 200,
    "1e309",
    "-0",
    "nan",
    "x" * 5000,
    "[[1, 2], [3]]",
    "ß∑😀",
]


def _odd_values(widget: Any) -> Iterator[Any]:
    kind = type(widget).__name__
    if kind in {"Slider", "SelectSlider"}:
        proto = widget.proto
        if kind == "Slider":
            lo, hi = proto.min, proto.max
            cast = int if proto.data_type in (0, 1) else float  # INT / (FLOAT, DATE...)
            value = widget.value
            if isinstance(value, tuple):
                yield (cast(lo), cast(lo))
                yield (cast(hi), cast(hi))
            else:
                yield cast(lo)
                yield cast(hi)
        else:
            options = list(widget.options)
            yield from {options[0], options[-1]}
    elif kind == "NumberInput":
        proto = widget.proto
        lo = proto.min if proto.has_min else -1e12
        hi = proto.max if proto.has_max else 1e12
        is_int = proto.data_type == proto.INT
        yield int(lo) if is_int else lo
        yield int(hi) if is_int else hi
        if not is_int:
            yield 0.0
    elif kind in {"Selectbox", "Radio"}:
        yield from widget.options
    elif kind == "Multiselect":
        yield []
        yield list(widget.options)
    elif kind in {"TextInput", "TextArea"}:
        limit = widget.proto.max_chars or None
        for text in HOSTILE_TEXT:
            yield text[:limit] if limit else text
    elif kind in {"Toggle", "Checkbox"}:
        yield not widget.value
        yield widget.value


def _setter(widget: Any, value: Any) -> Any:
    kind = type(widget).__name__
    if kind in {"Selectbox", "Radio"}:
        return widget.set_value(value)
    if kind in {"TextInput", "TextArea"}:
        return widget.input(value)
    return widget.set_value(value)


KINDS = ("slider", "select_slider", "number_input", "selectbox", "radio", "multiselect",
         "text_input", "text_area", "toggle", "checkbox")


def _find(at: Any, key: str) -> Any | None:
    """The enabled widget with this key, if the page shows it now."""
    return next((w for kind in KINDS for w in getattr(at, kind)
                 if w.key == key and not getattr(w.proto, "disabled", False)), None)


@pytest.mark.parametrize("info", built_pages(), ids=lambda p: p.url_path)
def test_every_widget_survives_its_extremes(info: Any) -> None:
    at = open_page(info.url_path)
    keys = [w.key for kind in KINDS for w in getattr(at, kind) if w.key]
    for key in keys:
        widget = _find(at, key)
        values = list(_odd_values(widget)) if widget is not None else []
        for value in values:
            widget = _find(at, key)
            if widget is None:  # an earlier change hid this control: fine
                break
            _setter(widget, value).run()
            assert not at.exception, (
                f"{info.title}: {key}={value!r} raised {[e.value for e in at.exception]}")
