"""The lesson's single time.time() sample, repeated, beside Timer; the fresh-process call."""

from __future__ import annotations

import pytest

from ml101.bench.lesson_timing import fresh_process_first_call, naive_vs_correct


def test_naive_samples_beside_the_timer() -> None:
    result = naive_vs_correct(n=64, repeats=4, threads=1, fresh_process=False)
    assert len(result.naive_s) == 4 and all(t > 0 for t in result.naive_s)
    assert result.timer.size == 64 and result.timer.series.threads == 1
    assert result.fresh_process_first_s is None


def test_a_fresh_process_times_its_first_call() -> None:
    imported, first = fresh_process_first_call(32, 1)
    assert imported > 0 and first > 0
    with pytest.raises(ValueError):
        fresh_process_first_call(10**6, 1)
