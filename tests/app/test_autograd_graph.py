"""The autograd page in AppTest: expressions and values in, gradients and graphs out."""

from __future__ import annotations

import contextlib
import io

from ml101.autograd.graph import fmt_tensor
from tests.app.contract import code_panel
from tests.conftest import OpenPage, assert_clean, shown_text

GRAPH = {"ag_expr": "y = 2*x; z = y**2; out = z.mean()", "ag_vars": "x = [1.0, 2.0, 3.0]"}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def dot(at) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def test_default_is_the_lesson_first_example(open_app: OpenPage) -> None:
    at = open_app("autograd")
    assert_clean(at)
    assert metrics(at) == {"y, shape ()": "9", "x.grad after backward": "6"}
    assert at.slider(key="ag_step").value == at.slider(key="ag_step").max == 5
    graph = dot(at)
    for text in ("AddBackward0", "PowBackward0", "MulBackward0", "AccumulateGrad",
                 ".grad = 6", "value = 9"):
        assert text in graph
    assert "By hand, dy/dx = **2x + 2**, which at x = 2 is **6**" in shown_text(at)


def test_preset_and_step_slider_walk_the_chain_rule(open_app: OpenPage) -> None:
    at = open_app("autograd")
    at.button(key="ag_p_graph").click().run()
    assert_clean(at)
    assert metrics(at)["x.grad after backward"] == "[2.667, 5.333, 8]"
    assert metrics(at)["out, shape ()"] == "18.67"
    at.slider(key="ag_step").set_value(2).run()
    text = shown_text(at)
    assert "Step 2 of 4" in text and "**PowBackward0: z = y**2**" in text
    assert "upstream [0.3333, 0.3333, 0.3333] ⊙ local [4, 8, 12] = **[1.333, 2.667, 4]**" in text
    assert ".grad = None" in dot(at)
    at.slider(key="ag_step").set_value(0).run()
    assert "grad in" not in dot(at) and "The forward pass has run" in shown_text(at)
    table = at.dataframe[0].value
    assert table["by hand: 8x / 3"].round(4).tolist() == [2.6667, 5.3333, 8.0]
    assert (table["|difference|"] < 1e-6).all()


def test_player_walks_the_backward_pass(open_app: OpenPage) -> None:
    """Reset shows the forward pass, Step and Back move one node, Play walks to the end."""
    at = open_app("autograd", **GRAPH)
    at.button(key="ag_bw_reset").click().run()
    assert at.slider(key="ag_step").value == 0
    assert "The forward pass has run" in shown_text(at) and "grad in" not in dot(at)
    assert at.button(key="ag_bw_back").disabled
    at.button(key="ag_bw_step").click().run()
    at.button(key="ag_bw_step").click().run()
    text = shown_text(at)
    assert at.slider(key="ag_step").value == 2 and "Step 2 of 4" in text
    assert "upstream [0.3333, 0.3333, 0.3333] ⊙ local [4, 8, 12] = **[1.333, 2.667, 4]**" in text
    at.button(key="ag_bw_back").click().run()
    assert at.slider(key="ag_step").value == 1 and "**MeanBackward0: out = z.mean()**" \
        in shown_text(at)
    at.button(key="ag_bw_play").click().run()  # each run while playing is one tick
    seen = [at.slider(key="ag_step").value]
    while at.button(key="ag_bw_play").label == "Pause":
        at.run()
        seen.append(at.slider(key="ag_step").value)
        assert len(seen) < 10, "the walk must end"
    assert_clean(at)
    assert seen[0] == 2 and seen[-1] == 4 and seen == sorted(seen)
    assert at.button(key="ag_bw_step").disabled
    assert ".grad = [2.667, 5.333, 8]" in dot(at)
    at.button(key="ag_bw_play").click().run()  # Play at the end starts again
    assert at.slider(key="ag_step").value == 1


def test_a_link_to_the_forward_pass_can_step_and_a_deck_scene_plays(open_app: OpenPage
                                                                     ) -> None:
    """?ag_step=0 opens on the forward pass with Step ready; a lecture deck's play = true
    (ag_autoplay) starts the walk on arrival."""
    at = open_app("autograd", ag_step="0", **GRAPH)
    assert at.slider(key="ag_step").value == 0
    assert not at.button(key="ag_bw_step").disabled and at.button(key="ag_bw_back").disabled
    at.session_state["ag_autoplay"] = True
    at.run()
    assert at.slider(key="ag_step").value == 1 and at.button(key="ag_bw_play").label == "Pause"


def test_two_paths_into_x_are_summed_in_one_backward(open_app: OpenPage) -> None:
    at = open_app("autograd", ag_step="5")
    text = shown_text(at)
    assert "**AccumulateGrad → x.grad**" in text
    assert "Gradients arrive along 2 paths, and the engine adds them before this node runs: " \
        in text and "= **6**" in text


def test_typed_expression_and_values(open_app: OpenPage) -> None:
    at = open_app("autograd")
    at.text_input(key="ag_vars").input("x = 0.0; w = [2.0, -1.0]").run()
    at.text_input(key="ag_expr").input("(sin(x) * w).sum() + w @ w").run()
    assert_clean(at)
    m = metrics(at)
    assert m["x.grad after backward"] == "1" and m["w.grad after backward"] == "[4, -2]"
    assert "DotBackward0" in dot(at) and "SinBackward0" in dot(at)
    at.toggle(key="ag_rg_w").set_value(False).run()
    assert_clean(at)
    assert metrics(at)["w.grad after backward"] == "None"
    assert "w has requires_grad=False" in shown_text(at)


def test_deep_link_reproduces_expression_values_and_step(open_app: OpenPage) -> None:
    at = open_app("autograd", ag_step="3", **GRAPH)
    assert_clean(at)
    assert at.text_input(key="ag_expr").value == GRAPH["ag_expr"]
    assert at.slider(key="ag_step").value == 3
    text = shown_text(at)
    assert "Step 3 of 4" in text and "**MulBackward0: y = 2*x**" in text
    assert "upstream [1.333, 2.667, 4] ⊙ local [2, 2, 2] = **[2.667, 5.333, 8]**" in text
    far = open_app("autograd", ag_step="40", **GRAPH)
    assert_clean(far)
    assert far.slider(key="ag_step").value == 4


def test_bad_input_is_an_error_naming_the_token(open_app: OpenPage) -> None:
    at = open_app("autograd")
    at.text_input(key="ag_expr").input("x.__class__ + 1").run()
    assert not at.exception
    assert "`x.__class__` at column 1" in at.error[0].value
    assert at.text_input(key="ag_vars").value == "x = 2.0"
    at.text_input(key="ag_expr").input("9**9**9 * x").run()
    assert "exponents must lie between" in at.error[0].value


def test_nothing_requires_grad_is_explained_not_an_error(open_app: OpenPage) -> None:
    at = open_app("autograd", ag_rg_x="false")
    assert_clean(at)
    assert any("does not require grad" in i.value for i in at.info)
    assert metrics(at)["x.grad after backward"] == "None"


def test_gradient_accumulation_buttons(open_app: OpenPage) -> None:
    at = open_app("autograd")
    at.button(key="ag_p_accumulate").click().run()
    assert_clean(at)
    seen = []
    for key in ("ag_bk1", "ag_bk2", "ag_zero", "ag_bk2"):
        at.button(key=key).click().run()
        seen.append(metrics(at)["x.grad now"])
    assert seen == ["6", "7", "0", "1"]
    assert_clean(at)
    code = code_panel(at, "Show the code for these presses")
    assert "y2.backward()" in code and "x.grad.zero_()" in code


def test_no_grad_detach_and_errors_tabs(open_app: OpenPage) -> None:
    at = open_app("autograd", ag_tab="no_grad and detach", **GRAPH)
    assert_clean(at)
    text = shown_text(at)
    assert "grad_fn **MeanBackward0**" in text and text.count("grad_fn **None**") == 2
    assert "graph nodes recorded **4**" in text
    at = open_app("autograd", ag_tab="Errors learners meet")
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "grad can be implicitly created only for scalar outputs" in warnings
    assert "Trying to backward through the graph a second time" in warnings
    assert "does not require grad and does not have a grad_fn" in warnings


def test_generated_code_prints_the_numbers_on_screen(open_app: OpenPage) -> None:
    at = open_app("autograd", ag_expr="relu(w @ x) + tanh(x)", ag_vars="x = [0.5, 2.0]; "
                  "w = [[1.0, 2.0], [-3.0, 0.5]]")
    assert_clean(at)
    shown = metrics(at)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code_panel(at), ns)
    assert fmt_tensor(ns["out"]) == shown["out, shape (2,)"]
    assert fmt_tensor(ns["x"].grad) == shown["x.grad after backward"]
    assert fmt_tensor(ns["w"].grad) == shown["w.grad after backward"]
