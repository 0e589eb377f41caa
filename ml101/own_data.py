"""Data a learner brings: a CSV file they upload, or points they click onto a plane.

Both end as an `OwnData`: float32 features and int64 class indices, together with the
bytes of the file they came from. The page reads those bytes with `pandas.read_csv`,
the delimiter and header found here and the columns taken by position, and the script a
learner copies (`reading_code`) reads the downloaded file with the very same call: the
same numbers by construction. Drawn points become such a file too (`drawn_csv`), so a
drawing downloads, uploads and exports like any CSV.

Uploads are untrusted: the caps are checked on the raw bytes, before the table is
parsed, and every refusal is a `CsvError` (an `InputError`) that names the row or the
column and says what is allowed.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ml101 import style
from ml101.datasets import MAX_CLASSES, MIN_CLASSES, ArrayDataset, DatasetSpec
from ml101.inputs import InputError

MAX_BYTES = 5 * 2**20  # "5 MB"
MAX_ROWS = 20_000
MAX_FEATURES = 32
MAX_COLUMNS = MAX_FEATURES + 1  # the features and the label
MIN_ROWS = 2
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
SAMPLE_LINES = 50  # lines read to find the delimiter and the header
# The two sources beside the catalogue, by the short names a link carries.
SOURCES = {"csv": "Your CSV file", "draw": "Points you draw"}
EXAMPLE_NAME = "fruit.csv"
DRAWN_NAME = "drawn_points.csv"
CAPS = (f"a UTF-8 text file of at most {MAX_BYTES // 2**20} MB and {MAX_ROWS:,} rows, values "
        "separated by commas, semicolons, tabs or |, with up to "
        f"{MAX_FEATURES} numeric feature columns and one label column of "
        f"{MIN_CLASSES} to {MAX_CLASSES} classes")

# Files that are often named .csv but are not text, by their first bytes.
_MAGIC = {b"\x89PNG": "a PNG image", b"%PDF": "a PDF document", b"\xff\xd8\xff": "a JPEG image",
          b"GIF8": "a GIF image", b"PK\x03\x04": "a zip archive (an .xlsx workbook is one)",
          b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)", b"\x1f\x8b": "a gzip archive"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvError(InputError):
    """Why an uploaded table was refused: the row or column, and what is allowed."""

    allowed = CAPS


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# --- reading the bytes -------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file as text, or a CsvError saying what it is instead (binary, UTF-16, not
    UTF-8) and where. Checks the size first, before looking at a single byte more."""
    if len(data) > MAX_BYTES:
        raise CsvError(f"the file is {len(data) / 2**20:.1f} MB",
                       allowed=f"files of at most {MAX_BYTES // 2**20} MB")
    if not data.strip():
        raise CsvError("the file is empty", allowed="a header row or data rows, one per line")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise CsvError(f"this is {what}, not a CSV text file, whatever its name",
                           allowed="a CSV file exported as text (in a spreadsheet: Save as, "
                                   "CSV UTF-8)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data[:4096]):
        raise CsvError("the file is UTF-16 text (as Excel's 'Unicode Text' saves it)",
                       allowed="UTF-8 text: save it as 'CSV UTF-8' or re-encode it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise CsvError(f"row {row} holds byte 0x{data[exc.start]:02x}, which is not UTF-8 "
                       "text", allowed="UTF-8 text: save it as 'CSV UTF-8' (Latin-1 or "
                                       "Windows-1252 files need re-encoding)") from None
    bad = _CONTROL.search(text)
    if bad:
        row = text.count("\n", 0, bad.start()) + 1
        raise CsvError(f"row {row} holds the control character 0x{ord(bad.group()):02x}: "
                       "this looks like a binary file, not text",
                       allowed="a CSV text file: rows of values, one per line")
    return text


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a zero byte beside every letter."""
    if len(head) < 8:
        return False
    text = bytes(range(32, 127)) + b"\t\r\n"
    for zeros, letters in ((head[0::2], head[1::2]), (head[1::2], head[0::2])):
        if zeros.count(0) > 0.8 * len(zeros) and \
                sum(b in text for b in letters) > 0.9 * len(letters):
            return True
    return False


def _sample(text: str) -> list[str]:
    lines = []
    for line in io.StringIO(text, newline=""):
        if line.strip():
            lines.append(line)
            if len(lines) == SAMPLE_LINES:
                break
    return lines


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as exc:
        raise CsvError(f"the first rows cannot be split into values ({exc})") from None


def find_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first rows into the same number (at least two) of
    values; ties go to the one that gives more columns, then to the comma."""
    best, score = None, (0.0, 0)
    for d in DELIMITERS:
        counts = Counter(len(row) for row in _split(lines, d))
        width, rows = counts.most_common(1)[0]
        if width < 2:
            continue
        s = (rows / len(lines), width)
        if s > score:
            best, score = d, s
    if best is None:
        raise CsvError("every row is one single value: no comma, semicolon, tab or | "
                       "separates the values (spaces do not count)",
                       allowed="values separated by commas, semicolons, tabs or |")
    return best


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def has_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns: it holds a word above a column of numbers,
    or (a table of words only) words that never come back in the rows below."""
    first, rest = rows[0], rows[1:]
    words = [j for j, c in enumerate(first) if c.strip() and not _is_number(c)]
    if not words:
        return False
    for j in words:
        below = [r[j] for r in rest if j < len(r) and r[j].strip()]
        if below and all(_is_number(c) for c in below):
            return True
    if len(words) < sum(1 for c in first if c.strip()):
        return False  # a number in the first row, and no word above a column of numbers
    return all(first[j] not in {r[j] for r in rest if j < len(r)} for j in words)


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Column:
    """One column as the page describes it: a name, a kind, and why if it is no number."""

    position: int  # 0-based, as the script takes it (table.iloc[:, position])
    name: str
    kind: str  # "number" | "text" | "empty"
    distinct: int  # distinct non-empty values
    note: str = ""  # for text: the first cell that is not a number


@dataclass(frozen=True, eq=False)
class Table:
    """An uploaded file, parsed: what the page previews and the label is chosen from."""

    name: str
    data: bytes
    delimiter: str
    header: bool
    frame: pd.DataFrame  # columns named as the page shows them
    columns: tuple[Column, ...]
    digest: str  # of the bytes: which file this is, without comparing megabytes

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def numeric(self) -> list[Column]:
        return [c for c in self.columns if c.kind == "number"]

    @property
    def label_choices(self) -> list[Column]:
        """Columns a label may come from: at least one value, at most MAX_CLASSES kinds."""
        return [c for c in self.columns if c.kind != "empty" and 1 <= c.distinct <= MAX_CLASSES]

    @property
    def default_label(self) -> Column | None:
        """The column most likely to be the label: the last text column of 2 to 8 values,
        else the last such numeric column while another numeric column is left as a
        feature; failing both, a column of one value (`to_dataset` then says so)."""
        choices = self.label_choices
        text = [c for c in choices if c.kind == "text"]
        named = [c for c in text if c.distinct >= MIN_CLASSES]
        numbers = [c for c in choices if c.kind == "number" and c.distinct >= MIN_CLASSES]
        if named:
            return named[-1]
        if numbers and len(self.numeric) >= 2:
            return numbers[-1]
        return (text or choices or [None])[-1]

    def row_number(self, i: int) -> int:
        """The row a spreadsheet shows for data row i (0-based): the header is row 1."""
        return i + 1 + self.header


def read_table(data: bytes, name: str = "data.csv") -> Table:
    """Parse an upload: caps on the bytes, then the delimiter, the header and the columns.

    Raises CsvError naming the row or column for anything the page cannot use: not text,
    too big, one column only, rows of different lengths, numeric columns with NaN, inf or
    empty cells, no numeric column at all."""
    text = decode(data)
    lines = text.count("\n") + 1
    if lines > MAX_ROWS + 1:
        lines = sum(1 for line in io.StringIO(text, newline="") if line.strip())
        if lines > MAX_ROWS + 1:
            raise CsvError(f"the file has {lines:,} rows",
                           allowed=f"at most {MAX_ROWS:,} rows (plus a header row)")
    sample = _sample(text)
    if not sample:
        raise CsvError("the file holds no rows", allowed="rows of values, one per line")
    delimiter = find_delimiter(sample)
    rows = _split(sample, delimiter)
    if len(rows[0]) > MAX_COLUMNS:
        raise CsvError(f"the first row has {len(rows[0])} columns (split at each "
                       f"{DELIMITER_NAMES[delimiter]})",
                       allowed=f"at most {MAX_COLUMNS} columns: {MAX_FEATURES} features and "
                               "the label")
    header = has_header(rows)
    frame = _parse(text, delimiter, header)
    if len(frame) > MAX_ROWS:
        raise CsvError(f"the file has {len(frame):,} data rows",
                       allowed=f"at most {MAX_ROWS:,} rows")
    if len(frame) < MIN_ROWS:
        raise CsvError(f"the file has {len(frame)} data row{'s' * (len(frame) != 1)}"
                       + (" under its header" if header else ""),
                       allowed=f"at least {MIN_ROWS} rows of data, one sample per row")
    names = _names(frame, header)
    frame.columns = names
    table = Table(_safe_name(name), data, delimiter, header, frame, (), _digest(data))
    columns = tuple(_column(table, j, n) for j, n in enumerate(names))
    if not any(c.kind == "number" for c in columns):
        texts = [c for c in columns if c.kind == "text"]
        raise CsvError("no column holds numbers only ("
                       + "; ".join(f"'{c.name}' {c.note}" for c in texts[:3]) + ")",
                       allowed="at least one column of plain numbers (the features) beside "
                               "the label; decimals written with a point, as in 2.5")
    return Table(table.name, data, delimiter, header, frame, columns, table.digest)


def read_call(source: str, delimiter: str, header: bool) -> str:
    """The pandas call that reads the file, as the page runs it and the script writes it."""
    return (f"pd.read_csv({source}, sep={delimiter!r}, header={0 if header else None}, "
            "encoding='utf-8-sig', low_memory=False)")


def _parse(text: str, delimiter: str, header: bool) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, header=0 if header else None,
                           low_memory=False, nrows=MAX_ROWS + 1)
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise CsvError(f"row {m[2]} has {m[3]} values where the rows above have {m[1]} "
                           f"(split at each {DELIMITER_NAMES[delimiter]})",
                           allowed="the same number of values in every row") from None
        raise CsvError(f"the rows cannot be read as a table ({str(exc).strip()[:120]})",
                       allowed="rows of values separated by one delimiter, text in "
                               "double quotes if it holds the delimiter") from None
    except (ValueError, pd.errors.EmptyDataError, csv.Error, OverflowError) as exc:
        raise CsvError(f"the rows cannot be read as a table ({str(exc).strip()[:120]})",
                       allowed="rows of values separated by one delimiter") from None


def _names(frame: pd.DataFrame, header: bool) -> list[str]:
    """Column names as the page shows them: the header's, else column 1, 2, ...; blank
    and repeated names get their position."""
    names: list[str] = []
    for j, raw in enumerate(frame.columns):
        name = str(raw).strip() if header else ""
        if not name or name.startswith("Unnamed: ") or name in names:
            name = f"column {j + 1}"
        names.append(name)
    return names


def _safe_name(name: str) -> str:
    """A file name the script can open beside itself: the base name, plain characters."""
    base = re.sub(r"[^\w.\-]+", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    base = base[:60] or "data"
    return base if base.lower().endswith(".csv") else base + ".csv"


def _column(table: Table, j: int, name: str) -> Column:
    col = table.frame.iloc[:, j]
    present = col.notna()
    if not present.any():
        return Column(j, name, "empty", 0)
    distinct = int(col[present].nunique())
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad))
            row = table.row_number(i)
            if np.isnan(values[i]):
                raise CsvError(f"row {row}, column '{name}' is empty or not a number (NaN)",
                               allowed="a number in every cell of a numeric column: fill "
                                       "that cell or delete the row")
            raise CsvError(f"row {row}, column '{name}' holds {values[i]}, not a finite "
                           "number", allowed="finite numbers in a numeric column")
        return Column(j, name, "number", distinct)
    first = next((i for i, v in enumerate(col) if isinstance(v, str) and not _is_number(v)),
                 None)
    note = ("holds no plain numbers" if first is None else
            f"holds {str(col.iloc[first])[:30]!r} in row {table.row_number(first)}")
    if first is not None and "," in str(col.iloc[first]) and _is_number(
            str(col.iloc[first]).replace(",", ".")):
        note += " (a decimal comma: write 2.5, not 2,5)"
    return Column(j, name, "text", distinct, note)


# --- the dataset -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OwnData:
    """A learner's table as a classification dataset: its features, its classes, and the
    file it came from. Equal when made from the same bytes with the same columns."""

    source: str  # "csv" | "draw"
    file_name: str
    data: bytes
    delimiter: str
    header: bool
    features: tuple[int, ...]  # column positions
    feature_names: tuple[str, ...]
    label: int
    label_name: str
    class_of: tuple[tuple[Any, int], ...]  # value in the file -> class index, in class order
    X: torch.Tensor  # float32 (N, F)
    y: torch.Tensor  # int64 (N,): class indices
    digest: str  # of the file's bytes

    @property
    def key(self) -> tuple[str, str, tuple[int, ...], int]:
        return (self.source, self.digest, self.features, self.label)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OwnData) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return (f"OwnData({self.file_name!r}, {len(self)} rows, "
                f"{self.n_features} features, {self.n_classes} classes)")

    def __len__(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def n_classes(self) -> int:
        return len(self.class_of)

    @property
    def classes(self) -> list[str]:
        """The name of each class, as the file writes it."""
        return [_show(v) for v, _ in self.class_of]

    @property
    def spec(self) -> DatasetSpec:
        """What a page needs to offer it, as for a dataset of the catalogue."""
        n = len(self)
        return DatasetSpec(self.source, f"{self.file_name}: {n:,} rows", self.n_features,
                           self.n_classes, n, n, False, self.summary(), min_size=n)

    def summary(self) -> str:
        return (f"{len(self):,} rows of {self.n_features} feature"
                f"{'s' * (self.n_features != 1)} from {self.file_name}, label "
                f"'{self.label_name}' in {self.n_classes} classes")

    def dataset(self) -> ArrayDataset:
        """As the catalogue's datasets come: two classes as float targets of shape (N, 1)
        (what BCE losses expect), more as int64 indices of shape (N,)."""
        y = self.y.float().unsqueeze(1) if self.n_classes == 2 else self.y
        return ArrayDataset(self.X, y, n_classes=self.n_classes)

    def class_counts(self) -> list[int]:
        return torch.bincount(self.y, minlength=self.n_classes).tolist()


def legend_labels(classes: list[str]) -> str:
    """A Vega expression that names each class index in a legend as the file names it."""
    return f"{json.dumps(classes)}[datum.value] || datum.label"


def spread_hint(own: OwnData) -> str:
    """A word about standardising when the features' scales differ by 10 times or more."""
    std = own.X.double().std(dim=0) if len(own) > 1 else torch.ones(own.n_features)
    if own.n_features < 2 or not bool((std > 0).all()):
        return ""
    big, small = int(std.argmax()), int(std.argmin())
    if std[big] < 10 * std[small]:
        return ""
    return (f"'{own.feature_names[big]}' spreads {float(std[big] / std[small]):.0f} times "
            f"wider than '{own.feature_names[small]}' (standard deviations "
            f"{float(std[big]):.3g} and {float(std[small]):.3g}): the wide one drowns the "
            "other until the features are standardised.")


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plain(value: Any) -> Any:
    """A label value as Python writes it in the script's mapping (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value


def to_dataset(table: Table, label: int, source: str = "csv",
               min_classes: int = MIN_CLASSES) -> OwnData:
    """The table with column `label` as the classes and every other numeric column as a
    feature; raises CsvError for a label that cannot be one (one class, too many, gaps).
    A drawing in progress may have one class (`min_classes=1`): batches need no second."""
    if not 0 <= label < len(table.columns):
        raise CsvError(f"there is no column {label + 1}",
                       allowed=f"one of the {len(table.columns)} columns")
    col = table.columns[label]
    values = table.frame.iloc[:, label]
    missing = values.isna().to_numpy()
    if missing.any():
        raise CsvError(f"row {table.row_number(int(np.argmax(missing)))} has no label in "
                       f"column '{col.name}' (empty, or a word such as NA that reads as "
                       "missing)", allowed="a class in every row of the label column")
    if col.distinct > MAX_CLASSES:
        raise CsvError(f"the label column '{col.name}' has {col.distinct:,} distinct values",
                       allowed=f"a label column of {MIN_CLASSES} to {MAX_CLASSES} classes "
                               "(class names or small whole numbers): pick another column")
    if col.distinct < min_classes:
        raise CsvError(f"one class only: every row of '{col.name}' holds "
                       f"{_show(_plain(values.iloc[0]))!r}",
                       allowed=f"at least {min_classes} classes in the label column")
    features = tuple(c.position for c in table.numeric if c.position != label)
    if not features:
        why = "; ".join(f"'{c.name}' {c.note}" for c in table.columns
                        if c.kind == "text" and c.position != label)
        raise CsvError(f"'{col.name}' is the only numeric column, so no feature is left"
                       + (f" ({why})" if why else ""),
                       allowed="at least one numeric column beside the label")
    order = sorted(values.unique(), key=lambda v: (isinstance(v, str), v))
    class_of = tuple((_plain(v), i) for i, v in enumerate(order))
    frame = table.frame
    X = torch.tensor(frame.iloc[:, list(features)].to_numpy(dtype="float64")).float()
    y = torch.tensor(values.map(dict(class_of)).to_numpy(dtype="int64"))
    return OwnData(source, table.name, table.data, table.delimiter, table.header, features,
                   tuple(table.columns[j].name for j in features), label, col.name,
                   class_of, X, y, table.digest)


def default_dataset(table: Table, source: str = "csv") -> OwnData:
    """The table with the column most likely to be its label as the classes."""
    col = table.default_label
    if col is None:
        many = sorted((c for c in table.columns if c.kind != "empty"),
                      key=lambda c: c.distinct)
        raise CsvError("no column can be the label: "
                       + "; ".join(f"'{c.name}' has {c.distinct:,} distinct values"
                                   for c in many[:3]),
                       allowed=f"a label column of {MIN_CLASSES} to {MAX_CLASSES} classes "
                               "(class names or small whole numbers)")
    return to_dataset(table, col.position, source)


def how_read(table: Table) -> str:
    """How the page read the file, in words."""
    return (f"{table.n_rows:,} rows, {len(table.columns)} columns split at each "
            f"{DELIMITER_NAMES[table.delimiter]}; "
            + ("the first row names the columns." if table.header else
               "no header row, so the columns are numbered."))


def column_summary(table: Table, own: OwnData) -> list[dict[str, Any]]:
    """One row per column: its kind, its role in `own`, and its range or its values."""
    rows = []
    for c in table.columns:
        role = ("label" if c.position == own.label else
                "feature" if c.position in own.features else "not used")
        row: dict[str, Any] = {"column": c.name, "holds": c.kind, "role": role,
                               "distinct values": c.distinct}
        if c.kind == "number":
            values = table.frame.iloc[:, c.position].to_numpy(dtype="float64")
            row |= {"min": float(values.min()), "mean": float(values.mean()),
                    "max": float(values.max()), "note": ""}
        else:
            row |= {"min": None, "mean": None, "max": None,
                    "note": c.note if role == "not used" else ""}
        rows.append(row)
    return rows


def reading_code(own: OwnData, path: str | None = None) -> str:
    """The lines of a script that read the file into X (float32) and y (class indices),
    exactly as the page did."""
    names = ", ".join(own.feature_names)
    mapping = ", ".join(f"{v!r}: {i}" for v, i in own.class_of)
    return "\n".join([
        f"# Download {own.file_name} with the button above and keep it beside this script.",
        f"table = {read_call(repr(path or own.file_name), own.delimiter, own.header)}",
        f"features = {list(own.features)}  # the columns {names}",
        "X = torch.tensor(table.iloc[:, features].to_numpy(dtype='float64')).float()",
        f"class_of = {{{mapping}}}  # the label column '{own.label_name}' -> class index",
        f"y = torch.tensor(table.iloc[:, {own.label}].map(class_of).to_numpy(dtype='int64'))",
    ])


def parsed_again(own: OwnData) -> OwnData:
    """The same data read again from its bytes (a checkpoint or a link carries only those)."""
    return to_dataset(read_table(own.data, own.file_name), own.label, own.source)


def portable(own: OwnData) -> dict[str, Any]:
    """What a checkpoint keeps of the data: plain values that `weights_only` loads."""
    return {"source": own.source, "file_name": own.file_name, "data": own.data,
            "label": own.label}


def from_portable(d: dict[str, Any]) -> OwnData:
    """The data a checkpoint carried, read and checked again like an upload."""
    if not isinstance(d, dict) or not isinstance(d.get("data"), bytes):
        raise CsvError("the checkpoint's data is not a table",
                       allowed="a checkpoint saved by this page")
    source = d.get("source") if d.get("source") in ("csv", "draw") else "csv"
    return to_dataset(read_table(d["data"], str(d.get("file_name", "data.csv"))),
                      int(d.get("label", -1)), source)


# --- standardisation -------------------------------------------------------------------


def standardizer(X_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of each feature over the training rows; a constant
    column keeps a deviation of 1, so it stays as it is instead of dividing by zero."""
    mean = X_train.mean(dim=0)
    if len(X_train) < 2:  # no spread to measure (the script's std is NaN there, then 1)
        return mean, torch.ones_like(mean)
    std = X_train.std(dim=0)
    std[~(std > 0)] = 1.0
    return mean, std


STANDARDIZE_CODE = """\
# Standardise with the training rows' statistics only: validation stays unseen.
mean, std = X_train.mean(dim=0), X_train.std(dim=0)
std[~(std > 0)] = 1.0  # a constant column (or a single row) stays as it is
X_train, X_val = (X_train - mean) / std, (X_val - mean) / std"""


# --- drawn points ------------------------------------------------------------------------

STEPS = 20  # grid steps per unit: points sit on multiples of 0.05 in [-1, 1]
LIMIT = 1.0
MAX_POINTS = 2000
LINK_POINTS = 150  # points that still travel in a link
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDE"  # 41 symbols: -20 .. 20
Point = tuple[int, int, int]  # (x step, y step, class)


class DrawError(InputError):
    """Why a link's points could not be read."""

    allowed = (f"points as the page writes them into a link: 3 characters each (the class "
               f"0-7, then x and y, each one of 0-9, a-z, A-E), at most {LINK_POINTS} points")


def encode_points(points: list[Point]) -> str:
    """Three characters per point, for a link: class, x, y."""
    return "".join(f"{c}{_ALPHABET[x + STEPS]}{_ALPHABET[y + STEPS]}" for x, y, c in points)


def decode_points(text: str) -> list[Point]:
    """Points from a link, checked character by character."""
    if len(text) > 3 * LINK_POINTS:
        raise DrawError(f"the link holds {len(text) // 3} points")
    if len(text) % 3:
        raise DrawError(f"{len(text)} characters is not a whole number of points")
    points = []
    for i in range(0, len(text), 3):
        c, x, y = text[i:i + 3]
        if c not in "01234567" or x not in _ALPHABET or y not in _ALPHABET:
            raise DrawError(f"point {i // 3 + 1} reads {text[i:i + 3]!r}")
        points.append((_ALPHABET.index(x) - STEPS, _ALPHABET.index(y) - STEPS, int(c)))
    return points


def snap(value: float) -> int:
    """The grid step nearest a coordinate, kept on the plane."""
    if not math.isfinite(value):
        raise DrawError(f"{value} is not a place on the plane")
    return min(max(round(value * STEPS), -STEPS), STEPS)


def drawn_csv(points: list[Point]) -> bytes:
    """The drawing as the CSV a learner downloads: x, y, class, one row per point."""
    rows = ["x,y,class", *(f"{x / STEPS:.2f},{y / STEPS:.2f},{c}" for x, y, c in points)]
    return ("\n".join(rows) + "\n").encode()


def drawn_data(points: list[Point], min_classes: int = MIN_CLASSES) -> OwnData:
    """The drawing as a dataset, read from its CSV like an upload (so the script reads the
    downloaded file the same way); CsvError while it has too few points or classes."""
    if len(points) < MIN_ROWS or len({c for _, _, c in points}) < min_classes:
        classes = len({c for _, _, c in points})
        raise CsvError("no points yet" if not points else
                       f"{len(points)} point{'s' * (len(points) != 1)} in {classes} "
                       f"class{'es' * (classes != 1)} so far",
                       allowed=f"at least {MIN_ROWS} points in {min_classes} "
                               f"class{'es' * (min_classes != 1)}: click on the plane to "
                               "add them")
    return to_dataset(read_table(drawn_csv(points), DRAWN_NAME), 2, "draw", min_classes)


def points_of(own: OwnData) -> list[Point]:
    """A drawing's points back from its data (a checkpoint carries only the file)."""
    names = own.classes
    return [(snap(x), snap(y), int(names[c])) for (x, y), c in
            zip(own.X.tolist(), own.y.tolist(), strict=True)]


# --- the example file --------------------------------------------------------------------

# class: mean mass (g), width (cm), height (cm), colour score; and their spreads
_FRUIT = {"apple": ((165, 7.4, 7.3, 0.78), (18, 0.4, 0.4, 0.05)),
          "lemon": ((125, 6.1, 8.4, 0.72), (14, 0.3, 0.5, 0.04)),
          "orange": ((190, 7.7, 7.9, 0.77), (22, 0.4, 0.4, 0.04))}


@functools.cache
def example_csv(per_class: int = 50, seed: int = 5) -> bytes:
    """A small made-up table to start from: four measurements of three kinds of fruit,
    with the kind written as text (so the page shows how text becomes class indices)."""
    g = torch.Generator().manual_seed(seed)
    rows = ["mass_g,width_cm,height_cm,colour_score,fruit"]
    for fruit, (mean, spread) in _FRUIT.items():
        draws = torch.randn(per_class, 4, generator=g, dtype=torch.float64)
        for r in (torch.tensor(mean) + draws * torch.tensor(spread)).tolist():
            rows.append(f"{r[0]:.0f},{r[1]:.1f},{r[2]:.1f},{r[3]:.2f},{fruit}")
    return ("\n".join(rows) + "\n").encode()


# --- the drawing plane, as Vega-Lite ------------------------------------------------------

PLANE = LIMIT + 0.5 / STEPS  # half the plane's width: the outermost cells whole
CLICK = "click"  # the selection a click on the plane makes


def plane_scale() -> dict[str, Any]:
    """The scale both axes of a drawing plane share, whatever has been drawn on it."""
    return {"domain": [-PLANE, PLANE], "nice": False, "zero": False}


def click_layer() -> dict[str, Any]:
    """A layer of invisible cells over the plane, one per place a point can go: a click
    selects a cell (its `gx`, `gy` steps) and the cell under the pointer is shaded. It is
    generated in the browser, so no data travels with it."""
    n, side = 2 * STEPS + 1, 0.5 / STEPS
    axis = {"type": "quantitative", "scale": plane_scale()}
    return {
        "data": {"sequence": {"start": 0, "stop": n * n, "as": "i"}},
        "transform": [
            {"calculate": f"(datum.i % {n}) - {STEPS}", "as": "gx"},
            {"calculate": f"floor(datum.i / {n}) - {STEPS}", "as": "gy"},
            {"calculate": f"datum.gx / {STEPS} - {side}", "as": "x0"},
            {"calculate": f"datum.gx / {STEPS} + {side}", "as": "x1"},
            {"calculate": f"datum.gy / {STEPS} - {side}", "as": "y0"},
            {"calculate": f"datum.gy / {STEPS} + {side}", "as": "y1"},
        ],
        "params": [
            {"name": CLICK, "select": {"type": "point", "fields": ["gx", "gy"], "on": "click",
                                       "toggle": False, "clear": False}},
            {"name": "under_pointer", "select": {"type": "point", "fields": ["gx", "gy"],
                                                 "on": "pointerover", "clear": "pointerout"}},
        ],
        "mark": {"type": "rect", "fill": style.MUTED, "cursor": "crosshair"},
        "encoding": {
            "x": {**axis, "field": "x0"}, "x2": {"field": "x1"},
            "y": {**axis, "field": "y0"}, "y2": {"field": "y1"},
            "fillOpacity": {"condition": {"param": "under_pointer", "empty": False,
                                          "value": 0.25}, "value": 0.0},
        },
    }


def plane_spec(points: list[Point], size: int, title: str = "Click to add points",
               font_scale: float = 1.0) -> dict[str, Any]:
    """The bare drawing plane: the points drawn so far, coloured by class."""
    axis = {"type": "quantitative", "scale": plane_scale()}
    rank = {c: i for i, c in enumerate(sorted({c for *_, c in points}))}  # as drawn_data maps
    dots = {
        "data": {"values": [{"x": x / STEPS, "y": y / STEPS, "class": rank[c]}
                            for x, y, c in points]},
        "mark": {"type": "circle", "size": 90, "opacity": 0.9, "stroke": "white",
                 "strokeWidth": 0.8},
        "encoding": {
            "x": {**axis, "field": "x", "title": "x"},
            "y": {**axis, "field": "y", "title": "y"},
            "color": {"field": "class", "type": "nominal", "title": "class",
                      "scale": {"domain": list(range(MAX_CLASSES)), "range": list(style.SERIES)},
                      "legend": {"orient": "top", "values": sorted(rank.values())}
                      if points else None},
        },
    }
    return {"title": title, "width": size, "height": size, "layer": [dots],
            "description": f"A drawing plane from -1 to 1 on both axes with {len(points)} "
                           "points; clicking adds one",
            "config": style.chart_config(font_scale)}


def with_clicks(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart over the plane (its layers on `plane_scale()`) that takes clicks too. Its
    layers and their shared encoding move one level down, so the click layer on top
    inherits none of them (no class colour, no tooltip)."""
    inner = {k: spec[k] for k in ("layer", "encoding", "transform") if k in spec}
    outer = {k: v for k, v in spec.items() if k not in inner}
    return {**outer, "layer": [inner, click_layer()]}
