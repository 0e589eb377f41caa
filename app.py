"""ML101 Explorables: the router. Page config, navigation, shared sidebar."""

from __future__ import annotations

import streamlit as st

from ml101 import runtime
from ml101.lesson_map import built_pages
from ml101.ui import access, deck, presenter

runtime.configure()

st.set_page_config(
    page_title="ML101 Explorables: PyTorch Basics",
    page_icon=":material/school:",
    layout="wide",
    # A projector link opens with the sidebar folded: the picture gets the whole screen.
    initial_sidebar_state="collapsed" if presenter.from_url() else "auto",
)

sections: dict[str, list[st.Page]] = {}
for info in built_pages():
    page = st.Page(
        str(info.path), title=info.title, icon=info.icon,
        url_path=info.url_path, default=info.url_path == "start",
    )
    sections.setdefault(info.section, []).append(page)

nav = st.navigation(sections)
shown = nav.url_path or "start"
playing = deck.follow(shown)  # a lecture deck in the link opens its scene first

with st.sidebar:
    presenter.presenter_toggle()
    access.sidebar()  # focus ring, charts as tables, reduced motion
    deck.chooser()
    st.caption(
        "Lesson 5 of ML101, made explorable. Every number here comes from real "
        "PyTorch running on this server's CPU."
    )

# A run on the page the session was already on is a rerun (a control changed), else an
# open; the load benchmark reports the two apart.
kind = "rerun" if st.session_state.get("ml101_shown") == shown else "open"
st.session_state["ml101_shown"] = shown
with runtime.logged_run(shown, kind):
    nav.run()
    if playing:
        deck.bar(*playing, shown)
with st.sidebar:
    deck.copy_scene(shown)
