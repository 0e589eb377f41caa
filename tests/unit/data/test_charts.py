"""The index map's layout and specs: square cells that fit, the outline around exactly the
current batch, the shared palette."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ml101 import style
from ml101.data import charts
from ml101.data import loader as batches
from ml101.data.loader import LoaderConfig, Plan


def planned(cfg: LoaderConfig) -> Plan:
    ds = batches.make_points(cfg)
    served, train, val = batches.split(ds, cfg)
    return batches.plan(len(ds), served, train, val, cfg)


def inside(frame: pd.DataFrame, boxes: list[dict[str, float]]) -> pd.Series:
    """Which cells of the frame lie inside one of the boxes."""
    hit = pd.Series(False, index=frame.index)
    for b in boxes:
        hit |= ((frame.x >= b["x"]) & (frame.x < b["x2"])
                & (frame.y >= b["y"] - 1e-4) & (frame.y < b["y2"] - 1e-4))
    return hit


def test_default_grid_keeps_whole_batches_on_a_line_and_fits_the_box() -> None:
    g = charts.grid(400, 32, 3, 350, 504)
    assert g.wrap % 32 == 0 and g.lines == -(-400 // g.wrap)
    assert g.wrap * g.cell <= 350 + 1e-9 and g.height_px <= 504 + 1
    assert g.cell > 8  # big enough to see, on a laptop


def test_tiny_datasets_get_big_labelled_cells_on_one_line() -> None:
    g = charts.grid(4, 2, 3, 350, 504)
    assert (g.wrap, g.lines, g.cell) == (4, 1, charts.MAX_CELL_PX)
    cfg = LoaderConfig(dataset="xor", n_samples=4, noise=0.0, batch_size=2)
    p = planned(cfg)
    frame = charts.index_map_frame(p, cfg, g)
    spec = charts.index_map_spec(frame, g, p, (0, 1))
    assert any(layer["mark"]["type"] == "text" and "text" in layer["encoding"]
               and layer["encoding"]["text"].get("field") == "index" for layer in spec["layer"])


def test_frame_of_a_split_loader_with_drop_last() -> None:
    cfg = LoaderConfig(dataset="spiral", n_samples=100, noise=0.0, batch_size=16,
                       val_percent=30, seed=5, drop_last=True)
    p = planned(cfg)
    g = charts.grid(p.n_train, 16, cfg.epochs, 350, 448)
    frame = charts.index_map_frame(p, cfg, g)
    assert len(frame) == cfg.epochs * 70
    assert (frame[frame.batch == 0].shape[0]) == cfg.epochs * 6
    assert frame[inside(frame, charts.outline(p, g, (0, 1)))]["index"].tolist() == p.orders[0][1]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(10, 600), bs=st.integers(1, 80), epochs=st.integers(1, 5),
       drop=st.booleans(), val=st.sampled_from([0, 20]), seed=st.integers(0, 99), data=st.data())
def test_outline_surrounds_exactly_the_current_batch(n: int, bs: int, epochs: int, drop: bool,
                                                     val: int, seed: int,
                                                     data: st.DataObject) -> None:
    cfg = LoaderConfig(dataset="moons", n_samples=n, batch_size=bs, drop_last=drop,
                       val_percent=val, seed=seed, epochs=epochs)
    p = planned(cfg)
    if p.n_batches == 0:
        return
    g = charts.grid(p.n_train, bs, epochs, 350, 504)
    assert g.wrap * g.cell <= 350 + 1e-9 and g.cell <= charts.MAX_CELL_PX
    frame = charts.index_map_frame(p, cfg, g)
    assert len(frame) == epochs * p.n_train
    for e in range(epochs):  # every served sample once per epoch, the dropped ones greyed
        block = frame[frame.epoch == e + 1]
        assert sorted(block["index"]) == sorted(p.train_indices)
        assert (block.batch == 0).sum() == (p.n_train % bs if drop else 0)
    at = (data.draw(st.integers(0, epochs - 1)), data.draw(st.integers(0, p.n_batches - 1)))
    hit = inside(frame, charts.outline(p, g, at))
    assert frame[hit]["index"].tolist() == p.orders[at[0]][at[1]]


def test_specs_use_the_shared_palette_and_chart_config() -> None:
    cfg = LoaderConfig(n_samples=200, batch_size=16, val_percent=20, drop_last=True)
    p = planned(cfg)
    g = charts.grid(p.n_train, 16, 3, 350, 504)
    spec = charts.index_map_spec(charts.index_map_frame(p, cfg, g), g, p, (1, 2))
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["range"] == list(charts.BATCH_COLOURS)
    assert set(charts.BATCH_COLOURS) <= set(style.SERIES) and charts.DROPPED not in style.SERIES
    assert colour["condition"]["value"] == charts.DROPPED
    assert spec["config"]["title"]["anchor"] == "start"
    assert "epoch 2, batch 3" in spec["description"]
    ds = batches.make_points(cfg)
    scatter = charts.scatter_frame(ds.X, ds.y, p, p.orders[1][2])
    assert (scatter.role == "current batch").sum() == 16
    assert (scatter.role == "validation").sum() == 40
    s = charts.scatter_spec("Batch 3 in the data", 300, len(scatter))
    assert s["encoding"]["color"]["scale"]["range"] == list(style.SERIES)
    assert s["config"]["legend"]["labelLimit"] == 0 and s["title"] == "Batch 3 in the data"
