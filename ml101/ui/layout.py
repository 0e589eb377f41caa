"""The pieces every page is built from: header, the stage (the picture beside the controls
that move it), explanations, the code panel."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ml101.ui.presenter import is_presenting

# The main picture's width in pixels: at 1440x900 it leaves room for a column of controls
# beside it; on a projector (presenter mode, sidebar folded) it grows.
PICTURE_PX = 560
PICTURE_PRESENT_PX = 760


def page_header(title: str, intro: str) -> None:
    """Title plus the two-line 'what you will see' intro."""
    st.title(title)
    st.markdown(intro)


def stage(controls: float = 1.0, picture: float = 1.6
           ) -> tuple[DeltaGenerator, DeltaGenerator]:
    """The first screen: (picture, controls) side by side. The picture comes first, so a
    phone, which stacks columns, shows it before the settings; a projector widens it."""
    grow = 1.3 if is_presenting() else 1.0
    return tuple(st.columns([picture * grow, controls], gap="medium"))  # type: ignore[return-value]


def picture_px() -> int:
    """How wide the main picture is drawn: wider on a projector."""
    return PICTURE_PRESENT_PX if is_presenting() else PICTURE_PX


def explain(body: str, title: str = "What is going on?") -> None:
    """An explanation: open for a learner, folded in presenter mode."""
    with st.expander(title, expanded=not is_presenting(), icon=":material/lightbulb:"):
        st.markdown(body)


def show_code(code: str, *, title: str = "Show the code") -> None:
    """Runnable PyTorch code for the current settings; it reproduces the numbers shown."""
    with st.expander(title, icon=":material/code:"):
        st.caption("Copy it into a Python file: it prints the numbers on this page.")
        st.code(code, language="python")

