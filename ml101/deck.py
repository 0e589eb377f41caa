"""Lecture decks: a presenter's walk through the lesson as scenes, one key per step.

A deck is a small TOML file (see decks/README.md):

    title = "PyTorch Basics"

    [[scenes]]
    page = "optimizers"                       # a page's URL path
    title = "The lesson's race"
    narration = "Four optimizers, 100 steps from (-1, 1). Who gets furthest?"
    controls = { op_steps = 100, op_surf = "Rosenbrock (the lesson's)" }
    play = true                               # optional: press Play on arrival

A scene is a deep link with words: its controls are the page's URL keys and the values a
link would carry, so "copy this view as a scene" is the page's own query string. Parsing
never evaluates anything; every mistake gets its own message.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ml101.inputs import InputError
from ml101.lesson_map import ROOT, PageInfo, built_pages

DECKS_DIR = ROOT / "decks"
MAX_BYTES = 64 * 1024
MAX_SCENES = 60
MAX_TITLE = 80
MAX_NARRATION = 400
MAX_CONTROLS = 40
MAX_VALUE_CHARS = 600
MAX_LIST = 12  # a multiselect's choices, or a range's two ends
SCENE_FIELDS = ("page", "title", "narration", "controls", "play")
_KEY = re.compile(r"^[a-z]{1,6}_[A-Za-z0-9_]{1,40}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")

Value = str | int | float | bool | list[str | int | float]


class DeckError(InputError):
    """Every mistake in a deck, one message each."""

    allowed = "see decks/README.md for the format"

    def __init__(self, mistakes: Sequence[str]) -> None:
        self.mistakes = tuple(mistakes)
        super().__init__("; ".join(self.mistakes))


@dataclass(frozen=True)
class Scene:
    page: str  # url_path
    title: str
    narration: str = ""
    controls: Mapping[str, Value] = field(default_factory=dict)
    play: bool = False

    def query(self) -> dict[str, str | list[str]]:
        """The scene as query parameters, as a deep link writes them."""
        return {k: ([url_value(x) for x in v] if isinstance(v, list) else url_value(v))
                for k, v in self.controls.items()}


@dataclass(frozen=True)
class Deck:
    title: str
    scenes: tuple[Scene, ...]


def url_value(v: str | int | float | bool) -> str:
    """A TOML value as a bound widget reads it from the URL."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _pages() -> dict[str, PageInfo]:
    return {p.url_path: p for p in built_pages()}


def _check_value(where: str, key: str, v: object) -> str | None:
    scalar = (str, int, float, bool)
    if isinstance(v, list):
        if not v or len(v) > MAX_LIST or not all(
                isinstance(x, scalar) and not isinstance(x, bool) for x in v):
            return (f"{where}: {key} is a list; allowed: a range of two, like [16, 1024], "
                    f"or up to {MAX_LIST} choices, like [\"SGD\", \"Adam\"]")
        items = v
    elif isinstance(v, scalar):
        items = [v]
    else:
        return (f"{where}: {key} has a value of type {type(v).__name__}; allowed: text, "
                "a number, true/false, or a range of two")
    for x in items:
        if isinstance(x, float) and not math.isfinite(x):
            return f"{where}: {key} = {x} is not a finite number"
        if isinstance(x, str) and len(x) > MAX_VALUE_CHARS:
            return f"{where}: {key} is {len(x)} characters long; the limit is {MAX_VALUE_CHARS}"
    return None


def _scene(n: int, raw: object, pages: Mapping[str, PageInfo], mistakes: list[str]
           ) -> Scene | None:
    where = f"Scene {n}"
    if not isinstance(raw, dict):
        mistakes.append(f"{where} is not a table; write it as [[scenes]] with page and title")
        return None
    for extra in sorted(set(raw) - set(SCENE_FIELDS)):
        mistakes.append(f"{where}: unknown field '{extra}'; allowed: {', '.join(SCENE_FIELDS)}")
    page = raw.get("page")
    info = pages.get(page) if isinstance(page, str) else None
    if info is None:
        mistakes.append(f"{where}: unknown page {page!r}; pages: {', '.join(pages)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        mistakes.append(f"{where}: needs a title (text)")
        title = ""
    elif len(title) > MAX_TITLE:
        mistakes.append(f"{where}: the title is {len(title)} characters; at most {MAX_TITLE}")
    narration = raw.get("narration", "")
    if not isinstance(narration, str):
        mistakes.append(f"{where}: narration must be text")
        narration = ""
    elif len(narration) > MAX_NARRATION:
        mistakes.append(f"{where}: the narration is {len(narration)} characters; at most "
                        f"{MAX_NARRATION} (one or two sentences)")
    play = raw.get("play", False)
    if not isinstance(play, bool):
        mistakes.append(f"{where}: play must be true or false")
        play = False
    controls = raw.get("controls", {})
    if not isinstance(controls, dict):
        mistakes.append(f"{where}: controls must be a table, like {{ op_steps = 100 }}")
        controls = {}
    elif len(controls) > MAX_CONTROLS:
        mistakes.append(f"{where}: {len(controls)} controls; at most {MAX_CONTROLS}")
        controls = {}
    for key, value in controls.items():
        if not _KEY.match(key):
            mistakes.append(f"{where}: '{key[:40]}' is not a control key (prefix_name, "
                            "like op_steps)")
        elif info is not None and not key.startswith(info.prefix + "_"):
            mistakes.append(f"{where}: {key} is not a control of {info.title} (its keys "
                            f"start with {info.prefix}_)")
        problem = _check_value(where, key, value)
        if problem:
            mistakes.append(problem)
    if info is None:
        return None
    return Scene(info.url_path, title.strip(), narration.strip(), dict(controls), play)


def parse_deck(data: bytes | str) -> Deck:
    """A deck from TOML text, or a DeckError listing every mistake found."""
    if len(data) > MAX_BYTES:
        raise DeckError([f"the file is {len(data):,} bytes; a deck may be at most "
                         f"{MAX_BYTES:,}"])
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DeckError([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    try:
        raw = tomllib.loads(data)
    except tomllib.TOMLDecodeError as exc:
        raise DeckError([f"not valid TOML: {exc}"]) from None
    mistakes: list[str] = []
    for extra in sorted(set(raw) - {"title", "scenes"}):
        mistakes.append(f"unknown top-level field '{extra}'; allowed: title, scenes")
    title = raw.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        mistakes.append(f"the deck's title must be text of at most {MAX_TITLE} characters")
        title = ""
    scenes_raw = raw.get("scenes")
    if not isinstance(scenes_raw, list) or not scenes_raw:
        mistakes.append("no scenes: add at least one [[scenes]] table")
        scenes_raw = []
    elif len(scenes_raw) > MAX_SCENES:
        mistakes.append(f"{len(scenes_raw)} scenes; a deck may have at most {MAX_SCENES}")
        scenes_raw = []
    pages = _pages()
    scenes = [_scene(n, s, pages, mistakes) for n, s in enumerate(scenes_raw, start=1)]
    if mistakes:
        raise DeckError(mistakes)
    return Deck(title or "Lecture deck", tuple(s for s in scenes if s is not None))


def deck_names() -> list[str]:
    """The decks in the repository's decks/ folder, by name."""
    return sorted(p.stem for p in DECKS_DIR.glob("*.toml") if _NAME.match(p.stem))


def load_deck(name: str) -> Deck:
    """A deck from the repository's decks/ folder, by name (never a path)."""
    if not _NAME.match(name) or name not in deck_names():
        raise DeckError([f"no deck named {name[:40]!r}; decks here: "
                         f"{', '.join(deck_names()) or 'none'}"])
    return parse_deck((DECKS_DIR / f"{name}.toml").read_bytes())


def _toml_value(v: str | list[str]) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if re.fullmatch(r"-?\d+", v):
        return v
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?|-?\d+e-?\d+", v):
        return v
    if v in ("true", "false"):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scene_toml(page: PageInfo, params: Mapping[str, str | list[str]], title: str = "") -> str:
    """The TOML lines of a scene that reopens this view: the page and its URL keys."""
    mine = {k: v for k, v in sorted(params.items()) if k.startswith(page.prefix + "_")}
    controls = ", ".join(f"{k} = {_toml_value(v)}" for k, v in mine.items())
    return (f'[[scenes]]\npage = "{page.url_path}"\ntitle = "{title or page.title}"\n'
            f'narration = ""\ncontrols = {{ {controls} }}\n' if controls else
            f'[[scenes]]\npage = "{page.url_path}"\ntitle = "{title or page.title}"\n'
            'narration = ""\n')
