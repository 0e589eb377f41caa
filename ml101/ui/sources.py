"""The datasets a learner brings, for every page that picks a dataset: a CSV file they
upload, or points they click onto a plane (`ml101.own_data` reads both).

Per learner: the last table that could be read (`TABLE`) and the drawing (`POINTS`) live
in `st.session_state`, shared by the pages of one session and seen by no other session;
the only cache here holds the example file, the same for everybody. A refused upload
leaves the table as it was, so the dataset on screen stays, with the reason beside the
uploader. While a drawing is small it also rides in the page's URL (`<prefix>_pts`), so a
link reproduces it.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import streamlit as st

from ml101 import own_data
from ml101.own_data import CsvError, DrawError, OwnData, Point, Table
from ml101.ui import controls, state

CSV, DRAW = "csv", "draw"
TABLE, POINTS = "own_table", "own_points"
_EDITED = "own_edited"  # a click changed the drawing: a fragment that sees it reruns the page


@st.cache_resource(show_spinner=False)
def example_table() -> Table:
    """The example file, read once and shared read-only by every session."""
    return own_data.read_table(own_data.example_csv(), own_data.EXAMPLE_NAME)


def current_table() -> tuple[Table, bool]:
    """The learner's last good upload, else the example; and whether it is the example."""
    table = st.session_state.get(TABLE)
    return (table, False) if table is not None else (example_table(), True)


# --- a CSV file ---------------------------------------------------------------------------


def _uploaded(p: str, dataset_key: str) -> None:
    """Read a new upload; one that reads becomes the page's dataset, one that does not
    leaves everything as it was and says why."""
    up = st.session_state.get(f"{p}_csv")
    if up is None:  # the file was taken off the uploader: keep the table it gave
        return
    try:
        table = own_data.read_table(up.getvalue(), up.name)
        own = own_data.default_dataset(table)
    except CsvError as err:
        st.session_state[f"{p}_csv_problem"] = (up.name, str(err))
        return
    st.session_state.pop(f"{p}_csv_problem", None)
    st.session_state[TABLE] = table
    st.session_state[f"{p}_csv_kept"] = own
    st.session_state[f"{p}_label"] = own.label_name
    st.session_state[dataset_key] = CSV


def uploader(p: str, dataset_key: str) -> None:
    """A popover with the file uploader, whatever the dataset on screen: a file that reads
    becomes the dataset, one that does not leaves it as it was (`refusal` says why)."""
    with st.popover("Your data", icon=":material/upload_file:"):
        st.file_uploader(
            "Upload a CSV file", type=["csv", "tsv", "txt"], key=f"{p}_csv",
            on_change=_uploaded, args=(p, dataset_key),
            max_upload_size=own_data.MAX_BYTES // 2**20,
            help="A header row is optional and the delimiter is found by itself. The file "
                 "stays in your session: nobody else sees it.")
        st.caption(f"Allowed: {own_data.CAPS}.")
        st.download_button("Download an example (fruit.csv)", own_data.example_csv(),
                           file_name=own_data.EXAMPLE_NAME, mime="text/csv",
                           key=f"{p}_dl_example", on_click="ignore",
                           icon=":material/download:")
        st.caption(f"Or pick **{own_data.SOURCES[DRAW]}** as the dataset and click points "
                   "onto a plane.")


def refusal(p: str) -> None:
    """Why the last upload was refused, until a file is read."""
    problem = st.session_state.get(f"{p}_csv_problem")
    if problem:
        st.error(f"**{problem[0]}** was not loaded: {problem[1]} The data on screen is "
                 "unchanged.", icon=":material/block:")


def csv_source(p: str) -> OwnData:
    """The label column, and the dataset the learner's table makes with it: the example
    file until they upload one of their own."""
    table, example = current_table()
    names = [c.name for c in table.columns if c.kind != "empty"]
    default = table.default_label
    label = controls.selectbox(
        "Label column", names, key=f"{p}_label",
        index=names.index(default.name) if default is not None else len(names) - 1,
        help="The column that holds the classes (up to 8); every other numeric column is "
             "a feature.")
    kept: OwnData | None = st.session_state.get(f"{p}_csv_kept")
    if kept is None or kept.digest != table.digest:
        kept = own_data.default_dataset(table)
    position = next((c.position for c in table.columns if c.name == label), kept.label)
    try:  # the tensors are made once per file and label, not on every rerun
        own = kept if position == kept.label else own_data.to_dataset(table, position)
    except CsvError as err:
        st.error(f"{err} Still using the label column '{kept.label_name}'.",
                 icon=":material/block:")
        own = kept
    st.session_state[f"{p}_csv_kept"] = own
    st.caption(("The example file (upload yours under Your data): " if example else "")
               + own.summary() + ". Classes: "
               + " · ".join(f"{name} → {i}" for i, name in enumerate(own.classes)) + ".")
    return own


def _table_of(own: OwnData) -> Table:
    table, _ = current_table()
    return table if own.digest == table.digest else own_data.read_table(own.data,
                                                                         own.file_name)


def adopt(p: str, own: OwnData, points: list[Point] | None = None) -> None:
    """Make `own` this session's data (a resumed checkpoint carries it): its drawing, or
    its table with its label column."""
    if points is not None:
        st.session_state[POINTS] = points
        _edited(p)
        return
    st.session_state[TABLE] = own_data.read_table(own.data, own.file_name)
    st.session_state[f"{p}_csv_kept"] = own
    st.session_state[f"{p}_label"] = own.label_name


def details(own: OwnData, *, key: str) -> None:
    """The table's first rows, its columns and its classes, folded; and the file itself,
    to keep beside the script."""
    table = _table_of(own)
    with st.expander(f"{own.file_name}: first rows, columns and classes",
                     icon=":material/table_view:"):
        st.caption(own_data.how_read(table))
        st.dataframe(table.frame.head(5), hide_index=True)
        st.dataframe(pd.DataFrame(own_data.column_summary(table, own)), hide_index=True)
        counts = own.class_counts()
        st.markdown("**Classes** (`class_of` in the code maps each value to its index)\n\n"
                    "| value in the file | class index | rows |\n|---|---:|---:|\n"
                    + "\n".join(f"| {name} | {i} | {counts[i]:,} |"
                                for i, name in enumerate(own.classes)))
        download(own, key=key)


def download(own: OwnData, *, key: str) -> None:
    """The file the page read, for the script beside it."""
    st.download_button(f"Download {own.file_name}", own.data, file_name=own.file_name,
                       mime="text/csv", key=key, on_click="ignore",
                       icon=":material/download:",
                       help="The code below reads this file: save it beside the script.")


# --- points drawn on a plane --------------------------------------------------------------


def _points() -> list[Point]:
    return st.session_state.setdefault(POINTS, [])


def _edited(p: str) -> None:
    st.session_state[f"{p}_edits"] = st.session_state.get(f"{p}_edits", 0) + 1
    st.session_state[_EDITED] = True


def _undo(p: str) -> None:
    if _points():
        _points().pop()
        _edited(p)


def _clear(p: str) -> None:
    st.session_state[POINTS] = []
    _edited(p)


def _clicked(p: str, key: str) -> None:
    """Add a point of the chosen class where the plane was clicked."""
    picked = (st.session_state.get(key) or {}).get("selection", {}).get(own_data.CLICK) or []
    if not picked:
        return
    if len(_points()) >= own_data.MAX_POINTS:
        st.session_state[f"{p}_full"] = True
        return
    try:  # from the browser: checked like any input
        gx, gy = (own_data.snap(float(picked[0][axis]) / own_data.STEPS)
                  for axis in ("gx", "gy"))
    except (KeyError, TypeError, ValueError, DrawError):
        return
    pen = st.session_state.get(f"{p}_pen", 0)
    cls = pen if isinstance(pen, int) and 0 <= pen < own_data.MAX_CLASSES else 0
    _points().append((gx, gy, cls))
    _edited(p)


def _from_link(p: str) -> None:
    """A link's points replace the drawing when they differ from what this page last
    wrote into the URL (a link just opened, not the page's own echo)."""
    text = st.query_params.get(f"{p}_pts")
    if text is None or text == st.session_state.get(f"{p}_pts_sent"):
        return
    try:
        st.session_state[POINTS] = own_data.decode_points(text)
    except DrawError as err:
        st.error(f"The link's points could not be read: {err}", icon=":material/link_off:")
    st.session_state[f"{p}_pts_sent"] = text


def _to_link(p: str, points: list[Point]) -> None:
    """Write the drawing into the URL while it is small enough; drop it past that."""
    key = f"{p}_pts"
    text = own_data.encode_points(points) if 0 < len(points) <= own_data.LINK_POINTS else None
    if text is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != text:
        st.query_params[key] = text
    st.session_state[f"{p}_pts_sent"] = text


def drawn_source(p: str, min_classes: int = own_data.MIN_CLASSES
                 ) -> tuple[OwnData | None, str]:
    """The pens and tools, and the drawing as a dataset (None, and why, while it has too
    few points or classes)."""
    st.session_state.pop(_EDITED, None)  # this run draws the new points everywhere
    _from_link(p)
    points = _points()
    used = max((c for *_, c in points), default=0) + 1
    controls.number_input("Classes to draw", own_data.MIN_CLASSES, own_data.MAX_CLASSES,
                          2, key=f"{p}_pens", help="How many pens (classes) to offer")
    pens = max(int(st.session_state.get(f"{p}_pens") or 2), used)
    controls.segmented_control(
        "Class of the next point", list(range(pens)), key=f"{p}_pen", default=0,
        required=True, help="Each click on the plane adds a point of this class. Classes "
                            "are numbered in order, as for a CSV: draw with 0 and 2 only and "
                            "2 becomes class 1.")
    with st.container(horizontal=True, gap="small"):
        st.button("Undo", key=f"{p}_undo", on_click=_undo, args=(p,), icon=":material/undo:",
                  disabled=not points, help="Take the last point away")
        st.button("Clear", key=f"{p}_clear", on_click=_clear, args=(p,),
                  icon=":material/delete:", disabled=not points, help="Start a new drawing")
        st.download_button("CSV", own_data.drawn_csv(points), file_name=own_data.DRAWN_NAME,
                           mime="text/csv", key=f"{p}_dl_pts", on_click="ignore",
                           icon=":material/download:", disabled=not points,
                           help="The points as x, y, class: upload it again any time")
    _to_link(p, points)
    n, cap = len(points), own_data.LINK_POINTS
    if st.session_state.pop(f"{p}_full", False):
        st.warning(f"A drawing holds at most {own_data.MAX_POINTS:,} points.")
    st.caption(f"{n} point{'s' * (n != 1)}. "
               + (f"Up to {cap} points travel in the page's link: copy it to share this "
                  "drawing." if n <= cap else
                  f"More than the {cap} a link carries: download the CSV to keep them."))
    try:  # read again only when the drawing changed
        return state.rebuilt(f"{p}_drawn", (tuple(points), min_classes),
                             lambda: own_data.drawn_data(points, min_classes)), ""
    except CsvError as err:
        return None, str(err)


def plane(p: str, spec: dict[str, Any], *, alt: str, data: pd.DataFrame | None = None) -> None:
    """Draw a chart over the drawing plane (its layers on `own_data.plane_scale()`, their
    data in `data` or in the spec) that adds a point of the chosen class where clicked."""
    if st.session_state.pop(_EDITED, False):  # a click inside a fragment: redraw it all
        st.rerun()
    key = f"{p}_plane_{st.session_state.get(f'{p}_edits', 0)}"  # a fresh selection per click
    spec = {k: v for k, v in own_data.with_clicks(spec).items() if k != "description"}
    st.vega_lite_chart(data, spec, key=key,
                       on_select=functools.partial(_clicked, p, key),
                       selection_mode=[own_data.CLICK], width="content", alt=alt)


def drawing(p: str, size: int, problem: str, font_scale: float = 1.0) -> None:
    """The bare plane, for a drawing that does not make a dataset yet."""
    points = _points()
    plane(p, own_data.plane_spec(points, size, font_scale=font_scale),
          alt=f"The drawing plane with {len(points)} points. {problem}")
    st.info(f"{problem}", icon=":material/draw:")
