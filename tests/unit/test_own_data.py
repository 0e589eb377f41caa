"""A learner's own data: what an upload may be, the message for each thing it may not be,
the caps checked before parsing, labels mapped to classes, the script's reading code
giving the very same tensors, and drawn points in and out of a link."""

from __future__ import annotations

import io
import string
from pathlib import Path

import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml101 import own_data
from ml101.inputs import InputError
from ml101.own_data import (
    CsvError,
    DrawError,
    decode_points,
    default_dataset,
    drawn_csv,
    drawn_data,
    encode_points,
    read_table,
    to_dataset,
)


def _table(text: str, name: str = "t.csv") -> own_data.Table:
    return read_table(text.encode(), name)


def _read_like_the_script(own: own_data.OwnData, folder: Path) -> tuple[torch.Tensor, ...]:
    """Run the script's reading lines beside the file, as a learner would."""
    (folder / own.file_name).write_bytes(own.data)
    ns = {"torch": torch, "pd": pd}
    code = own_data.reading_code(own, str(folder / own.file_name))
    exec(code, ns)
    return ns["X"], ns["y"]


def test_the_example_file() -> None:
    own = default_dataset(read_table(own_data.example_csv(), "fruit.csv"))
    assert (len(own), own.n_features, own.n_classes) == (150, 4, 3)
    assert own.label_name == "fruit" and own.classes == ["apple", "lemon", "orange"]
    assert own.feature_names == ("mass_g", "width_cm", "height_cm", "colour_score")
    assert own.X.dtype == torch.float32 and own.y.dtype == torch.int64
    assert own.class_counts() == [50, 50, 50]
    ds = own.dataset()  # three classes: int64 indices of shape (N,), as the catalogue's
    assert ds.y.shape == (150,) and ds.n_classes == 3


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found(delimiter: str) -> None:
    rows = [["a", "b", "label"], ["1.5", "2", "x"], ["3", "-4e-1", "y"], ["0", "1", "x"]]
    table = _table("\n".join(delimiter.join(r) for r in rows))
    assert table.delimiter == delimiter and table.header
    own = default_dataset(table)
    assert own.X.tolist() == [[1.5, 2.0], [3.0, pytest.approx(-0.4)], [0.0, 1.0]]
    assert own.y.tolist() == [0, 1, 0]


def test_a_header_is_optional() -> None:
    table = _table("1,2,0\n3,4,1\n5,6,1\n")
    assert not table.header and [c.name for c in table.columns] == [
        "column 1", "column 2", "column 3"]
    own = to_dataset(table, 2)
    assert len(own) == 3 and own.classes == ["0", "1"]
    assert "no header row" in own_data.how_read(table)


def test_labels_become_class_indices_in_sorted_order() -> None:
    own = to_dataset(_table("x,y\n1,3\n2,1\n3,3\n4,1\n"), 1)  # integer labels 1 and 3
    assert own.class_of == ((1, 0), (3, 1)) and own.y.tolist() == [1, 0, 1, 0]
    own = default_dataset(_table("x,kind\n1,dog\n2,cat\n3,emu\n"))
    assert own.classes == ["cat", "dog", "emu"] and own.y.tolist() == [1, 0, 2]


def test_a_text_label_beats_a_numeric_one_as_the_default() -> None:
    table = _table("kind,x,flag\ncat,1,0\ndog,2,1\ncat,3,1\n")
    assert table.default_label.name == "kind"
    assert default_dataset(table).feature_names == ("x", "flag")


BAD = {
    "wrong delimiter": (b"x y label\n1 2 a\n3 4 b\n", "no comma, semicolon, tab or |"),
    "no numeric columns": (b"name,kind\nann,cat\nbob,dog\n", "no column holds numbers only"),
    "NaN": (b"x,y,l\n1,2,a\n3,nan,b\n", "row 3, column 'y' is empty or not a number"),
    "empty cell": (b"x,y,l\n1,2,a\n3,,b\n4,5,a\n", "row 3, column 'y' is empty"),
    "inf": (b"x,y,l\n1,2,a\n3,4,b\n-inf,1,a\n", "row 4, column 'x' holds -inf"),
    "binary named .csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00", "an .xlsx workbook is one"),
    "nul bytes": (b"x,y\n1,\x002\n", "control character 0x00"),
    "UTF-16 with BOM": ("x,y,l\n1,2,a\n".encode("utf-16"), "UTF-16"),
    "UTF-16 without BOM": ("x,y,l\n1,2,a\n3,4,b\n".encode("utf-16-le"), "UTF-16"),
    "Latin-1": ("x,y,l\n1,2,caf\xe9\n".encode("latin-1"), "row 2 holds byte 0xe9"),
    "ragged rows": (b"x,y,l\n1,2,a\n3,4,b,5\n", "row 3 has 4 values where the rows above have 3"),
    "header only": (b"x,y,label\n", "0 data rows under its header"),
    "empty": (b"  \n\n", "the file is empty"),
    "too many columns": ((",".join(f"c{i}" for i in range(34)) + "\n"
                          + ",".join("1" * 34) + "\n").encode(), "34 columns"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_each_bad_file_gets_its_own_message(case: str) -> None:
    data, words = BAD[case]
    with pytest.raises(CsvError, match=words) as info:
        read_table(data, "upload.csv")
    assert isinstance(info.value, InputError) and "Allowed: " in str(info.value)


def test_a_bad_label_column_says_why() -> None:
    one = _table("x,y,l\n1,2,a\n3,4,a\n")
    with pytest.raises(CsvError, match="one class only: every row of 'l' holds 'a'"):
        to_dataset(one, 2)
    many = _table("price,size\n" + "".join(f"{i * 1.5},{i % 3}\n" for i in range(3000)))
    with pytest.raises(CsvError, match="'price' has 3,000 distinct values"):
        to_dataset(many, 0)
    assert to_dataset(many, 1).n_classes == 3  # the other column is a fine label
    only_prices = _table("price,cost\n" + "".join(f"{i},{i * 2}\n" for i in range(3000)))
    with pytest.raises(CsvError, match="no column can be the label"):
        default_dataset(only_prices)
    gap = _table("x,l\n1,a\n2,\n3,b\n")
    with pytest.raises(CsvError, match="row 3 has no label"):
        to_dataset(gap, 1)
    with pytest.raises(CsvError, match="a decimal comma"):
        _table("x;l\n1,5;a\n2,5;b\n")


def test_the_caps_are_checked_before_the_table_is_parsed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("read_csv ran on a file over the caps")

    monkeypatch.setattr(pd, "read_csv", never)
    rows = "x,y\n" + "1,0\n" * (own_data.MAX_ROWS + 1)
    with pytest.raises(CsvError, match="20,002 rows"):
        read_table(rows.encode())
    with pytest.raises(CsvError, match=r"5\.0 MB"):
        read_table(b"1" * (own_data.MAX_BYTES + 1))
    wide = ",".join("1" * 40) + "\n"
    with pytest.raises(CsvError, match="40 columns"):
        read_table((wide * 3).encode())


def test_a_file_at_the_caps_is_read() -> None:
    rows = ["f" + ",f".join(map(str, range(32))) + ",label"]
    rows += [",".join(f"{(i * 7 + j) % 1000 / 7:.3f}" for j in range(32)) + f",{i % 8}"
             for i in range(own_data.MAX_ROWS)]
    data = ("\n".join(rows) + "\n").encode()
    assert len(data) <= own_data.MAX_BYTES
    own = default_dataset(read_table(data))
    assert (len(own), own.n_features, own.n_classes) == (own_data.MAX_ROWS, 32, 8)


def test_the_scripts_reading_code_gives_the_same_tensors(tmp_path: Path) -> None:
    own = default_dataset(read_table(own_data.example_csv(), "fruit.csv"))
    X, y = _read_like_the_script(own, tmp_path)
    assert torch.equal(X, own.X) and torch.equal(y, own.y)


def test_file_names_are_made_safe_for_a_script() -> None:
    assert _table("x,l\n1,a\n2,b\n", "C:\\Users\\me\\my data (1).CSV").name == "my_data_1_.CSV"
    assert _table("x,l\n1,a\n2,b\n", "../../etc/passwd").name == "passwd.csv"


def test_summary_and_roles() -> None:
    table = _table("x,note,y,kind\n1,hi,2,a\n3,yo,4,b\n")
    own = default_dataset(table)
    rows = {r["column"]: r for r in own_data.column_summary(table, own)}
    assert rows["x"]["role"] == "feature" and rows["x"]["mean"] == 2.0
    assert rows["kind"]["role"] == "label" and rows["note"]["role"] == "not used"
    assert "holds 'hi' in row 2" in rows["note"]["note"]


def test_a_checkpoint_carries_the_table(tmp_path: Path) -> None:
    own = default_dataset(read_table(own_data.example_csv(), "fruit.csv"))
    buf = io.BytesIO()
    torch.save({"own": own_data.portable(own)}, buf)
    again = own_data.from_portable(torch.load(io.BytesIO(buf.getvalue()),
                                              weights_only=True)["own"])
    assert again == own and torch.equal(again.X, own.X)
    with pytest.raises(CsvError):
        own_data.from_portable({"data": "not bytes"})


def test_standardizer_uses_the_training_rows_and_keeps_constant_columns() -> None:
    X = torch.tensor([[1.0, 5.0], [3.0, 5.0]])
    mean, std = own_data.standardizer(X)
    assert mean.tolist() == [2.0, 5.0] and std[1] == 1.0
    assert torch.equal(own_data.standardizer(X[:1])[1], torch.ones(2))  # one row: no spread


# --- the parser under random input ---------------------------------------------------------


def _never_crashes(data: bytes) -> None:
    try:
        table = read_table(data, "fuzz.csv")
    except CsvError:
        return
    try:
        own = default_dataset(table)
    except CsvError:
        return
    assert own.X.shape == (len(own), own.n_features) and torch.isfinite(own.X).all()
    assert int(own.y.max()) < own.n_classes <= own_data.MAX_CLASSES


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_read_or_refused_with_a_message(data: bytes) -> None:
    _never_crashes(data)


_CELLS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["", " ", "nan", "NA", "inf", "1,5", "1e400", "-0", "a", "cat", "dog",
                     '"x,y"', '"', "1_0", "True", "null", "  3 "]),
    st.text(string.ascii_letters + string.digits + " .-", max_size=6),
)


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    """Text shaped like a CSV: a delimiter, rows of cells (some ragged), maybe a header."""
    sep = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(_CELLS, min_size=max(1, width - 1), max_size=width + 1),
                         min_size=0, max_size=12))
    if draw(st.booleans()):
        rows.insert(0, [f"col{j}" for j in range(width)])
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(sep.join(r) for r in rows) + draw(st.sampled_from(["", end]))


@settings(max_examples=300, deadline=None)
@given(csv_text())
def test_random_csv_text_is_read_or_refused_with_a_message(text: str) -> None:
    _never_crashes(text.encode())


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, bool, list[list[str]]]:
    """Tables the page accepts: numeric features in many spellings and a label column."""
    sep, header = draw(st.sampled_from([",", ";", "\t", "|"])), draw(st.booleans())
    n_feat, n_rows = draw(st.integers(1, 4)), draw(st.integers(2, 15))
    number = st.one_of(st.integers(-10**6, 10**6).map(str),
                       st.floats(-1e6, 1e6, allow_nan=False).map(repr),
                       st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{v:.3f}"),
                       st.floats(1e-30, 1e30).map(lambda v: f"{v:e}"))
    kinds = draw(st.sampled_from([["a", "b", "c"], ["0", "1", "7"], ["cat", "dog"]]))
    labels = draw(st.lists(st.sampled_from(kinds), min_size=n_rows, max_size=n_rows).filter(
        lambda v: len(set(v)) >= 2))
    rows = [[draw(number) for _ in range(n_feat)] + [lab] for lab in labels]
    return sep, header, rows


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(table=tables())
def test_the_script_reads_any_accepted_table_to_the_same_tensors(
        table: tuple[str, bool, list[list[str]]], tmp_path: Path) -> None:
    sep, header, rows = table
    lines = ([sep.join(f"h{j}" for j in range(len(rows[0])))] if header else []) + [
        sep.join(r) for r in rows]
    parsed = read_table(("\n".join(lines) + "\n").encode(), "table.csv")
    own = to_dataset(parsed, len(rows[0]) - 1)
    X, y = _read_like_the_script(own, tmp_path)
    assert torch.equal(X, own.X) and torch.equal(y, own.y)
    assert X.tolist() == torch.tensor([[float(c) for c in r[:-1]] for r in rows],
                                      dtype=torch.float64).float().tolist()


# --- drawn points --------------------------------------------------------------------------

POINTS = st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20), st.integers(0, 7)),
                  max_size=own_data.LINK_POINTS)


@given(POINTS)
def test_points_survive_a_link(points: list[own_data.Point]) -> None:
    text = encode_points(points)
    assert len(text) == 3 * len(points) and decode_points(text) == points


@given(st.text(max_size=40))
def test_a_links_points_are_read_or_refused(text: str) -> None:
    try:
        points = decode_points(text)
    except DrawError as err:
        assert "Allowed: " in str(err)
        return
    assert all(-20 <= x <= 20 and -20 <= y <= 20 and 0 <= c <= 7 for x, y, c in points)


def test_a_link_holds_at_most_its_cap() -> None:
    with pytest.raises(DrawError, match=f"at most {own_data.LINK_POINTS} points"):
        decode_points("0kk" * (own_data.LINK_POINTS + 1))


def test_a_drawing_is_a_csv_and_a_dataset() -> None:
    points = [(0, 0, 0), (20, -20, 2), (-4, 7, 2)]
    assert drawn_csv(points).decode().splitlines() == ["x,y,class", "0.00,0.00,0",
                                                       "1.00,-1.00,2", "-0.20,0.35,2"]
    own = drawn_data(points)
    assert own.source == "draw" and own.file_name == own_data.DRAWN_NAME
    assert own.classes == ["0", "2"] and own.y.tolist() == [0, 1, 1]  # 2 becomes class 1
    assert own_data.points_of(own) == points
    with pytest.raises(CsvError, match="no points yet"):
        drawn_data([])
    with pytest.raises(CsvError, match="3 points in 1 class so far"):
        drawn_data([(0, 0, 1)] * 3)
    assert drawn_data([(0, 0, 1)] * 3, min_classes=1).n_classes == 1  # a loader needs one


def test_snap_keeps_clicks_on_the_plane() -> None:
    assert own_data.snap(0.26) == 5 and own_data.snap(-7.0) == -20
    with pytest.raises(DrawError):
        own_data.snap(float("nan"))
