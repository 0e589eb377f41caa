"""Lecture decks: the format, one message per mistake, and garbage of any kind refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101.deck import (
    MAX_BYTES,
    MAX_NARRATION,
    MAX_SCENES,
    DeckError,
    deck_names,
    load_deck,
    parse_deck,
    scene_toml,
)
from ml101.lesson_map import built_pages, page_by_url

GOOD = '''
title = "A short walk"

[[scenes]]
page = "start"
title = "The map"

[[scenes]]
page = "optimizers"
title = "The lesson's race"
narration = "Four optimizers, 100 steps."
controls = { op_steps = 200, op_opts = ["SGD", "Adam"], op_lr_sgd = 0.001 }
play = true
'''


def test_a_deck_reads_as_scenes_of_deep_links() -> None:
    deck = parse_deck(GOOD)
    assert deck.title == "A short walk"
    assert [s.page for s in deck.scenes] == ["start", "optimizers"]
    race = deck.scenes[1]
    assert race.play and race.narration == "Four optimizers, 100 steps."
    assert race.query() == {"op_steps": "200", "op_opts": ["SGD", "Adam"],
                            "op_lr_sgd": "0.001"}


@pytest.mark.parametrize(("text", "words"), [
    ('[[scenes]]\npage = "nowhere"\ntitle = "x"', "unknown page 'nowhere'"),
    ('[[scenes]]\npage = "start"', "Scene 1: needs a title"),
    ('[[scenes]]\npage = "start"\ntitle = "x"\nnarraton = "typo"',
     "unknown field 'narraton'; allowed: page, title, narration, controls, play"),
    ('[[scenes]]\npage = "optimizers"\ntitle = "x"\ncontrols = { tr_lr = 1 }',
     "tr_lr is not a control of Optimizer race (its keys start with op_)"),
    ('[[scenes]]\npage = "optimizers"\ntitle = "x"\ncontrols = { op_x = { a = 1 } }',
     "op_x has a value of type dict"),
    ('[[scenes]]\npage = "optimizers"\ntitle = "x"\ncontrols = { op_x = nan }',
     "op_x = nan is not a finite number"),
    ('[[scenes]]\npage = "optimizers"\ntitle = "x"\ncontrols = { op_x = [[1], 2] }',
     "a range of two"),
    ('[[scenes]]\npage = "start"\ntitle = "x"\nplay = "yes"', "play must be true or false"),
    (f'[[scenes]]\npage = "start"\ntitle = "x"\nnarration = "{"a" * (MAX_NARRATION + 1)}"',
     "at most 400"),
    ('title = "x"', "no scenes"),
    ("[[scenes]\n", "not valid TOML"),
    ("\n".join(['[[scenes]]\npage = "start"\ntitle = "x"'] * (MAX_SCENES + 1)), "at most 60"),
])
def test_each_mistake_has_its_own_message(text: str, words: str) -> None:
    with pytest.raises(DeckError, match=words.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        parse_deck(text)


def test_every_mistake_is_listed_at_once() -> None:
    text = ('[[scenes]]\npage = "nowhere"\ntitle = "x"\n\n'
            '[[scenes]]\npage = "start"\n\n'
            '[[scenes]]\npage = "optimizers"\ntitle = "x"\ncontrols = { tr_lr = 1 }\n')
    with pytest.raises(DeckError) as err:
        parse_deck(text)
    assert [m.split(":")[0] for m in err.value.mistakes] == ["Scene 1", "Scene 2", "Scene 3"]


def test_files_that_are_not_decks_get_a_clear_refusal() -> None:
    with pytest.raises(DeckError, match="not UTF-8"):
        parse_deck("title = 'x'".encode("utf-16"))
    with pytest.raises(DeckError, match="at most 65,536"):
        parse_deck(b"#" * (MAX_BYTES + 1))
    with pytest.raises(DeckError, match="no deck named"):
        load_deck("../../etc/passwd")


def test_copy_this_view_gives_a_scene_that_reopens_it() -> None:
    info = page_by_url("training")
    params = {"tr_lr": "0.03", "tr_hidden": "64, 32", "tr_bn": "true", "present": "true",
              "tr_sizes": ["16", "1024"], "tr_act": 'Leaky "ReLU"'}
    deck = parse_deck(scene_toml(info, params))
    scene = deck.scenes[0]
    assert scene.page == "training" and scene.title == info.title
    assert scene.query() == {k: v for k, v in params.items() if k.startswith("tr_")}


def test_the_repository_decks_all_parse() -> None:
    assert "lesson-5" in deck_names()
    for name in deck_names():
        deck = load_deck(name)
        assert 1 <= len(deck.scenes) <= MAX_SCENES


def test_the_default_deck_walks_the_lesson_in_order() -> None:
    deck = load_deck("lesson-5")
    assert 15 <= len(deck.scenes) <= 25
    order = [p.url_path for p in built_pages()]
    seen = [order.index(s.page) for s in deck.scenes]
    assert seen == sorted(seen), "scenes follow the lesson's order of pages"
    assert {s.page for s in deck.scenes} == set(order), "every page has a scene"
    assert all(s.narration for s in deck.scenes), "every scene has something to say"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_deck_or_a_deckerror(data: bytes) -> None:
    try:
        parse_deck(data)
    except DeckError as exc:
        assert exc.mistakes and all(exc.mistakes)


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_value = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.booleans(),
                   _text, st.lists(st.integers(0, 100), max_size=3), st.dictionaries(
                       _text, st.integers(), max_size=2))
_scene = st.fixed_dictionaries(
    {"page": st.sampled_from([p.url_path for p in built_pages()] + ["nope"]),
     "title": st.one_of(_text, st.integers())},
    optional={"narration": _text, "play": st.one_of(st.booleans(), _text),
              "controls": st.dictionaries(st.from_regex(r"[a-z]{1,3}_[a-z]{1,6}", fullmatch=True),
                                          _value, max_size=4),
              "extra": _text})


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if v in (
            float("inf"), float("-inf")) else repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
            .replace("\r", "\\r").replace("\t", "\\t") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


@settings(max_examples=200, deadline=None)
@given(st.lists(_scene, min_size=0, max_size=4))
def test_deck_shaped_text_gives_a_deck_or_every_mistake(scenes: list[dict]) -> None:
    text = "\n".join("[[scenes]]\n" + "\n".join(f"{k} = {_toml(v)}" for k, v in s.items())
                     for s in scenes)
    try:
        deck = parse_deck(text)
    except DeckError as exc:
        assert exc.mistakes
        return
    assert len(deck.scenes) == len(scenes)
    for scene, raw in zip(deck.scenes, scenes, strict=True):
        prefix = page_by_url(scene.page).prefix
        assert all(k.startswith(prefix + "_") for k in scene.controls)
        assert scene.title == str(raw["title"]).strip()
