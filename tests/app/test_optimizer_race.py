"""The optimizer race page: presets, widgets -> leaderboard numbers, deep links, code."""

from __future__ import annotations

import pytest

from ml101.optim.race import leaderboard, make_racer, race
from tests.conftest import OpenPage, assert_clean, shown_text

URL = "optimizers"


def board(at) -> dict[str, dict]:
    df = at.dataframe[0].value
    return {row["optimizer"]: row for row in df.to_dict("records")}


def test_default_is_the_lessons_race_and_its_code_reproduces_it(open_app: OpenPage) -> None:
    at = open_app(URL)
    assert_clean(at)
    rows = board(at)
    assert set(rows) == {"SGD", "SGD + momentum", "Adam", "RMSprop"}
    expected = {r["optimizer"]: r for r in leaderboard(race(
        "rosenbrock", (make_racer("sgd", 0.001), make_racer("momentum", 0.001),
                       make_racer("adam", 0.01), make_racer("rmsprop", 0.01)), (-1.0, 1.0),
        100), 1e-3)}
    for name, row in rows.items():
        assert row["final loss"] == pytest.approx(expected[name]["final loss"])
    assert "Mode: your rates" in shown_text(at)
    code = at.code[-1].value
    ns: dict = {}
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "generated", "exec"), ns)
    for line in buf.getvalue().splitlines():
        name = line[:15].strip()
        loss = float(line.split("final loss ")[1].split()[0])
        assert loss == pytest.approx(rows[name]["final loss"], rel=1e-4)


def test_widgets_change_the_race(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.selectbox(key="op_surf").select("bowl").run()
    at.multiselect(key="op_opts").set_value(["sgd", "adagrad"]).run()
    at.number_input(key="op_lr_sgd").set_value(0.03).run()
    at.number_input(key="op_steps").set_value(300).run()
    assert_clean(at)
    rows = board(at)
    res = race("bowl", (make_racer("sgd", 0.03), make_racer("adagrad", 0.1)), (-4.5, 2.0), 300)
    expected = {r["optimizer"]: r for r in leaderboard(res, 1e-3)}
    assert rows["SGD"]["final loss"] == pytest.approx(expected["SGD"]["final loss"])
    assert rows["Adagrad"]["final loss"] == pytest.approx(expected["Adagrad"]["final loss"])
    assert at.number_input(key="op_x").value == -4.5  # the surface's own start


def test_divergent_sgd_shows_the_message_and_no_exception(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.number_input(key="op_lr_sgd").set_value(1.0).run()
    assert not at.exception
    text = shown_text(at)
    assert "SGD (lr 1) diverged at step" in text
    assert board(at)["SGD"]["diverged"].startswith("diverged at step")
    assert board(at)["Adam"]["diverged"] == "no"


def test_same_rate_and_tuned_modes_say_so(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.segmented_control(key="op_mode").set_value("same").run()
    at.number_input(key="op_lr").set_value(0.002).run()
    assert "Mode: same rate for all (lr = 0.002)" in shown_text(at)
    assert {row["lr"] for row in board(at).values()} == {0.002}
    at.segmented_control(key="op_mode").set_value("tuned").run()
    assert_clean(at)
    assert "Mode: tuned per optimizer" in shown_text(at)


def test_deep_link_opens_the_scene(open_app: OpenPage) -> None:
    # the URL carries what the widget shows (labels), so links stay readable
    at = open_app(URL, op_surf="Himmelblau", op_opts=["Adam", "Nesterov"], op_steps="200",
                  op_x="-3.0", op_y="3.0", op_t="50")
    assert_clean(at)
    assert set(board(at)) == {"Adam", "Nesterov"}
    assert at.slider(key="op_t").value == 50
    assert at.selectbox(key="op_surf").value == "himmelblau"
    assert at.number_input(key="op_x").value == -3.0


def test_playback_buttons_move_the_frame(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.button(key="op_reset").click().run()
    assert at.slider(key="op_t").value == 0
    at.button(key="op_step").click().run()
    assert at.slider(key="op_t").value == 1
    assert "at step 1" in shown_text(at)
