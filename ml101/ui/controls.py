"""Widgets whose values live in the URL, so a copied link reproduces the view.

Every page control goes through these: each needs a key, and the key is the
query-parameter name (keep it short and unique across pages). Presets change
values through `apply_preset`, the one way a bound widget may be set in code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from ml101.ui import deck


def _bound(widget: Callable[..., Any]) -> Callable[..., Any]:
    def control(label: str, *args: Any, key: str, **kwargs: Any) -> Any:
        deck.seed(widget, key, label, args, kwargs)  # a lecture deck's scene sets it
        value = widget(label, *args, key=key, bind="query-params", **kwargs)
        deck.remember(widget, key, label, args, kwargs, value)
        return value

    control.__name__ = widget.__name__
    control.__doc__ = f"`st.{widget.__name__}` bound to the URL parameter `key`."
    return control


slider = _bound(st.slider)
select_slider = _bound(st.select_slider)
selectbox = _bound(st.selectbox)
radio = _bound(st.radio)
segmented_control = _bound(st.segmented_control)
pills = _bound(st.pills)
multiselect = _bound(st.multiselect)
number_input = _bound(st.number_input)
text_input = _bound(st.text_input)
text_area = _bound(st.text_area)
toggle = _bound(st.toggle)
checkbox = _bound(st.checkbox)


def tabs(labels: list[str], *, key: str) -> Any:
    """Tabs whose selection is part of the URL, so a link opens the right tab."""
    deck.seed_tab(key, labels)
    return st.tabs(labels, key=key, bind="query-params", on_change="rerun")


def apply_preset(values: Mapping[str, Any]) -> None:
    """Set several controls at once; use as a button's on_click callback."""
    for key, value in values.items():
        st.session_state[key] = value


def seed_input(key: str, default: int = 0, *, container: Any = st, **kwargs: Any) -> int:
    """The seed control every page with randomness shows; 0 to 2**31 - 1.
    Extra keyword arguments (e.g. persist_state) go to st.number_input."""
    args = {"min_value": 0, "max_value": 2**31 - 1, "value": default, "step": 1,
            "help": "Same seed, same numbers: here and in the code below.", **kwargs}
    deck.seed(st.number_input, key, "Seed", (), args)  # a lecture deck's scene sets it
    value = int(container.number_input("Seed", key=key, bind="query-params", **args))
    deck.remember(st.number_input, key, "Seed", (), args, value)
    return value
