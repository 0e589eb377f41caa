"""The grid chart: every value is drawn with its true label, selections are outlined."""

from __future__ import annotations

import altair as alt
import numpy as np
import torch

from ml101.tensor_chart import grid_frame, heatmap


def test_frame_holds_every_value_and_the_mask() -> None:
    d = torch.arange(20).reshape(4, 5)
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    df, note = grid_frame(d, mask)
    assert len(df) == 20 and note == ""
    assert df.loc[(df.row == 2) & (df.col == 3), "label"].item() == "13"
    assert sorted(df.loc[df.selected, "value"].tolist()) == [7, 8, 12, 13]


def test_special_values_and_big_tensors() -> None:
    df, _ = grid_frame(torch.tensor([float("nan"), float("inf"), 0.123456]))
    assert df["label"].tolist() == ["nan", "inf", "0.123"]
    df, note = grid_frame(torch.zeros(3, 2, 30, 30))
    assert df["slice"].nunique() == 4 and "first 4 of 6" in note and "top-left 24 × 24" in note
    assert df.groupby("slice").size().max() == 24 * 24


def test_specs_are_valid_vega_lite() -> None:
    schema = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json"}
    for t, mask in [(torch.arange(20).reshape(4, 5), np.ones((4, 5), bool)),
                    (torch.tensor([True, False]), None), (torch.randn(2, 2, 3), None)]:
        spec = heatmap(t, mask)
        alt.Chart.from_dict({**schema, **spec}) if "facet" not in spec else \
            alt.FacetChart.from_dict({**schema, **spec})
