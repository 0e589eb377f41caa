"""Presenter mode: bigger type for a projector, explanations folded away."""

from __future__ import annotations

import streamlit as st

KEY = "present"
_HANDWRITTEN_TRUE = {"1", "yes", "on"}

_CSS = """
<style>
html { font-size: 21px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-top: 2rem; }
[data-testid="stMarkdownContainer"] p,
[data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCode"] code { font-size: 1rem; }
</style>
"""


def presenter_toggle() -> bool:
    """The sidebar switch; `?present=1` (or `true`) in a link turns it on."""
    # The widget itself only understands ?present=true; hand-written links say 1, yes, on.
    if st.query_params.get(KEY, "").lower() in _HANDWRITTEN_TRUE:
        st.session_state[KEY] = True
    on = st.sidebar.toggle(
        "Presenter mode", key=KEY, bind="query-params",
        help="Larger type and folded explanations, for a projector. Link: add ?present=1",
    )
    if on:
        st.html(_CSS)
    return bool(on)


def is_presenting() -> bool:
    return bool(st.session_state.get(KEY, False))
