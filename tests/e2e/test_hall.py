"""The lecture-hall load in miniature: `benches/hall_load.py` with two Locust learners who never
think, on one server. Both must tour every page, move its controls and train the XOR run to
the end without an error box or a broken stream, and the server must log their runs. (The
halls of 50, 100 and 200 are the bench itself; see BENCHMARKS.md.) Locust patches the
standard library for gevent when imported, so it runs in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ml101.lesson_map import built_pages

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(300)
def test_two_protocol_learners_tour_every_page_and_train(tmp_path: Path) -> None:
    out = tmp_path / "hall.json"
    run = subprocess.run(
        [sys.executable, "benches/hall_load.py", "--learners", "2", "--think", "0",
         "--ramp", "1", "--no-warm", "--no-scale", "--gc-baseline", "0", "--limit-s", "200",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    (hall,) = json.loads(out.read_text())
    assert hall["failures"] == {} and hall["gave_up"] == 0, hall["failures"]
    assert hall["finished"] == 2
    assert set(hall["pages"]) >= {p.url_path for p in built_pages()}
    assert {"open", "rerun", "tick"} <= set(hall["kinds"])
    assert hall["server_runs"] >= 2 * 2 * len(built_pages()), "the server logged the runs"
    assert run.returncode == 0
    assert "| page | opens |" in run.stdout  # the tables a person reads
