"""The pieces every page is built from: header, the stage (the picture beside the controls
that move it), charts with their text alternatives, explanations, the code panel."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ml101.ui import access, deck
from ml101.ui.presenter import is_presenting

# The main picture's width in pixels: at 1440x900 it leaves room for a column of controls
# beside it; on a projector (presenter mode, sidebar folded) it grows.
PICTURE_PX = 560
PICTURE_PRESENT_PX = 760


def page_header(title: str, intro: str) -> None:
    """Title plus the two-line 'what you will see' intro. A deck on a projector says its
    own sentence in the scene bar, so the intro gives the picture its height."""
    st.title(title)
    if not (is_presenting() and deck.is_open()):
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



def chart(spec: Mapping[str, Any], alt: str, *, where: Any = st, data: Any = None,
          table: pd.DataFrame | None = None, **kwargs: Any) -> Any:
    """Every Vega-Lite chart goes through here: `alt`, the one-sentence description made
    from the chart's data (a concept's `describe.py`), is its accessible name (Streamlit
    puts it on the chart's graphics-document as aria-label); with "Charts as tables" on,
    the numbers it draws follow it (`table`, else the data inline in the spec)."""
    out = where.vega_lite_chart(data, spec=dict(spec), alt=alt, **kwargs)
    if access.tables_on():
        frames = [table] if table is not None else list(_inline_tables(spec, data))
        with where.container(gap="small"):
            st.caption(f":material/table: {alt}")
            for frame in frames:
                st.dataframe(frame, hide_index=True, height=min(36 * (len(frame) + 1) + 2, 300))
    return out


def _inline_tables(spec: Mapping[str, Any], data: Any = None) -> Iterator[pd.DataFrame]:
    """The record-shaped datasets a spec carries (its own, its layers' and its named
    ones), each once; bare numbers that transforms turn into cells are left out."""
    seen: set[int] = set()

    def frame(values: Any) -> pd.DataFrame | None:
        if values is None or id(values) in seen:
            return None
        seen.add(id(values))
        if hasattr(values, "to_pandas"):  # a pyarrow table
            values = values.to_pandas()
        if isinstance(values, pd.DataFrame):
            return values if len(values) else None
        if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
            return pd.DataFrame(values)
        return None

    stack: list[Any] = [data, spec]
    while stack:
        node = stack.pop(0)
        if isinstance(node, Mapping):
            if isinstance(node.get("data"), Mapping):
                found = frame(node["data"].get("values"))
                if found is not None:
                    yield found
            for named in (node.get("datasets") or {}).values():
                found = frame(named)
                if found is not None:
                    yield found
            for part in ("layer", "vconcat", "hconcat", "concat"):
                stack.extend(node.get(part) or [])
        else:
            found = frame(node)
            if found is not None:
                yield found
