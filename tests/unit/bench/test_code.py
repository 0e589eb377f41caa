"""The "Show the code" script: it compiles for every op and prints only measured rows."""

from __future__ import annotations

from ml101.bench.code import code_for
from ml101.bench.measuring import Point, Series
from ml101.bench.ops import OPS
from ml101.bench.sweeps import SweepPlan


def test_the_code_compiles_for_every_op_and_library() -> None:
    series = (*(Series(op) for op in OPS), Series("add", library="numpy"),
              Series("matmul", "cuda", tf32=True))
    code = code_for(SweepPlan(series, (16, 32), 1.0, 7))
    compile(code, "<sweep>", "exec")
    assert "torch.manual_seed(7)" in code and "num_threads" in code


def test_the_code_says_what_blocked_autorange_does() -> None:
    """It does not 'run the statement once to warm up': it sizes blocks of 1, 10, 100..."""
    code = code_for(SweepPlan((Series("add"),), (16,), 1.0))
    assert "1, 10, 100" in code and "once" not in code


def test_the_code_loops_over_the_measured_sizes_only() -> None:
    """A budget-skipped size must not appear in the code, or the code prints extra rows."""
    fast, slow = Series("matmul", threads=1), Series("matmul", threads=2)
    plan = SweepPlan((fast, slow), (16, 32, 64), 1.0)
    measured = [Point(fast, 16, 1e-6, 1e-6, 1e-6, 3, 1, 0, 0),
                Point(fast, 64, 1e-6, 1e-6, 1e-6, 3, 1, 0, 0)]
    code = code_for(plan, measured)
    assert "for size in [16, 64]:" in code
    assert "2 threads" not in code and "threads=2" not in code
    assert "for size in [16, 32, 64]:" in code_for(plan)
