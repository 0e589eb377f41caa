"""Presenter mode: a projector view. Larger type, the sidebar folded away, explanations
folded, pictures grown (views ask `is_presenting()`), and labels that wrap instead of
being cut short."""

from __future__ import annotations

import streamlit as st

KEY = "present"
_HANDWRITTEN_TRUE = {"1", "yes", "on"}

# Every mode: a label wraps rather than ending in an ellipsis (every word must be read).
_BASE_CSS = """
<style>
[data-testid="stPageLink"] p, [data-testid="stMetricLabel"] p,
[data-testid="stSidebarNav"] span {
  white-space: normal !important; text-overflow: clip !important;
}
[data-testid="stMetricValue"] div { white-space: normal !important; overflow: visible !important; }
</style>
"""

# On a projector: larger type and room for the picture.
_PRESENTER_CSS = """
<style>
html { font-size: 21px; }
@media (max-width: 640px) { html { font-size: 16px; } }  /* a phone is no projector */
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 3.5rem 2.5rem 3rem; }
[data-testid="stMarkdownContainer"] p,
[data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCode"] code { font-size: 1rem; }
[data-testid="stWidgetLabel"] p, .stButton button p, [data-baseweb="tab"] p {
  white-space: normal !important; overflow-wrap: anywhere; text-overflow: clip !important;
}
</style>
"""


def from_url() -> bool:
    """Read presenter mode before the page is configured, so a `?present=1` link opens
    with the sidebar folded. The widget itself only understands ?present=true;
    hand-written links say 1, yes or on."""
    if st.query_params.get(KEY, "").lower() in _HANDWRITTEN_TRUE:
        st.session_state[KEY] = True
    return is_presenting()


def presenter_toggle() -> bool:
    """The sidebar switch, bound to `?present=`."""
    on = st.sidebar.toggle(
        "Presenter mode", key=KEY, bind="query-params",
        help="A projector view: larger type, folded explanations, bigger pictures. "
             "Link: add ?present=1",
    )
    st.html(_BASE_CSS + (_PRESENTER_CSS if on else ""))
    return bool(on)


def is_presenting() -> bool:
    return bool(st.session_state.get(KEY, False))
