"""The code contract, for any page: settings drawn from the page's own controls, the page
run under AppTest, its "Show the code" script run in a fresh interpreter, and every number
the script prints found on the screen.

Controls are read from the running page (their kind, range and options), so the contract
follows the page as it changes; a page only names the keys it leaves alone (free text,
and settings whose script would run for minutes).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import TESTING_KEY

from ml101.own_data import DRAWN_NAME, OwnData, drawn_csv
from ml101.ui.sources import POINTS
from tests.conftest import shown_text

CODE_TITLE = "Show the code"
_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Control:
    """One keyed widget as the learner sees it: its kind and what it may be set to."""

    key: str
    kind: str  # the AppTest accessor: slider, number_input, selectbox, ...
    choices: tuple[Any, ...] = ()  # formatted labels, as the browser sends them
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0
    integer: bool = True


def _walk(at: AppTest) -> Iterable[Any]:
    stack = [at._tree]
    while stack:
        node = stack.pop()
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())


_KINDS = {"Slider": "slider", "NumberInput": "number_input", "Selectbox": "selectbox",
          "Radio": "radio", "SelectSlider": "select_slider", "Toggle": "toggle",
          "Checkbox": "checkbox", "ButtonGroup": "button_group", "Multiselect": "multiselect"}


def controls(at: AppTest, prefix: str, leave: frozenset[str] = frozenset()) -> list[Control]:
    """Every enabled, keyed control of the page that the contract may move."""
    found = []
    for node in _walk(at):
        key, kind = getattr(node, "key", None), _KINDS.get(type(node).__name__)
        if (not key or kind is None or not key.startswith(prefix + "_") or key in leave
                or getattr(node.proto, "disabled", False)):
            continue
        p = node.proto
        if kind in ("slider", "number_input"):
            if kind == "slider" and len(p.default) != 1:
                continue  # a range slider: leave it
            integer = p.data_type == p.INT if hasattr(p, "INT") else float(p.step).is_integer()
            found.append(Control(key, kind, (), float(p.min), float(p.max),
                                 float(p.step) or 1.0, bool(integer)))
        elif kind in ("toggle", "checkbox"):
            found.append(Control(key, kind, (False, True)))
        elif kind == "button_group":
            if getattr(p, "click_mode", 0) != 0:
                continue  # multi-select pills
            found.append(Control(key, kind, tuple(o.content for o in p.options)))
        elif kind == "select_slider":
            if len(p.default) != 1:
                continue
            found.append(Control(key, kind, tuple(p.options)))
        else:
            found.append(Control(key, kind, tuple(p.options)))
    return sorted(found, key=lambda c: c.key)


def values(c: Control) -> st.SearchStrategy[Any]:
    """What a learner could set the control to, within its range."""
    if c.kind in ("slider", "number_input"):
        n = max(0, math.floor((c.hi - c.lo) / c.step + 1e-9))
        steps = st.integers(0, n)
        return steps.map(lambda k: round(c.lo + k * c.step) if c.integer
                         else round(c.lo + k * c.step, 10))
    if c.kind == "multiselect":
        return st.lists(st.sampled_from(c.choices), min_size=1, max_size=len(c.choices),
                        unique=True)
    return st.sampled_from(c.choices)


def set_control(at: AppTest, c: Control, value: Any) -> None:
    """Set a control the way the browser does: choice widgets send their shown label."""
    widget = getattr(at, c.kind)(key=c.key) if c.kind != "button_group" else next(
        w for w in at.get("button_group") if w.key == c.key)
    if c.choices and c.kind not in ("toggle", "checkbox"):
        at.session_state[TESTING_KEY][widget.id] = lambda v: v  # labels go out as they are
    widget.set_value(value)


def code_panel(at: AppTest, title: str = CODE_TITLE) -> str | None:
    """The script in the expander titled `title`, if the page shows one."""
    for exp in at.expander:
        if exp.label == title:
            blocks = exp.get("code")
            if blocks:
                return str(blocks[0].value)
    return None


def own_files(at: AppTest) -> dict[str, bytes]:
    """The files a page's script reads beside it: every learner's table in the session
    (an upload, the example, a drawing), by the name the script opens."""
    found = {v.file_name: v.data for _, v in at.session_state.items() if isinstance(v, OwnData)}
    points = at.session_state.get(POINTS)
    if points:
        found[DRAWN_NAME] = drawn_csv(points)
    return found


def run_script(code: str, timeout: float = 240, files: dict[str, bytes] | None = None) -> str:
    """Run `code` in a fresh interpreter in a temporary folder, beside `files` (the CSV a
    script reads, by name); return what it printed."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (files or {}).items():
            (Path(tmp) / name).write_bytes(data)
        path = Path(tmp) / "page_code.py"
        path.write_text(code, encoding="utf-8")
        done = subprocess.run([sys.executable, str(path)], cwd=tmp, capture_output=True,
                              text=True, timeout=timeout, env={"PYTHONHASHSEED": "0",
                                                               "OMP_NUM_THREADS": "1",
                                                               "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise AssertionError(f"the page's code failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _parse(token: str) -> float:
    return float(token.replace(",", "").replace("−", "-"))


def numbers(text: str) -> list[str]:
    return _NUMBER.findall(text)


def _decimals(token: str) -> int:
    mantissa = token.split("e")[0].split("E")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _agree(printed: str, shown: str) -> bool:
    """Whether two renderings are one number: equal, or the less precise one is the other
    rounded (a page may print fewer or more digits than its script)."""
    a, b = _parse(printed), _parse(shown)
    if a == b:
        return True
    if "e" in printed.lower() or "e" in shown.lower():
        digits = min(len(x.lower().split("e")[0].lstrip("-−").replace(".", "")) - 1
                     for x in (printed, shown))
        return digits >= 1 and f"{a:.{digits}e}" == f"{b:.{digits}e}"
    da, db = _decimals(printed), _decimals(shown)
    d = min(da, db)
    coarse, fine = (a, b) if da <= db else (b, a)
    return d > 0 and round(fine, d) == coarse and abs(coarse) >= 10 ** -d


def _chart_values(node: Any, out: list[float]) -> None:
    """Every number in a chart's data, at full precision: a chart draws it (as a point,
    a bar, a cell's text), whatever precision its axis or tooltip rounds to."""
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):
        if math.isfinite(node):
            out.append(float(node))
    elif isinstance(node, dict):
        for value in node.values():
            _chart_values(value, out)
    elif isinstance(node, list):
        for value in node:
            _chart_values(value, out)


def _charts(at: AppTest) -> tuple[list[str], list[float]]:
    """Graph sources (their numbers are text) and chart data values."""
    texts: list[str] = []
    values: list[float] = []
    for node in _walk(at):
        kind = getattr(node, "type", "")
        if kind == "graphviz_chart":
            texts.append(node.proto.spec)
        elif kind in ("vega_lite_chart", "arrow_vega_lite_chart"):
            spec = json.loads(node.proto.spec or "{}")
            for key in ("data", "datasets"):
                _chart_values(spec.get(key), values)
            _chart_values([layer.get("data") for layer in spec.get("layer", [])], values)
            for dataset in [node.proto.data, *(d.data for d in node.proto.datasets)]:
                if dataset.data:
                    frame = pa.ipc.open_stream(dataset.data).read_all().to_pandas()
                    _chart_values(frame.select_dtypes("number").to_numpy().ravel().tolist(),
                                  values)
    return texts, values


def screen(at: AppTest) -> tuple[set[str], list[float]]:
    """The numbers on screen: as written in the text and in graphs, and every numeric
    table cell and chart datum at full precision (they round only when drawn)."""
    graphs, cells = _charts(at)
    text = "\n".join([shown_text(at), *(exp.label for exp in at.expander), *graphs])
    for df in at.dataframe:
        frame = df.value
        for col in frame.columns:
            if frame[col].dtype.kind in "iuf":
                cells.extend(float(v) for v in frame[col].dropna())
    return set(numbers(text)), cells


def unmatched(printed: str, shown: tuple[set[str], list[float]]) -> list[str]:
    """The numbers the script printed that the screen does not show."""
    tokens, cells = shown
    missing = []
    for token in numbers(printed):
        if token in tokens or any(_agree(token, s) for s in tokens):
            continue
        if any(_agree(token, repr(c)) for c in cells):
            continue
        missing.append(token)
    return missing
