"""The grid chart: every value is drawn with its true label, selections are outlined."""

from __future__ import annotations

import altair as alt
import numpy as np
import torch

from ml101.tensors.charts import CELL, cell_px, grid_cells, grid_note, heatmap


def test_cells_hold_every_value_and_the_mask() -> None:
    d = torch.arange(20).reshape(4, 5)
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    cells = grid_cells(d, mask)
    assert len(cells) == 20 and grid_note((4, 5)) == ""
    assert next(c["label"] for c in cells if (c["row"], c["col"]) == (2, 3)) == "13"
    assert sorted(c["value"] for c in cells if c["selected"]) == [7, 8, 12, 13]


def test_labels_are_exact() -> None:
    big = 2**53 + 1  # not representable as float64: the label must still be exact
    labels = [c["label"] for c in grid_cells(torch.tensor([big, -3]))]
    assert labels == [str(big), "-3"]
    cells = grid_cells(torch.tensor([float("nan"), float("inf"), 0.123456]))
    assert [c["label"] for c in cells] == ["nan", "inf", "0.123"]
    assert cells[0]["value"] is None  # drawn uncoloured, not as a fake number
    assert [c["label"] for c in grid_cells(torch.tensor([True, False]))] == ["T", "F"]


def test_big_tensors_are_cut_and_say_so() -> None:
    cells = grid_cells(torch.zeros(3, 2, 30, 30))
    assert len({c["slice"] for c in cells}) == 4 and len(cells) == 4 * 24 * 24
    note = grid_note((3, 2, 30, 30))
    assert "first 4 of 6" in note and "top-left 24 × 24" in note


def test_specs_are_valid_vega_lite() -> None:
    schema = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json"}
    for t, mask in [(torch.arange(20).reshape(4, 5), np.ones((4, 5), bool)),
                    (torch.tensor([True, False]), None), (torch.randn(2, 2, 3), None)]:
        spec = {**schema, **heatmap(t, mask)}
        (alt.FacetChart if "facet" in spec else alt.LayerChart).from_dict(spec)


def test_small_tensors_grow_and_big_ones_keep_readable_cells() -> None:
    assert cell_px((2, 2), 560, largest=56) == 56
    assert cell_px((4,), 100, largest=56) == CELL  # never below the size labels need
    assert cell_px((3, 10), 560, largest=56) == 56
    assert cell_px((3, 12), 560, largest=56) == 46
    spec = heatmap(torch.zeros(2, 2), cell=56)
    assert spec["width"] == 112 and spec["config"]["title"]["anchor"] == "start"
