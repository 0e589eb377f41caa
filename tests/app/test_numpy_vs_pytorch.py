"""AppTest: the NumPy vs PyTorch page shows true agreement figures, gradients, code, saving."""

from __future__ import annotations

import contextlib
import io

import pytest

from ml101.twin import pair as twin
from ml101.ui.views import twin as twin_view
from tests.conftest import OpenPage, assert_clean, shown_text

URL = "numpy-vs-torch"
SMALL = {"np_ep": "300"}  # the page's default is the lesson's 2000 steps; tests stay quick


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_agreement_figures_are_pytorchs(open_app: OpenPage) -> None:
    at = open_app(URL, **SMALL)
    assert_clean(at)
    X, y = twin.load_data("xor", 4, 0.0, 0)
    r = twin.race((2, 4, 1), "relu", X, y, 300, 0.5, seed=0)
    shown = metrics(at)
    assert float(shown["Largest per-step loss difference"]) < 1e-12  # float64: rounding only
    assert r.max_loss_diff < 1e-12
    assert shown["Final loss (NumPy | PyTorch)"] == (
        f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}")
    assert float(shown["Largest weight difference after training"]) < 1e-12
    assert "ms" in shown["NumPy training time"] and "×" in shown["PyTorch ÷ NumPy"]


def test_gradients_tab_deep_link(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="Gradients", np_data="moons", np_spec="2-5-1", np_n="40", **SMALL)
    assert_clean(at)
    X, y = twin.load_data("moons", 40, 0.1, 0)
    rows = twin.gradient_check(twin.initial_model((2, 5, 1), "relu", 0), "relu", X, y)
    worst = max(r.max_abs_diff for r in rows)
    shown = float(metrics(at)["Largest |manual − autograd| over every gradient"])
    # both are rounding noise (BLAS kernels may pick other paths from run to run); both tiny
    assert worst < 1e-12 and shown < 1e-12
    assert len(at.dataframe[0].value) == 4  # dW1, db1, dW2, db2


def test_bad_spec_is_a_clear_error(open_app: OpenPage) -> None:
    at = open_app(URL, **SMALL)
    at.text_input(key="np_spec").input("3-4-1").run()
    assert at.error and "first width must be 2" in at.error[0].value
    assert not at.exception


def test_code_tab_and_generated_script(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="The code", np_ep="120", np_seed="5")
    assert_clean(at)
    text = shown_text(at)
    assert "(features, samples) = (2, 4)" in text and "(samples, features) = (4, 2)" in text
    code = at.code[-1].value
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {"__name__": "generated"})
    X, y = twin.load_data("xor", 4, 0.0, 5)
    r = twin.race((2, 4, 1), "relu", X, y, 120, 0.5, seed=5)
    final = next(ln for ln in buf.getvalue().splitlines() if ln.startswith("final loss:"))
    assert [float(v) for v in final.split(":")[1].split()] == pytest.approx(
        [r.losses_np[-1], r.losses_torch[-1]], abs=1e-12)
    train = open_app(URL, np_ep="120", np_seed="5")
    assert metrics(train)["Final loss (NumPy | PyTorch)"] == (
        f"{r.losses_np[-1]:.6f} | {r.losses_torch[-1]:.6f}")


def test_saving_tab_catches_the_pickle_failure(open_app: OpenPage) -> None:
    at = open_app(URL, np_tab="Saving a model", **SMALL)
    assert_clean(at)
    assert at.warning and "UnpicklingError" in at.warning[0].value
    table = at.dataframe[0].value
    assert table["loss"][0] == table["loss"][1] != table["loss"][2]


def test_view_changes_never_retrain(open_app: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training runs once per settings for the server: tabs, view controls and other
    learners reuse it; new settings train anew."""
    calls: list[int] = []
    race = twin.race

    def counted(*args: object, **kwargs: object) -> twin.Race:
        calls.append(1)
        return race(*args, **kwargs)

    monkeypatch.setattr(twin, "race", counted)
    twin_view.shared_race.clear()
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
