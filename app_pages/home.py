"""Home: the lesson map."""

import streamlit as st

from ml101.lesson_map import PAGES, built_pages
from ml101.ui.layout import page_header

page_header(
    "PyTorch Basics, explorable",
    "Every idea of the lesson as something you can touch: move a slider, press a button, "
    "and real PyTorch answers.  \nFollow the pages in order, or jump to the one you need.",
)

built = {p.script for p in built_pages()}
for info in PAGES[1:]:
    if info.script not in built:
        continue
    with st.container(border=True):
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            st.page_link(str(info.path), label=f"**{info.title}**", icon=info.icon)
            st.markdown(info.summary)
        with right:
            st.caption("Lesson sections: " + " · ".join(info.lesson_sections))
