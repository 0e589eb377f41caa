"""The optimizer race page: widgets -> standings, deep links, the player, the code's digits."""

from __future__ import annotations

import time

from ml101.deck import load_deck
from ml101.optim.race import Race, RaceSpec, make_racer
from ml101.optim.standings import leaderboard
from ml101.ui.views.optim import TICK_S
from tests.app import contract
from tests.conftest import OpenPage, assert_clean, run_script, shown_text

URL = "optimizers"
LESSON = RaceSpec("rosenbrock", (make_racer("sgd", 0.001), make_racer("momentum", 0.001),
                                 make_racer("adam", 0.01), make_racer("rmsprop", 0.01)),
                  (-1.0, 1.0), 100)


def board(at) -> dict[str, dict]:
    df = at.dataframe[0].value
    return {row["optimizer"]: row for row in df.to_dict("records")}


def progress(at) -> str:
    """The text of the progress bar the page shows while the race catches up ('' if none)."""
    return " ".join(p.proto.text for p in at.get("progress"))


def finish(at, runs: int = 60):
    """Rerun until the race has caught up with the step asked for (a browser's ticks)."""
    for _ in range(runs):
        if not progress(at):
            return at
        at.run()
    raise AssertionError("the race never caught up")


def expected(spec: RaceSpec, frame: int | None = None) -> dict[str, dict]:
    race = Race(spec)
    race.advance(spec.steps)
    rows = leaderboard(race, spec.steps if frame is None else frame, 1e-3)
    return {r["optimizer"]: r for r in rows}


def test_default_is_the_lessons_race_and_its_code_prints_its_digits(open_app: OpenPage) -> None:
    at = finish(open_app(URL))
    assert_clean(at)
    rows = board(at)
    assert set(rows) == {"SGD", "SGD + momentum", "Adam", "RMSprop"}
    for name, row in expected(LESSON).items():
        assert rows[name]["loss"] == row["loss"]  # the classes' own numbers, exactly
        assert (rows[name]["x"], rows[name]["y"]) == (row["x"], row["y"])
    assert "Mode: your rates" in shown_text(at)
    assert "Standings at step 100 of 100" in shown_text(at)
    printed = run_script(contract.code_panel(at))[1].splitlines()
    assert len(printed) == 4
    for line in printed:
        row = rows[line[:15].strip()]
        assert line[15:].strip() == (f"final loss {row['loss']:.6g} at "
                                     f"({row['x']:.6f}, {row['y']:.6f})")


def test_widgets_change_the_race(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.selectbox(key="op_surf").select("bowl").run()
    at.button_group(key="op_opts").set_value(["sgd", "adagrad"]).run()
    at.number_input(key="op_lr_sgd").set_value(0.03).run()
    at.number_input(key="op_steps").set_value(300).run()
    finish(at)
    assert_clean(at)
    rows = board(at)
    want = expected(RaceSpec("bowl", (make_racer("sgd", 0.03), make_racer("adagrad", 0.1)),
                             (-4.5, 2.0), 300))
    assert rows["SGD"]["loss"] == want["SGD"]["loss"]
    assert rows["Adagrad"]["loss"] == want["Adagrad"]["loss"]
    assert at.number_input(key="op_x").value == -4.5  # the surface's own start
    assert at.slider(key="op_t").value == 300  # more steps: the view follows to the end


def test_divergent_sgd_shows_the_message_and_no_exception(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.number_input(key="op_lr_sgd").set_value(1.0).run()
    finish(at)
    assert not at.exception
    assert "SGD (lr 1) diverged at step" in shown_text(at)
    assert board(at)["SGD"]["diverged"].startswith("diverged at step")
    assert board(at)["Adam"]["diverged"] == "no"


def test_same_rate_and_tuned_modes_say_so(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.selectbox(key="op_mode").select("same").run()
    at.number_input(key="op_lr").set_value(0.002).run()
    assert "Mode: same rate for all (lr = 0.002)" in shown_text(at)
    assert {row["lr"] for row in board(at).values()} == {0.002}
    at.selectbox(key="op_mode").select("tuned").run()
    assert_clean(at)
    text = shown_text(at)
    assert "Mode: tuned per optimizer" in text and "after 100 steps" in text
    assert {row["lr"] for row in board(at).values()} <= {
        1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0}


def test_deep_link_opens_the_scene(open_app: OpenPage) -> None:
    # the URL carries what the widget shows (labels), so links stay readable, and old
    # links (from when these were a multiselect and a segmented control) still open
    at = open_app(URL, op_surf="Himmelblau", op_opts=["Adam", "Nesterov"], op_steps="200",
                  op_x="-3.0", op_y="3.0", op_t="50", op_mode="Same rate for all",
                  op_lr="0.02", op_speed="fast", op_tol="f < 0.01", op_insp="Nesterov")
    assert_clean(at)
    finish(at)
    assert set(board(at)) == {"Adam", "Nesterov"}
    assert at.slider(key="op_t").value == 50
    assert at.selectbox(key="op_surf").value == "himmelblau"
    assert at.number_input(key="op_x").value == -3.0
    assert at.selectbox(key="op_mode").value == "same"
    assert at.select_slider(key="op_speed").value == "fast"
    assert at.select_slider(key="op_tol").value == 0.01
    assert at.selectbox(key="op_insp").value == "nesterov"
    text = shown_text(at)
    assert "Standings at step 50 of 200" in text and "**Nesterov** at step 50" in text
    want = expected(RaceSpec("himmelblau", (make_racer("adam", 0.02),
                                            make_racer("nesterov", 0.02)), (-3.0, 3.0), 200), 50)
    assert board(at)["Nesterov"]["loss"] == want["Nesterov"]["loss"]


def test_playback_buttons_move_the_frame(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.button(key="op_reset").click().run()
    assert at.slider(key="op_t").value == 0
    at.button(key="op_step").click().run()
    assert at.slider(key="op_t").value == 1
    assert "at step 1" in shown_text(at) and "Standings at step 1 of 100" in shown_text(at)
    at.button(key="op_back").click().run()
    assert at.slider(key="op_t").value == 0
    at.button(key="op_end").click().run()
    assert at.slider(key="op_t").value == 100


def test_play_advances_through_the_player_and_stops_at_the_end(open_app: OpenPage) -> None:
    at = open_app(URL, op_speed="fastest")
    at.button(key="op_reset").click().run()
    at.button(key="op_play").click().run()
    assert at.button(key="op_play").label == "Pause"
    seen = [at.slider(key="op_t").value]
    for _ in range(80):  # each run is a tick: the playhead moves on by the time passed
        time.sleep(TICK_S)
        at.run()
        seen.append(at.slider(key="op_t").value)
        if at.button(key="op_play").label == "Play":
            break
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] == 100
    assert at.button(key="op_play").label == "Play"  # the end pauses the player
    assert "Standings at step 100 of 100" in shown_text(at)
    assert_clean(at)


def test_a_long_race_shows_its_first_frame_and_catches_up(open_app: OpenPage) -> None:
    at = open_app(URL, op_steps="3000",
                  op_opts=["SGD", "Adam", "RMSprop", "NAdam", "AdamW", "Adagrad"])
    assert "Computing the race with torch.optim: step" in progress(at)
    assert "computed up to step" in shown_text(at)  # the standings say where they are
    finish(at, runs=200)
    assert "Standings at step 3000 of 3000" in shown_text(at)
    assert_clean(at)


def test_no_optimizer_says_what_to_do(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.button_group(key="op_opts").set_value([]).run()
    assert_clean(at)
    assert "Choose at least one optimizer" in shown_text(at)


def test_the_lesson_decks_race_scenes_open_and_play(open_app: OpenPage) -> None:
    scenes = load_deck("lesson-5").scenes
    n = next(i for i, s in enumerate(scenes, 1) if s.title == "Escape the saddle")
    assert scenes[n - 1].play
    at = open_app(URL, deck="lesson-5", scene=str(n))
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]  # no refused value
    assert at.selectbox(key="op_surf").value == "saddle"
    assert at.selectbox(key="op_mode").value == "same"
    assert at.button(key="op_play").label == "Pause"  # the scene plays
    at.run()
    assert at.slider(key="op_t").value > 0


def test_next_scene_while_a_race_plays_opens_it_cleanly(open_app: OpenPage) -> None:
    """→ during a playing race: the race's own state is cleared for the next scene, whose
    values then hold. (The callback that fires for a cleared control when the browser still
    holds its value is the deck walk's to catch: AppTest sends no such stale value.)"""
    scenes = load_deck("lesson-5").scenes
    n = next(i for i, s in enumerate(scenes, 1) if s.page == "optimizers" and s.play
             and i < len(scenes) and scenes[i].page == "optimizers")
    at = open_app(URL, deck="lesson-5", scene=str(n))
    assert at.button(key="op_play").label == "Pause"
    at.selectbox(key="op_surf").set_value("saddle")  # a value the next scene replaces
    at.button(key="deck_next").click().run()
    assert_clean(at)
    assert at.query_params["scene"] == str(n + 1)
    assert scenes[n].title in shown_text(at)
    # the scene leaves the surface out, so it is the page's default again, not the one set
    assert at.selectbox(key="op_surf").value != "saddle"
