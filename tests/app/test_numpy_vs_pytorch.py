"""AppTest: the NumPy vs PyTorch page shows true agreement figures, whether the seed solved
XOR (and why not), gradients, code and saving."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from ml101.twin import pair
from ml101.ui.views import twin as twin_view
from tests.conftest import OpenPage, assert_clean, shown_text

URL = "numpy-vs-torch"
SMALL = {"np_ep": "300"}  # the page's default is the lesson's 2000 steps; tests stay quick


def page_code(at) -> str:
    """The page's "Show the code" script: its last Python code block (the sidebar's
    "copy this view as a scene" block is TOML)."""
    return [c for c in at.code if c.language == "python"][-1].value


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def run_of(**changes: object) -> pair.TwinRun:
    args = {"data": "xor", "n_samples": 4, "noise": 0.0, "sizes": (2, 4, 1), "hidden": "relu",
            "epochs": 300, "lr": 0.5, "seed": 0, **changes}
    s = pair.setup(**args)
    X, y = pair.load_data(s)
    return pair.train_side_by_side(s, X, y)


def block(at, key: str) -> Any:
    stack = [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None) == key:
            return node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    raise AssertionError(f"no {key} on the page")


def test_agreement_figures_are_pytorchs(open_app: OpenPage) -> None:
    at = open_app(URL, **SMALL)
    assert_clean(at)
    r = run_of()
    shown = metrics(at)
    assert float(shown["Largest per-step loss difference"]) < 1e-12  # float64: rounding only
    assert r.max_loss_diff < 1e-12
    assert shown["Final loss (NumPy | PyTorch)"] == (
        f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}")
    assert float(shown["Largest weight difference after training"]) < 1e-12
    assert "ms" in shown["NumPy training time"] and "×" in shown["PyTorch ÷ NumPy"]
    # the picture: both loss curves and both decision maps
    picture = block(at, "np_picture")
    assert len(picture.get("vega_lite_chart")) == 3


def test_the_lesson_seed_says_solved(open_app: OpenPage) -> None:
    at = open_app(URL)
    assert_clean(at)
    assert at.success and at.success[0].value.startswith(
        "**Solved**: 4 of 4 training points right (100.0%)")


def test_the_unlucky_scene_shows_its_dead_units(open_app: OpenPage) -> None:
    """The preset sets seed 1: 75%, three dead ReLUs named, the three blind points."""
    at = open_app(URL, np_seed="5")
    at.button(key="np_pre_An unl").click().run()
    assert_clean(at)
    assert at.number_input(key="np_seed").value == 1
    warning = at.warning[0].value
    assert warning == ("**Not solved**: 3 of 4 training points right (75.0%). "
                       "Dead ReLUs: units 1, 2 and 4.")
    why = next(e for e in at.expander if e.label == "Why it fails").markdown[0].value
    assert "Unit 2 was dead from the start (an unlucky initialisation)" in why
    assert "units 1 and 4 died during training" in why
    assert "Points (0, 1), (1, 0) and (1, 1) switch off every unit" in why
    assert "the same answer, 0.666" in why
    text = shown_text(at)
    assert "unit 4" in text and "P(class 1)" in text  # the point-by-point table
    code = page_code(at)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    printed = buf.getvalue()
    assert "accuracy: 3 of 4 training points right (75.0%)" in printed
    assert "hidden layer 1: dead units [1, 2, 4]" in printed


def test_the_lesson_scene_restores_the_seed(open_app: OpenPage) -> None:
    at = open_app(URL, np_seed="1")
    at.button(key="np_pre_The le").click().run()
    assert at.number_input(key="np_seed").value == 0
    assert at.success


def test_gradients_tab_deep_link(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="Gradients", np_data="Two moons", np_spec="2-5-1", np_n="40",
                  **SMALL)
    assert_clean(at)
    s = pair.setup("moons", 40, 0.1, (2, 5, 1), "relu", 300, 0.5, 0)
    X, y = pair.load_data(s)
    rows = pair.gradient_check(pair.initial_model(s), "relu", X, y)
    worst = max(r.max_abs_diff for r in rows)
    shown = float(metrics(at)["Largest |manual − autograd| over every gradient"])
    # both are rounding noise (BLAS kernels may pick other paths from run to run); both tiny
    assert worst < 1e-12 and shown < 1e-12
    table = at.dataframe[0].value
    assert len(table) == 4  # dW1, db1, dW2, db2
    assert list(table["shape"]) == ["(5, 2)", "(5,)", "(1, 5)", "(1,)"]
    assert "40 training points" in at.info[0].value  # moons, not XOR


def test_bad_spec_is_a_clear_error(open_app: OpenPage) -> None:
    at = open_app(URL, **SMALL)
    at.text_input(key="np_spec").input("3-4-1").run()
    assert at.error and "first width must be 2" in at.error[0].value
    assert not at.exception
    at.text_input(key="np_spec").input("2-x-1").run()
    assert at.error and "not a whole number" in at.error[0].value
    assert not at.exception


def test_code_tab_and_generated_script(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="The code", np_ep="120", np_seed="5")
    assert_clean(at)
    text = shown_text(at)
    assert "(features, samples) = (2, 4)" in text and "(samples, features) = (4, 2)" in text
    code = page_code(at)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    r = run_of(epochs=120, seed=5)
    final = next(ln for ln in buf.getvalue().splitlines() if ln.startswith("final loss:"))
    assert [float(v) for v in final.split(":")[1].split()] == pytest.approx(
        [r.losses_np[-1], r.losses_torch[-1]], abs=1e-12)
    train = open_app(URL, np_ep="120", np_seed="5")
    assert metrics(train)["Final loss (NumPy | PyTorch)"] == (
        f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}")


def test_saving_tab_catches_the_pickle_failure(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="Saving a model", **SMALL)
    assert_clean(at)
    assert any("UnpicklingError" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert table["loss"][0] == table["loss"][1] != table["loss"][2]


def test_view_changes_never_retrain(open_app: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training runs once per setup for the server: tabs, view controls and other
    learners reuse it; new settings train anew."""
    calls: list[int] = []
    train = pair.train_side_by_side

    def counted(*args: object, **kwargs: object) -> pair.TwinRun:
        calls.append(1)
        return train(*args, **kwargs)

    monkeypatch.setattr(pair, "train_side_by_side", counted)
    twin_view.shared_run.clear()
    at = open_app(URL, np_ep="200")
    assert calls == [1]
    final = metrics(at)["Final loss (NumPy | PyTorch)"]
    at.session_state["np_tab"] = "Gradients"  # what clicking the tab does
    at.run()
    assert "Largest |manual − autograd| over every gradient" in metrics(at)
    at.segmented_control(key="np_when").set_value("end").run()
    assert_clean(at)
    assert calls == [1]
    at.slider(key="np_lr").set_value(0.3).run()
    assert calls == [1, 1]
    at.slider(key="np_lr").set_value(0.5).run()  # back to settings already trained
    assert calls == [1, 1]
    assert_clean(at)
    at.session_state["np_tab"] = "Train side by side"
    at.run()
    assert metrics(at)["Final loss (NumPy | PyTorch)"] == final
    assert calls == [1, 1]
    other = open_app(URL, np_ep="200")  # another learner, the same settings: no new training
    assert calls == [1, 1]
    assert metrics(other)["Final loss (NumPy | PyTorch)"] == final
