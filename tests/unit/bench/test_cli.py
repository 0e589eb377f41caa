"""`python -m ml101.bench`: its --sizes parser and a tiny recording."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml101.bench import cli, recordings
from ml101.bench.ops import MAX_SIZE
from ml101.inputs import InputError


def test_sizes_are_a_power_of_two_range_or_a_list() -> None:
    assert cli.parse_sizes("16:128") == [16, 32, 64, 128]
    assert cli.parse_sizes("100, 64,100,") == [64, 100]


@pytest.mark.parametrize("text", ["", "abc", "0:16", "64:16", "1,99999", "3:3", "1e3", "-4"])
def test_bad_sizes_say_what_is_allowed(text: str) -> None:
    with pytest.raises(cli.SizesError, match="Allowed: lo:hi") as caught:
        cli.parse_sizes(text)
    assert isinstance(caught.value, InputError)


@given(st.text(max_size=40))
def test_any_text_gives_valid_sizes_or_a_clear_error(text: str) -> None:
    try:
        sizes = cli.parse_sizes(text)
    except cli.SizesError as exc:
        assert str(exc).endswith(".")
    else:
        assert sizes == sorted(set(sizes)) and sizes[0] >= 1 and sizes[-1] <= MAX_SIZE


def test_the_cli_records_a_csv_the_page_can_read(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = cli.main(["--ops", "add", "--sizes", "16,32", "--threads", "1", "--budget", "0.5",
                    "--out", str(tmp_path / "run.csv")])
    (rec,), problems = recordings.recordings(tmp_path)
    assert out == tmp_path / "run.csv" and not problems
    assert {p.size for p in recordings.from_frame(rec.frame)} <= {16, 32}
    assert "wrote" in capsys.readouterr().out


def test_thread_counts_are_a_list_within_this_machines_cores() -> None:
    from ml101.bench import devices

    cores = devices.usable_cores()
    assert cli.parse_threads(f"{cores},1,1") == sorted({1, cores})
    for bad in ("", "0", f"{cores + 1}", "two", "1;2", "²"):
        with pytest.raises(cli.ThreadsError, match=f"from 1 to {cores}"):
            cli.parse_threads(bad)


@given(st.text(max_size=20))
def test_any_thread_text_gives_counts_or_a_clear_error(text: str) -> None:
    try:
        counts = cli.parse_threads(text)
    except cli.ThreadsError as exc:
        assert isinstance(exc, InputError) and "Allowed:" in str(exc)
    else:
        assert counts == sorted(set(counts)) and counts[0] >= 1
