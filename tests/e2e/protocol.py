"""A learner without a browser: Streamlit's own websocket protocol, spoken as the browser does.

The browser loads the page over HTTP (which is where a load balancer's affinity cookie is
set), opens `/_stcore/stream` with the subprotocols `streamlit, <xsrf>, <session to resume>`,
and sends a BackMsg `rerun_script` (query string, page, widget states, the hashes of the
messages it has cached); the server answers with ForwardMsgs: `new_session`, deltas (the
elements), `page_info_changed` (the URL's query string), `auto_rerun` (a fragment's timer)
and `script_finished`. This client does the same with a few KB of Python per learner, so a
lecture hall of 200 fits beside the server on one machine (`benches/hall_load.py`), and it
reads the elements it is sent: widgets by their keys, texts, error boxes.

Only what the tour needs: widget states are sent for the controls this learner changed (the
server keeps every other widget's value), timers are driven by the caller (`tick()`), and
large elements are cached by hash like the browser's message cache. Loopback only.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Element id of a keyed widget: "$$ID-<hash>-<key>" (streamlit.elements.lib.utils).
_ID_PREFIX = "$$ID-"
LOOPBACK = ("127.0.0.1", "localhost")
_ERROR = 1  # Alert.Format.ERROR
_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
# What a widget's state is sent as, by element type (each widget's register_widget).
_VALUE_TYPE = {
    "slider": "double_array_value", "number_input": "double_value",
    "checkbox": "bool_value", "text_input": "string_value", "text_area": "string_value",
    "selectbox": "string_value", "radio": "string_value",
    "button_group": "string_array_value", "multiselect": "string_array_value",
}


class ProtocolError(RuntimeError):
    """The server closed the stream, or a run did not finish in time."""


@dataclass
class Run:
    """One script run as the learner saw it: how long from sending to `script_finished`,
    and the page's elements once it finished."""

    seconds: float
    page: str  # the url path of the page that ran ("" for Home)
    elements: dict[tuple[int, ...], Element]
    fragment: bool = False

    def widgets(self) -> dict[str, Element]:
        """Keyed widgets by their user key (`tr_step`, `ag_expr`, ...)."""
        out = {}
        for el in self.elements.values():
            wid = getattr(getattr(el, el.WhichOneof("type") or "", None), "id", "")
            if isinstance(wid, str) and wid.startswith(_ID_PREFIX):
                out[wid.split("-", 2)[2]] = el
        return out

    def texts(self) -> list[str]:
        """Markdown, captions, headings, alerts and metric values, in page order."""
        out = []
        for _, el in sorted(self.elements.items()):
            kind = el.WhichOneof("type")
            if kind in ("markdown", "heading"):
                out.append(getattr(el, kind).body)
            elif kind == "alert":
                out.append(el.alert.body)
            elif kind == "metric":
                out.append(f"{el.metric.label}: {el.metric.body}")
            elif kind == "progress":
                out.append(el.progress.text)
        return out

    def errors(self) -> list[str]:
        """Every exception box and st.error on the page: what the browser tests count."""
        out = []
        for el in self.elements.values():
            kind = el.WhichOneof("type")
            if kind == "exception":
                out.append(f"{el.exception.type}: {el.exception.message}")
            elif kind == "alert" and el.alert.format == _ERROR:
                out.append(el.alert.body)
        return out


def current(el: Element) -> Any:
    """A widget's value as the learner sees it (choices by their labels)."""
    kind = el.WhichOneof("type")
    w = getattr(el, kind)
    if kind in ("selectbox", "radio"):
        return w.raw_value if w.set_value else w.options[w.default]
    if kind == "slider" and w.options:  # select_slider: indices into the labels
        if w.set_value and w.raw_value:
            return list(w.raw_value)
        return [w.options[int(i)] for i in (w.value if w.set_value else w.default)]
    if kind == "button_group":
        return list(w.raw_values) if w.set_value else [w.options[i].content for i in w.default]
    if kind == "slider":
        return list(w.value if w.set_value else w.default)
    if kind in ("checkbox", "number_input", "text_input", "text_area"):
        return w.value if w.set_value else w.default
    return None


def next_value(el: Element, now: Any = None) -> Any:
    """The value a curious learner moves this widget to from `now` (by default what the
    server last drew): the next choice, one step on (back where the range ends), the other
    side of a toggle; True presses a button."""
    kind = el.WhichOneof("type")
    w, now = getattr(el, kind), current(el) if now is None else now
    if kind in ("selectbox", "radio"):
        return w.options[(list(w.options).index(now) + 1) % len(w.options)]
    if kind == "slider" and w.options:
        return w.options[(list(w.options).index(now[0]) + 1) % len(w.options)]
    if kind == "button_group":
        labels = [o.content for o in w.options]
        return [labels[(labels.index(now[0]) + 1) % len(labels) if now else 0]]
    if kind == "slider":
        return now[0] + w.step if now[0] + w.step <= w.max else now[0] - w.step
    if kind == "number_input":
        up = now + (w.step or 1)
        return up if not w.has_max or up <= w.max else now - (w.step or 1)
    if kind == "checkbox":
        return not now
    return True


def widget_value(el: Element, value: Any) -> WidgetState:
    """The widget state the browser sends when this widget is set to `value` (for choice
    widgets, the option's label as shown)."""
    kind = el.WhichOneof("type")
    proto = getattr(el, kind)
    state = WidgetState(id=proto.id)
    if kind == "button":
        state.trigger_value = True
    elif kind == "slider" and proto.options:  # a select_slider: labels, not numbers
        state.string_array_value.data[:] = [str(value)]
    elif kind == "slider":
        state.double_array_value.data[:] = [float(value)]
    elif kind in _VALUE_TYPE:
        field_name = _VALUE_TYPE[kind]
        if field_name.endswith("array_value"):
            getattr(state, field_name).data[:] = [str(v) for v in value]
        else:
            setattr(state, field_name, float(value) if field_name == "double_value" else value)
    else:
        raise ValueError(f"cannot set a {kind} widget")
    return state


@dataclass
class Learner:
    """One browser tab: a session on one server (or one replica behind a balancer)."""

    base_url: str  # http://127.0.0.1:PORT
    timeout_s: float = 120.0
    session_id: str = ""
    replica: str = ""  # the balancer's X-ML101-Replica on the websocket handshake, if any
    page_replica: str = ""  # ... and on the page's HTTP response
    # cookies as the browser keeps them for this site (a balancer's affinity cookie); set one
    # by hand to ask the balancer for a given replica
    cookies: dict[str, str] = field(default_factory=dict)
    page_hash: str = ""
    page: str = ""
    query: str = ""
    timers: dict[str, float] = field(default_factory=dict)  # fragment id -> interval s
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    # what this learner set: the server draws a widget with its default, the browser keeps
    # the value the learner chose
    values: dict[str, Any] = field(default_factory=dict)
    _ws: Any = None
    _cache: dict[str, ForwardMsg] = field(default_factory=dict)
    _elements: dict[tuple[int, ...], tuple[str, Element]] = field(default_factory=dict)
    _changed: dict[str, WidgetState] = field(default_factory=dict)
    _run_id: str = ""

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError(f"loopback http only, not {self.base_url!r}")

    # connection

    def open(self, path: str = "", query: str = "") -> Run:
        """Load `/<path>?<query>` as a browser tab would and wait for its first run."""
        url = f"{self.base_url}/{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, headers=self._cookie_header())  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout_s) as r:  # noqa: S310
            r.read()
            for header in r.headers.get_all("Set-Cookie") or ():
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            self.page_replica = r.headers.get("X-ML101-Replica", "")
        self.page, self.query, self.page_hash = path, query, ""
        self._changed.clear()
        self.values.clear()
        self._connect()
        return self._rerun(page_name=path)

    def reconnect(self) -> Run:
        """Drop the websocket and come back as the browser does after a network blip: the
        same cookies, asking to resume the same session, then a rerun."""
        self._ws.close()
        self._connect(resume=True)
        return self._rerun()

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    def _connect(self, resume: bool = False) -> None:
        if self._ws is not None:
            self._ws.close()
        parts = urlsplit(self.base_url)
        protocols = ["streamlit", "", self.session_id if resume else ""]
        self._ws = websocket.create_connection(
            f"ws://{parts.netloc}/_stcore/stream", timeout=self.timeout_s,
            header=[f"Sec-WebSocket-Protocol: {', '.join(protocols)}",
                    *(f"{k}: {v}" for k, v in self._cookie_header().items())],
            origin=self.base_url)
        self.replica = (self._ws.getheaders() or {}).get("x-ml101-replica", "")
        self.timers.clear()

    def _cookie_header(self) -> dict[str, str]:
        jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": jar} if jar else {}

    # actions

    def set(self, **values: Any) -> Run:
        """Change widgets by key, as if the learner moved them, and wait for the rerun."""
        widgets = self.last_widgets
        for key, value in values.items():
            self._changed[key] = widget_value(widgets[key], value)
            kind = widgets[key].WhichOneof("type")
            self.values[key] = [value] if kind == "slider" and not isinstance(value, list) \
                else value
        return self._rerun()

    def move(self, key: str) -> Run:
        """Move one widget to its `next_value` (a button: press it)."""
        el = self.last_widgets[key]
        if el.WhichOneof("type") in ("button", "download_button"):
            return self.click(key)
        return self.set(**{key: next_value(el, self.values.get(key))})

    def click(self, key: str) -> Run:
        """Press a button: a trigger for this run only."""
        trigger = widget_value(self.last_widgets[key], True)
        return self._rerun(extra=[trigger])

    def goto(self, path: str) -> Run:
        """Follow a sidebar link to another page, in the same session."""
        self._changed.clear()
        self.values.clear()
        self.page = path
        return self._rerun(page_hash=self.pages[path], query="")

    def tick(self, fragment_id: str) -> Run:
        """One beat of a fragment's timer (`st.fragment(run_every=...)`)."""
        return self._rerun(fragment_id=fragment_id, auto=True)

    @property
    def last_widgets(self) -> dict[str, Element]:
        return self._run_view(0.0).widgets()

    # the protocol

    def _rerun(self, *, page_name: str = "", page_hash: str | None = None,
               query: str | None = None, fragment_id: str = "", auto: bool = False,
               extra: list[WidgetState] = ()) -> Run:
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query if query is None else query
        rs.page_script_hash = self.page_hash if page_hash is None else page_hash
        rs.page_name = page_name
        rs.fragment_id = fragment_id
        rs.is_auto_rerun = auto
        rs.widget_states.widgets.extend([*self._changed.values(), *extra])
        rs.cached_message_hashes.extend(self._cache)
        rs.context_info.timezone = "UTC"
        rs.context_info.locale = "en-US"
        rs.context_info.url = f"{self.base_url}/{self.page}"
        start = time.perf_counter()
        self._ws.send_binary(msg.SerializeToString())
        self._await_finish(start)
        return self._run_view(time.perf_counter() - start, fragment=bool(fragment_id))

    def _run_view(self, seconds: float, fragment: bool = False) -> Run:
        return Run(seconds, self.page, {p: el for p, (_, el) in self._elements.items()},
                   fragment)

    def _messages(self, deadline: float) -> Iterator[ForwardMsg]:
        while True:
            self._ws.settimeout(max(0.05, deadline - time.perf_counter()))
            try:
                data = self._ws.recv()
            except websocket.WebSocketTimeoutException:
                raise ProtocolError(f"no script_finished within {self.timeout_s:.0f} s") \
                    from None
            except websocket.WebSocketConnectionClosedException as exc:
                raise ProtocolError("the server closed the stream") from exc
            if not data:
                raise ProtocolError("the server closed the stream")
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.WhichOneof("type") == "ref_hash":  # sent before: the cached copy
                cached = self._cache[msg.ref_hash]
                msg = ForwardMsg()
                msg.CopyFrom(cached)
            elif msg.metadata.cacheable:
                self._cache[msg.hash] = msg
            yield msg

    def _await_finish(self, start: float) -> None:
        for msg in self._messages(start + self.timeout_s):
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                ns = msg.new_session
                self._run_id = msg.metadata.run.script_run_id
                self.session_id = ns.initialize.session_id or self.session_id
                if not msg.metadata.run.fragment_ids:  # a full run sets the timers anew
                    self.timers.clear()
            elif kind == "navigation":  # st.navigation: the pages and the one shown
                nav = msg.navigation
                self.page_hash = nav.page_script_hash
                self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
                self.page = next((p.url_pathname for p in nav.app_pages
                                  if p.page_script_hash == nav.page_script_hash), self.page)
            elif kind == "delta":
                self._delta(msg)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fid in msg.stop_auto_rerun.fragment_ids:
                    self.timers.pop(fid, None)
            elif kind == "script_finished" and msg.script_finished != _EARLY:
                if msg.script_finished != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    # the browser drops what the finished run did not draw again
                    self._elements = {p: v for p, v in self._elements.items()
                                      if v[0] == self._run_id}
                return

    def _delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        if delta.WhichOneof("type") == "new_element":
            self._elements[path] = (self._run_id, delta.new_element)
        elif delta.WhichOneof("type") == "add_block":
            # a block's old children go when the block is redrawn in a later run
            self._elements = {p: v for p, v in self._elements.items()
                              if p[:len(path)] != path or v[0] == self._run_id}
