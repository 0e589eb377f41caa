"""The pieces every page is built from: header, explanations, the code panel."""

from __future__ import annotations

import streamlit as st

from ml101.ui.presenter import is_presenting


def page_header(title: str, intro: str) -> None:
    """Title plus the two-line 'what you will see' intro."""
    st.title(title)
    st.markdown(intro)


def explain(body: str, title: str = "What is going on?") -> None:
    """An explanation: open for a learner, folded in presenter mode."""
    with st.expander(title, expanded=not is_presenting(), icon=":material/lightbulb:"):
        st.markdown(body)


def show_code(code: str, *, title: str = "Show the code") -> None:
    """Runnable PyTorch code for the current settings; it reproduces the numbers shown."""
    with st.expander(title, icon=":material/code:"):
        st.caption("Copy it into a Python file: it prints the numbers on this page.")
        st.code(code, language="python")

