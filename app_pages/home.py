"""Home: the lesson map."""

import streamlit as st

from ml101.lesson_map import built_pages
from ml101.ui.layout import page_header

page_header(
    "PyTorch Basics, explorable",
    "Every idea of the lesson as something you can touch: move a slider, press a button, "
    "and real PyTorch answers.  \nFollow the pages in order, or jump to the one you need.",
)

for step, info in enumerate(built_pages()[1:], start=1):
    with st.container(border=True):
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            st.page_link(str(info.path), label=f"**{step}. {info.title}**", icon=info.icon)
            st.markdown(info.summary)
        with right:
            st.caption("Lesson sections: " + " · ".join(info.lesson_sections))
