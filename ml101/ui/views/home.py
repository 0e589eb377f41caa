"""Home: the lesson map. Its picture is the map itself, one column per part of the lesson
(tensors, gradients, networks, training), each page a card in the order the lesson teaches."""

from __future__ import annotations

import streamlit as st

from ml101.lesson_map import built_pages


def lesson_map() -> None:
    """Every built page as a numbered card under its part of the lesson."""
    pages = built_pages()[1:]
    parts: dict[str, list[tuple[int, object]]] = {}
    for step, info in enumerate(pages, start=1):
        parts.setdefault(info.section, []).append((step, info))
    with st.container(key="home_picture"):
        for col, (part, items) in zip(st.columns(len(parts)), parts.items(), strict=True):
            with col:
                st.subheader(part)
                for step, info in items:
                    with st.container(border=True):
                        st.page_link(str(info.path), label=f"**{step}. {info.title}**",
                                     icon=info.icon)
                        st.markdown(info.summary)
                        st.caption("Lesson: " + " · ".join(info.lesson_sections))
