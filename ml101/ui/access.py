"""Usable without a mouse, without sight and without motion: the app-wide pieces.

- CSS that Streamlit's theme cannot set: a focus ring on everything the keyboard reaches,
  and captions and shortcut hints at full strength (Streamlit fades them to 4.2:1).
- "Charts as tables": a sidebar switch (`?tables=1`) under which every chart drawn with
  `layout.chart` is followed by the numbers it plots.
- Reduced motion: the browser's `prefers-reduced-motion`, which no request header or
  `st.context` field carries, read by a tiny JavaScript-only component and kept in
  session state; the player then never starts on its own (a deck scene's `play = true`
  waits for Play).
"""

from __future__ import annotations

import streamlit as st
import streamlit.components.v2 as components

TABLES = "tables"  # the switch's key and URL parameter
MOTION = "motion"  # the probe's key; its state: {"reduce": bool}

CSS = """
<style>
/* Streamlit fades captions and shortcut hints with opacity 0.6 (4.2:1 on white). */
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #555A64 !important; }
kbd { opacity: 1 !important; }
/* One focus ring, 3px and 7:1 on white, wherever the keyboard is; switches, checkboxes
   and slider thumbs focus a hidden input, so their visible part carries it. */
:focus-visible, [data-focus-visible="true"], label[data-rac]:has(input:focus-visible),
[data-baseweb="checkbox"]:has(input:focus-visible),
[data-baseweb="radio"]:has(input:focus-visible),
[data-testid="stExpander"] summary:focus-visible {
  outline: 3px solid #0B57D0 !important; outline-offset: 2px !important;
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition-duration: 0s !important; animation-duration: 0s !important;
                           scroll-behavior: auto !important; }
}
</style>
"""

_PROBE_JS = """
export default function ({ setStateValue }) {
  const query = window.matchMedia("(prefers-reduced-motion: reduce)");
  const report = () => setStateValue("reduce", query.matches);
  report();
  query.addEventListener("change", report);
  return () => query.removeEventListener("change", report);
}
"""
_probe = components.component("ml101_motion", js=_PROBE_JS)


def sidebar() -> None:
    """The app-wide CSS, the tables switch and the motion probe; the router calls it once
    per run, in the sidebar."""
    st.html(CSS)
    st.toggle("Charts as tables", key=TABLES, bind="query-params",
              help="Under every chart, the numbers it draws, for a screen reader or a "
                   "closer look. Link: add ?tables=true")
    _probe(key=MOTION, default={"reduce": None}, on_reduce_change=lambda: None,
           height=0)


def tables_on() -> bool:
    return bool(st.session_state.get(TABLES, False))


def will_report() -> bool:
    """Whether a browser is on the other end, whose probe reports on its first run (an
    AppTest, say, has none)."""
    return "User-Agent" in st.context.headers


def reduced_motion() -> bool | None:
    """True if the learner's browser asks for reduced motion, None until it has said."""
    probe = st.session_state.get(MOTION)
    return None if probe is None else probe.get("reduce")
