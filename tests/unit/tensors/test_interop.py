"""Quick reference and the shared-memory demo tell the truth about PyTorch and NumPy."""

from __future__ import annotations

import contextlib
import io

import pytest

from ml101.tensors.code import code_for
from ml101.tensors.create import TensorError
from ml101.tensors.interop import quick_reference, share_demo


def test_quick_reference_rows() -> None:
    ref = quick_reference("[[1, 2], [3, 4]]", 0)
    rows = {r.operation: r for r in ref.rows}
    assert list(rows) == ["Create zeros", "Random normal", "Matrix multiply", "Sum", "Reshape",
                          "Transpose", "To device"]
    assert rows["Matrix multiply"].torch_result.endswith("[[7, 10], [15, 22]]")
    assert rows["Sum"].verdict.startswith("✓") and "10" in rows["Sum"].torch_result
    zeros = rows["Create zeros"].verdict
    assert zeros.startswith("✓") and "float64" in zeros
    assert "by design" in rows["Random normal"].verdict
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code_for(ref), {})
    assert "[[ 7 10]" in out.getvalue()


def test_quick_reference_on_a_vector() -> None:
    rows = {r.operation: r for r in quick_reference("[1, 2, 3]", 0).rows}
    assert rows["Transpose"].verdict == "—" and rows["Matrix multiply"].verdict == "—"


def test_writing_into_the_array_shows_through_from_numpy_only() -> None:
    demo = share_demo("[[1, 2], [3, 4]]", "arr", "[0, 1]", 99)
    assert demo.changed == {"arr": True, "shared": True, "copied": False, "back": False}
    assert demo.same_memory == {"shared": True, "copied": False, "back": True}
    assert demo.shared.tolist() == [[1, 99], [3, 4]] and demo.copied.tolist() == [[1, 2], [3, 4]]


def test_writing_into_the_copy_shows_through_numpy_back() -> None:
    demo = share_demo("[[1, 2], [3, 4]]", "copied", "copied[:, 0]", -5)
    assert demo.changed == {"arr": False, "shared": False, "copied": True, "back": True}
    assert demo.back.tolist() == [[-5, 2], [-5, 4]]
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code_for(demo), ns)
    assert ns["back"].tolist() == demo.back.tolist() and ns["arr"].tolist() == demo.arr.tolist()
    assert "copied uses arr memory: False" in out.getvalue()


@pytest.mark.parametrize(("lit", "where", "words"), [
    ("5", "[0]", "1-D"), ("[True]", "[0]", "True/False"), ("[1, 2]", "[7]", "out of range"),
])
def test_demo_refusals(lit: str, where: str, words: str) -> None:
    with pytest.raises((TensorError, ValueError), match=words):
        share_demo(lit, "arr", where, 1)
