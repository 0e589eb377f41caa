"""Playing a lecture deck: `?deck=lesson-5&scene=N` opens scene N, the bar pinned to the
bottom of the screen goes on (→), back (←) and to the first scene (Home), and its table of
contents jumps anywhere. The page stays live: the presenter moves sliders, then goes on.

A scene opens as a deep link does (its controls are URL keys), after the page's own
state is cleared, so every scene starts from the same view. Values a page does not
accept are reported in the bar, one message each, and the page keeps its defaults.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from ml101.deck import Deck, DeckError, deck_names, load_deck, parse_deck, scene_toml
from ml101.lesson_map import page_by_url
from ml101.ui.presenter import is_presenting

DECK, SCENE = "deck", "scene"
UPLOADED = "upload"  # the ?deck= name of a deck this session uploaded
_OWN = "deck_own"  # session_state: the uploaded Deck
_AT = "deck_at"  # session_state: (deck name, scene number) last opened
_SEED = "deck_seed"  # session_state: {key: URL value} the open scene sets, not yet drawn
_RESET = "deck_reset"  # session_state: keys the open scene returns to their defaults
_PROBLEMS = "deck_problems"  # session_state: messages about the open scene's values
_VIEW = "deck_view"  # session_state: {key: URL value} of every control not at its default


@st.cache_data(max_entries=16, show_spinner=False)
def _repo_deck(name: str) -> Deck:
    """A deck from decks/, parsed once for everybody (decks are read-only files)."""
    return load_deck(name)


def _deck(name: str) -> Deck:
    if name == UPLOADED:
        own = st.session_state.get(_OWN)
        if own is None:
            raise DeckError(["this link names an uploaded deck, which lives only in the "
                             "session that uploaded it; upload it again"])
        return own
    return _repo_deck(name)


def _scene_number(deck: Deck) -> int:
    raw = st.query_params.get(SCENE, "1")
    n = int(raw) if raw.isdigit() else 1
    return min(max(n, 1), len(deck.scenes))


def _open(name: str, deck: Deck, n: int, here: str) -> None:
    """Open scene n: the page's own state cleared, its controls set as a deep link would
    set them (see `seed`), on its page. A control drawn on the page holds its URL
    parameter, which no page switch may set, so values travel through session state."""
    scene = deck.scenes[n - 1]
    info = page_by_url(scene.page)
    mine = info.prefix + "_"
    for key in [k for k in st.session_state if str(k).startswith(mine)]:
        del st.session_state[key]
    st.session_state[_AT] = (name, n)
    st.session_state[_SEED] = scene.query()
    st.session_state[_RESET] = {k for k in st.query_params if k.startswith(mine)
                                } - set(scene.controls) if scene.page == here else set()
    st.session_state[_PROBLEMS] = []
    if scene.play:
        st.session_state[f"{info.prefix}_autoplay"] = True
    if scene.page == here:
        st.query_params[SCENE] = str(n)
        st.rerun()
    st.switch_page(str(info.path), query_params={DECK: name, SCENE: str(n)})


def follow(here: str) -> tuple[str, Deck, int] | None:
    """Before the page runs: the deck being played and its scene, opening the scene when
    the link asks for one that is not open yet. None when no deck is playing."""
    name = st.query_params.get(DECK)
    if not name:
        return None
    try:
        deck = _deck(name)
    except DeckError as exc:
        st.error(f"Lecture deck: {exc}")
        return None
    n = hold_scene()
    if n is not None:  # this session is playing the deck: the scene it opened last
        return name, deck, n
    n = _scene_number(deck)  # a link opens the scene it names
    _open(name, deck, n, here)
    return name, deck, n


def is_open() -> bool:
    """Whether this session is playing the deck the address names."""
    at = st.session_state.get(_AT)
    return at is not None and at[0] == st.query_params.get(DECK)


def hold_scene(prefix: str | None = None) -> int | None:
    """The scene this session opened last in the deck the address names, written back to
    the address if it lags: a playing view's tick carries the query string its timer
    started with, which may still name the scene before. A tick of a page the deck has
    left (`prefix`, its URL keys) goes to the open scene's page instead, or it would put
    its own page back in the address. None when no deck is open."""
    if not is_open():
        return None
    name, n = st.session_state[_AT]
    if prefix is not None:
        info = page_by_url(_deck(name).scenes[n - 1].page)
        if info.prefix != prefix:
            st.switch_page(str(info.path), query_params={DECK: name, SCENE: str(n)})
    if st.query_params.get(SCENE) != str(n):
        st.query_params[SCENE] = str(n)
    return n


# How a control reads a value from a link, by widget: what its options are, and what it
# shows when nothing is set.
_CHOICE = {"selectbox", "radio", "segmented_control", "pills", "select_slider", "multiselect"}


def _arguments(widget: Callable[..., Any], label: str, args: tuple, kwargs: dict
               ) -> dict[str, Any]:
    bound = inspect.signature(widget).bind(label, *args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _default(name: str, a: Mapping[str, Any]) -> Any:
    if name in ("slider", "number_input"):
        value = a.get("value")
        return a.get("min_value") if value in (None, "min") else value
    if name in ("selectbox", "radio"):
        options = list(a["options"])
        return None if a.get("index") is None or not options else options[a["index"]]
    if name == "select_slider":
        return a.get("value") if a.get("value") is not None else next(iter(a["options"]))
    if name in ("segmented_control", "pills", "multiselect"):
        return a.get("default") if a.get("default") is not None else (
            [] if name == "multiselect" or a.get("selection_mode") == "multi" else None)
    return a.get("value", "")


def _choice(a: Mapping[str, Any], text: str) -> tuple[bool, Any]:
    show = a.get("format_func") or str
    for option in a["options"]:
        if text in (str(show(option)), str(option)):
            return True, option
    return False, None


def _number(a: Mapping[str, Any], text: str) -> tuple[Any, str | None]:
    whole = not any(isinstance(a.get(k), float) for k in ("min_value", "max_value", "value",
                                                          "step"))
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number"
    if whole:
        if not value.is_integer():
            return None, f"{text} is not a whole number"
        value = int(value)
    lo, hi = a.get("min_value"), a.get("max_value")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return None, f"{text} is outside {lo:g} to {hi:g}"
    return value, None


def _from_url(name: str, a: Mapping[str, Any], text: str | list[str]) -> tuple[Any, str | None]:
    """The value a control takes from a link's text, or why it cannot."""
    many = isinstance(text, list)
    if name in ("slider", "number_input", "select_slider") and many:
        if len(text) != 2:
            return None, "a range takes two values"
        ends = [_from_url(name, a, t) for t in text]
        problem = next((p for _, p in ends if p), None)
        return (None, problem) if problem else (tuple(v for v, _ in ends), None)
    if name in ("slider", "number_input"):
        return _number(a, text) if not many else (None, "takes one number")
    if name in _CHOICE:
        texts = text if many else [text]
        picked = []
        for t in texts:
            ok, option = _choice(a, t)
            if not ok:
                shown = ", ".join(str((a.get("format_func") or str)(o)) for o in a["options"])
                return None, f"{t!r} is not one of its options ({shown[:300]})"
            picked.append(option)
        if name == "multiselect" or a.get("selection_mode") == "multi":
            return picked, None
        return (picked[0], None) if len(picked) == 1 else (None, "takes one choice")
    if name in ("toggle", "checkbox"):
        if text not in ("true", "false"):
            return None, f"{text!r} is not true or false"
        return text == "true", None
    limit = a.get("max_chars")
    if many or (limit and len(text) > limit):
        return None, f"is longer than this box takes ({limit} characters)"
    return text, None


def seed(widget: Callable[..., Any], key: str, label: str, args: tuple, kwargs: dict) -> None:
    """Called by every bound control before it is drawn: give it the open scene's value,
    or its default if the scene leaves it out; a value it cannot take is reported."""
    pending = st.session_state.get(_SEED, {})
    resets = st.session_state.get(_RESET, set())
    if key not in pending and key not in resets:
        return
    a = _arguments(widget, label, args, {**kwargs, "key": key})
    name = widget.__name__
    if key in resets:
        resets.discard(key)
        st.session_state[key] = _default(name, a)
        return
    text = pending.pop(key)
    value, problem = _from_url(name, a, text)
    if problem:
        st.session_state.setdefault(_PROBLEMS, []).append(
            f"{key} = {text!r} was not used: {problem}")
    else:
        st.session_state[key] = value


def _url_text(name: str, a: Mapping[str, Any], value: Any) -> str | list[str] | None:
    """A control's value as a link writes it (choices by their shown label)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(_url_text(name, a, v)) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in _CHOICE:
        return str((a.get("format_func") or str)(value))
    return str(value)


def remember(widget: Callable[..., Any], key: str, label: str, args: tuple, kwargs: dict,
             value: Any) -> None:
    """Called by every bound control once drawn: what 'copy this view as a scene' writes
    for it. A value a scene set reaches the control through session state, which a bound
    control does not copy into the address bar, so the view is kept here."""
    a = _arguments(widget, label, args, {**kwargs, "key": key})
    name = widget.__name__
    view = st.session_state.setdefault(_VIEW, {})
    shown, default = _url_text(name, a, value), _url_text(name, a, _default(name, a))
    if shown is None or shown == default:
        view.pop(key, None)
    else:
        view[key] = shown


def seed_tab(key: str, labels: list[str]) -> None:
    """Tabs bound to the URL take the scene's tab by its label."""
    pending = st.session_state.get(_SEED, {})
    if key in pending:
        text = pending.pop(key)
        if text in labels:
            st.session_state[key] = text
        else:
            st.session_state.setdefault(_PROBLEMS, []).append(
                f"{key} = {text!r} was not used: the tabs are {', '.join(labels)}")
    elif key in st.session_state.get(_RESET, set()):
        st.session_state[_RESET].discard(key)
        st.session_state[key] = labels[0]


def bar(name: str, deck: Deck, n: int, here: str) -> None:
    """After the page ran: the bar pinned to the bottom, with the scene's narration."""
    scene = deck.scenes[n - 1]
    leftover = st.session_state.get(_SEED, {})
    problems = list(st.session_state.get(_PROBLEMS, []))
    problems += [f"{k} is not a control of this page (or not shown with these settings)"
                 for k in leftover]
    st.session_state[_SEED] = {}
    st.session_state[_RESET] = set()
    with st.bottom, st.container(key="deck_bar", border=True):
        # one row where it fits, so the bar takes little of the projector's height
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            with st.container(horizontal=True, vertical_alignment="center", gap="small",
                              width="content"):
                if st.button("Back", key="deck_prev", shortcut="Left",
                             icon=":material/arrow_back:", disabled=n == 1,
                             help="The previous scene"):
                    _open(name, deck, n - 1, here)
                if st.button("Next", key="deck_next", shortcut="Right", type="primary",
                             icon=":material/arrow_forward:", disabled=n == len(deck.scenes),
                             help="The next scene (Space works too)"):
                    _open(name, deck, n + 1, here)
                if st.button("First", key="deck_first", shortcut="Home",
                             icon=":material/first_page:", disabled=n == 1,
                             help="Back to the first scene"):
                    _open(name, deck, 1, here)
                with st.popover(f"Scene {n} of {len(deck.scenes)}", icon=":material/toc:"):
                    contents(name, deck, n, here)
            with st.container(key="deck_title", width="stretch"):
                # large on a projector, a caption otherwise
                (st.markdown if is_presenting() else st.caption)(
                    f"**{scene.title}**" + (f" · {scene.narration}" if scene.narration else ""))
        for problem in problems:
            st.warning(f"Scene {n}: {problem}", icon=":material/error:")
        with st.container(key="deck_space"):  # Space goes on too; the button is hidden
            if st.button("Next scene", key="deck_next_space", shortcut="Space",
                         disabled=n == len(deck.scenes)):
                _open(name, deck, n + 1, here)
    # On a phone the bar keeps to Back, Next and the contents, in smaller type.
    st.html("<style>.st-key-deck_space { display: none; }"
            "@media (max-width: 640px) { .st-key-deck_first { display: none; }"
            " .st-key-deck_title p { font-size: 0.85rem; } }</style>")


def contents(name: str, deck: Deck, n: int, here: str) -> None:
    """The deck's table of contents: every scene, the open one marked."""
    st.markdown(f"**{deck.title}**")
    for i, scene in enumerate(deck.scenes, start=1):
        label = f"{i}. {scene.title}" + (" (open)" if i == n else "")
        if st.button(label, key=f"deck_toc_{i}", type="tertiary", disabled=i == n):
            _open(name, deck, i, here)


def chooser() -> None:
    """The sidebar's way in: a deck from the repository, or the teacher's own file."""
    with st.popover("Lecture deck", icon=":material/slideshow:", width="stretch"):
        names = deck_names()
        if names:
            pick = st.selectbox("Deck", names, key="deck_pick")
            if st.button("Start this deck", key="deck_start", type="primary"):
                st.session_state[_AT] = None
                st.switch_page(str(page_by_url("start").path), query_params={DECK: pick})
        up = st.file_uploader("Or upload your own (.toml)", type=["toml"], key="deck_up",
                              max_upload_size=1)
        if up is not None:
            try:
                own = parse_deck(up.getvalue())
            except DeckError as exc:
                for mistake in exc.mistakes:
                    st.error(mistake)
            else:
                st.session_state[_OWN] = own
                st.success(f"{own.title}: {len(own.scenes)} scenes.")
                if st.button("Start my deck", key="deck_start_own"):
                    st.session_state[_AT] = None
                    st.switch_page(str(page_by_url("start").path),
                                   query_params={DECK: UPLOADED})
        st.caption("Format: decks/README.md. A deck is a list of scenes, each a page "
                   "with some controls set and a sentence to say.")


def copy_scene(url_path: str) -> None:
    """'Copy this view as a scene': the TOML lines that reopen what is on screen."""
    info = page_by_url(url_path)
    mine = info.prefix + "_"
    view = {k: v for k, v in st.session_state.get(_VIEW, {}).items() if k.startswith(mine)}
    for key in st.query_params:
        if key.startswith(mine) and key not in view:
            values = st.query_params.get_all(key)
            view[key] = values if len(values) > 1 else values[0]
    with st.popover("Copy this view as a scene", icon=":material/content_copy:",
                    width="stretch"):
        st.code(scene_toml(info, view), language="toml")
        st.caption("Paste it into a deck file; add a sentence of narration.")
