"""The pictures draw every number of the frame, in place, inside the size they are given."""

from __future__ import annotations

import math

import pytest

from ml101 import style
from ml101.step import charts
from ml101.step.frames import Band, blocks, frames, scene
from ml101.step.run import GRID, Run
from tests.unit.step.helpers import SETTINGS, recorded


def layer(spec: dict, mark: str, stroke: str | None = None) -> list[dict]:
    return next(lay["data"]["values"] for lay in spec["layer"]
            if lay["mark"]["type"] == mark
            and (stroke is None or lay["mark"].get("stroke") == stroke))


@pytest.mark.parametrize("name", SETTINGS)
def test_every_shown_value_is_a_cell_and_the_picture_fits(name: str) -> None:
    rec = recorded(name)
    bl = blocks(rec)
    for k in range(len(frames(rec))):
        sc = scene(rec, k)
        spec = charts.canvas(sc, bl, 0, 560, 500)
        n = sum(s.values.numel() for s in sc.shown.values() if s.values is not None)
        assert len(spec["datasets"]["cells"]) == n
        assert spec["width"] <= 560 or charts.cell_size(bl, charts._titles(sc, bl), 560,
                                                        500) == 6
        assert spec["config"]["title"]["anchor"] == "start"


def test_blocks_do_not_overlap() -> None:
    rec = recorded("circles-focal-adamw")
    bl = blocks(rec)
    sc = scene(rec, 5)
    placed, _, _ = charts.layout(bl, 20, charts._titles(sc, bl))
    for a in placed:
        for b in placed:
            if a is not b:
                apart = (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y
                         or b.y + b.h <= a.y)
                assert apart, (a.block.name, b.block.name)


def test_the_lit_blocks_and_the_followed_row_are_outlined() -> None:
    rec = recorded("lesson")
    sc = scene(rec, 2)  # the first Linear: x, W1.T, b1, z1
    spec = charts.canvas(sc, blocks(rec), 2, 560, 500)
    assert len(layer(spec, "rect", style.HIGHLIGHT)) == len(sc.lit) == 4
    rows = layer(spec, "rect", charts.INK)
    filled = [b for b in blocks(rec) if b.band in (Band.ACT, Band.ACT_GRAD) and b.rows > 1
              and sc.shown[b.name].values is not None]
    assert [b.name for b in filled] == ["x", "z1", "y"]
    assert len(rows) == len(filled)


def test_signed_values_use_the_diverging_scheme_scaled_per_block() -> None:
    rec = recorded("lesson")
    spec = charts.canvas(scene(rec, len(frames(rec)) - 1), blocks(rec), 0, 560, 500)
    cells = spec["layer"][0]
    assert cells["encoding"]["color"]["scale"] == {"scheme": style.DIVERGING, "domain": [-1, 1]}
    assert max(abs(c["n"]) for c in spec["datasets"]["cells"]) == 1.0


@pytest.mark.parametrize(("v", "text"), [(0, "0"), (1.0, "1"), (-0.123, "-.12"), (0.5, ".50"),
                                         (2.54, "2.5"), (12.3, "12"), (0.004, "4e-3"),
                                         (-0.0004, "-4e-4"), (150.0, "2e2"),
                                         (math.nan, "nan"), (-math.inf, "-inf")])
def test_numbers_in_cells_are_short(v: float, text: str) -> None:
    assert charts.short(v) == text
    assert len(charts.short(v)) <= 5


def test_the_data_picture_rings_the_batch_and_marks_the_followed_sample() -> None:
    run = Run(SETTINGS["blobs-ce-momentum"])
    rec = run.go_to(0)
    spec = charts.points(run.X, run.labels, rec.batch.rows, 1, run.grid, run.regions, GRID,
                         250)
    dots = spec["layer"][1]["data"]["values"]
    assert sum(d["batch"] for d in dots) == len(rec.batch.rows)
    (followed,) = [d for d in dots if d["followed"]]
    assert followed["row"] == int(rec.batch.rows[1])
    assert len(spec["layer"][0]["data"]["values"]) == GRID * GRID


def test_a_long_loss_history_is_thinned_but_ends_at_the_current_step() -> None:
    spec = charts.losses([1.0 / (i + 1) for i in range(2000)], 250)
    pts = spec["layer"][0]["data"]["values"]
    assert len(pts) <= 700 and pts[-1]["step"] == 2000
    assert spec["layer"][1]["data"]["values"] == [pts[-1]]
