"""The Tensor playground, driven like a learner would: set widgets, read the numbers shown,
run the generated code and compare, open deep links."""

from __future__ import annotations

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from tests.conftest import OpenPage, assert_clean, shown_text
from tests.conftest import run_script as run_code

URL = "tensors"


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def generated(at: AppTest, marker: str = "import torch") -> str:
    found = [c for c in codes(at) if marker in c]
    assert found, "the page shows its code"
    return found[0]


def test_default_view_is_the_lesson_tensor(open_app: OpenPage) -> None:
    at = open_app(URL)
    assert_clean(at)
    assert str(torch.tensor([[1, 2], [3, 4]])) in codes(at)
    text = shown_text(at)
    for row in ("| shape | (2, 2) |", "| stride | (2, 1) |", "| dtype | torch.int64 |",
                "| nbytes | 32 bytes |", "| is_contiguous | True |"):
        assert row in text


def test_create_randn_with_seed_and_dtype_matches_its_code(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.selectbox(key="t_kind").select("randn").run()
    at.text_input(key="t_shape").input("3, 4").run()
    at.selectbox(key="t_dtype").select("float64").run()
    at.number_input(key="t_seed").set_value(3).run()
    assert_clean(at)
    torch.manual_seed(3)
    expected = torch.randn(3, 4, dtype=torch.float64)
    assert str(expected) in codes(at)
    ns, printed = run_code(generated(at))
    assert torch.equal(ns["t"], expected) and str(expected) in printed
    assert "t.stride() (4, 1)" in printed


def test_bad_literal_is_an_error_that_keeps_the_page(open_app: OpenPage) -> None:
    at = open_app(URL)
    at.text_input(key="t_lit").input("[[1, 2], [3]]").run()
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "ragged" in msg and "Column 10" in msg and "Allowed:" in msg
    at.text_input(key="t_lit").input("__import__('os').system('x')").run()
    assert "function calls are not allowed" in at.error[0].value
    assert at.selectbox(key="t_kind").value == "tensor"


def test_operate_matmul_and_reduction(open_app: OpenPage) -> None:
    at = open_app(URL, t_tab="Operate")
    assert_clean(at)
    assert str(torch.tensor([[6.0, 8.0], [10.0, 12.0]])) in codes(at)
    at.selectbox(key="t_op").select("@").run()
    assert str(torch.tensor([[19.0, 22.0], [43.0, 50.0]])) in codes(at)
    assert "(n, k) @ (k, m)" in shown_text(at)
    at.selectbox(key="t_op").select("max").run()
    at.button_group(key="t_dim").set_value("1").run()
    assert_clean(at)
    text = shown_text(at)
    assert "dim=1 collapses axis 1" in text and "NumPy agrees" in text
    assert str(torch.tensor([2.0, 4.0])) in codes(at)
    assert str(torch.tensor([1, 1])) in codes(at)  # .indices
    ns, _ = run_code(generated(at))
    assert torch.equal(ns["result"].values, torch.tensor([2.0, 4.0]))
    assert np.array_equal(ns["result_np"], np.array([2.0, 4.0], dtype=np.float32))


def test_operate_broadcast_and_refusals(open_app: OpenPage) -> None:
    at = open_app(URL, t_tab="Operate")
    at.button(key="t_pre1").click().run()  # broadcast a row
    assert_clean(at)
    assert "| 0 | 2 | — | 2 | B has no axis here: treated as size 1, then stretched to 2 |" \
        in shown_text(at)
    expected = torch.tensor([[11.0, 22.0, 33.0], [14.0, 25.0, 36.0]])
    assert str(expected) in codes(at)
    ns, _ = run_code(generated(at))
    assert torch.equal(ns["result"], expected)
    at.button(key="t_pre3").click().run()  # shapes that clash
    assert not at.exception and "do not broadcast: on axis 1" in at.error[0].value
    at.button(key="t_pre0").click().run()
    at.selectbox(key="t_odtype").select("int64").run()
    at.selectbox(key="t_op").select("mean").run()
    assert "float" in at.error[0].value and not at.exception


def test_reshape_view_refusal_and_slice(open_app: OpenPage) -> None:
    at = open_app(URL, t_tab="Reshape & index")
    assert_clean(at)
    d = torch.arange(20).reshape(4, 5)
    assert str(d[1:3, 2:4]) in codes(at)
    at.text_input(key="t_slice").input("d[:, 0]").run()
    assert str(d[:, 0]) in codes(at)
    at.toggle(key="t_dT").set_value(True).run()
    at.selectbox(key="t_rop").select("view").run()
    at.text_input(key="t_rshape").input("-1").run()
    assert not at.exception
    assert any("view refuses" in w.value for w in at.warning)
    at.selectbox(key="t_rop").select("reshape").run()
    assert any("It is a copy" in w.value for w in at.warning)
    ns, printed = run_code(generated(at, "r = d."))
    assert torch.equal(ns["r"], d.T.reshape(-1)) and "shares memory with d: False" in printed
    ns, _ = run_code(generated(at, "s = d["))
    assert torch.equal(ns["s"], d.T[:, 0]) and str(d.T[:, 0]) in codes(at)
    at.text_input(key="t_slice").input("d[::-1]").run()
    assert "PyTorch" in at.error[0].value and not at.exception


def test_view_needs_compatible_strides_not_contiguity(open_app: OpenPage) -> None:
    """The two examples: d.T.view(5, 2, 2) shares d's memory, d.T.view(20) is refused."""
    at = open_app(URL, t_tab="Reshape & index")
    at.button(key="t_vex0").click().run()
    assert_clean(at)
    d = torch.arange(20).reshape(4, 5)
    assert at.toggle(key="t_dT").value and at.text_input(key="t_rshape").value == "5, 2, 2"
    assert str(d.T.view(5, 2, 2)) in codes(at)
    assert any("It shares d's memory" in i.value for i in at.info)
    ns, printed = run_code(generated(at, "r = d."))
    assert torch.equal(ns["r"], d.T.view(5, 2, 2)) and "shares memory with d: True" in printed
    at.button(key="t_vex1").click().run()
    assert not at.exception
    assert any("view refuses" in w.value and "(20,)" in w.value for w in at.warning)
    assert "strides (1, 5), contiguous: False" in shown_text(at)


def test_numpy_tab_shared_memory(open_app: OpenPage) -> None:
    at = open_app(URL, t_tab="NumPy ⇄ PyTorch")
    assert_clean(at)
    text = shown_text(at)
    assert text.count(":orange[changed]") == 2  # arr and from_numpy's tensor
    assert str(torch.tensor([[1, 99], [3, 4]])) in codes(at)
    at.button_group(key="t_wt").set_value("copied").run()
    at.number_input(key="t_wval").set_value(-7.0).run()
    assert_clean(at)
    ns, printed = run_code(generated(at, "from_numpy"))
    assert "copied uses arr memory: False" in printed
    assert ns["copied"].tolist() == [[1, -7], [3, 4]] and ns["arr"].tolist() == [[1, 2], [3, 4]]
    assert str(ns["copied"]) in codes(at) and str(ns["back"]) in codes(at)
    assert "| Sum | `a.sum()` | `t.sum()` | () int64: 10 | () int64: 10 | ✓ same values" \
        in shown_text(at)


def test_deep_link_reproduces_the_view(open_app: OpenPage) -> None:
    # a bound selectbox writes its shown label to the URL, so the link carries "A * B"
    at = open_app(URL, t_tab="Operate", t_a="[[1, 2, 3]]", t_b="[[10], [20]]", t_op="A * B",
                  t_odtype="int64")
    assert_clean(at)
    assert at.text_input(key="t_a").value == "[[1, 2, 3]]"
    expected = torch.tensor([[10, 20, 30], [20, 40, 60]])
    assert str(expected) in codes(at)
    assert "broadcast to (2, 3)" in shown_text(at)
    assert at.selectbox(key="t_op").value == "*"
    at2 = open_app(URL, t_tab="Reshape & index", t_slice="d[::2, 1:]", t_dshape="4, 5",
                   t_rop=".view()", t_rshape="5, -1")
    assert_clean(at2)
    d = torch.arange(20).reshape(4, 5)
    assert str(d[::2, 1:]) in codes(at2) and str(d.view(5, -1)) in codes(at2)
    at3 = open_app(URL, t_kind="torch.arange", t_start="1", t_end="4", t_step="0.5")
    assert str(torch.arange(1, 4, 0.5)) in codes(at3)
