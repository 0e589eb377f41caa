"""The DataLoader viewer: batch counts, batch indices equal to a plain DataLoader's, presets,
and the player that walks the batches."""

from __future__ import annotations

import contextlib
import io
import math
import re
import time

import torch
from torch.utils.data import DataLoader, random_split

from ml101.datasets import make_dataset
from tests.app.contract import code_panel
from tests.conftest import OpenPage, assert_clean, shown_text


def metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def batch_indices(at) -> list[int]:
    return [int(i) for i in at.dataframe[0].value["sample index"]]


def run_code(at) -> str:
    """Execute the page's generated code (tests only) and return what it prints."""
    code = code_panel(at)
    assert code and code.startswith("import") and "DataLoader(" in code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"__name__": "generated"})
    return out.getvalue()


def printed_batch(out: str) -> tuple[int, int, list[int]]:
    m = re.search(r"epoch (\d+), batch (\d+): indices \[([\d, ]*)\]", out)
    assert m, out
    return int(m[1]), int(m[2]), [int(v) for v in m[3].split(",")]


def test_default_view_counts_batches(open_app: OpenPage) -> None:
    at = open_app("dataloader")
    assert_clean(at)
    assert metric(at, "Samples in the dataset") == "400"
    assert metric(at, "Batches per epoch") == str(math.ceil(400 / 32)) == "13"
    assert metric(at, "Last batch") == "16 samples"
    assert "= 13" in at.latex[0].value and "lceil" in at.latex[0].value
    assert len(batch_indices(at)) == 32


def test_settings_give_the_batches_a_plain_dataloader_gives(open_app: OpenPage) -> None:
    at = open_app("dataloader")
    at.number_input(key="dl_bs").set_value(48)
    at.toggle(key="dl_drop").set_value(True)
    at.toggle(key="dl_shuf").set_value(True)
    at.number_input(key="dl_seed").set_value(7).run()
    at.segmented_control(key="dl_e").set_value(2)
    at.slider(key="dl_b").set_value(3).run()
    assert_clean(at)
    assert metric(at, "Batches per epoch") == "8" == str(400 // 48)
    assert metric(at, "Last batch") == "dropped"
    assert "lfloor" in at.latex[0].value
    shown = batch_indices(at)
    assert len(shown) == 48

    # what the generated code prints ...
    epoch, batch, printed = printed_batch(run_code(at))
    assert (epoch, batch) == (2, 3)
    assert printed == shown
    # ... and a plain DataLoader over the same data with the same seed, written here
    ds = make_dataset("moons", 400, 0.1, seed=7)
    loader = DataLoader(ds, batch_size=48, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(7))
    assert len(loader) == 8
    epochs = [list(loader) for _ in range(2)]  # a fresh iterator per epoch, as a for loop does
    X_batch, y_batch = epochs[1][2]
    assert torch.equal(X_batch, ds.X[shown]) and torch.equal(y_batch, ds.y[shown])


def test_deep_link_opens_the_lessons_spiral_loader_with_a_split(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_ds="spiral", dl_n="400", dl_noise="0.0", dl_bs="32",
                  dl_val="20", dl_seed="3", dl_e="1", dl_b="2")
    assert_clean(at)
    assert at.selectbox(key="dl_ds").value == "spiral"
    assert metric(at, "Served by the loader") == "320"
    assert metric(at, "Batches per epoch") == "10"
    assert metric(at, "Last batch") == "full"
    ds = make_dataset("spiral", 400, 0.0, seed=3)
    train, val = random_split(ds, [320, 80], generator=torch.Generator().manual_seed(3))
    text = shown_text(at)
    assert str(sorted(val.indices)[:40]) in text
    assert "identical validation indices" in text
    shown = batch_indices(at)
    assert set(shown) <= set(train.indices) and not set(shown) & set(val.indices)
    out = run_code(at)
    assert printed_batch(out) == (1, 2, shown)
    assert f"validation indices: {sorted(val.indices)[:40]}" in out  # the 40 the page lists


def test_lesson_xor_preset(open_app: OpenPage) -> None:
    at = open_app("dataloader")
    at.button(key="dl_p_xor").click().run()
    assert_clean(at)
    assert metric(at, "Samples in the dataset") == "4"
    assert metric(at, "Batches per epoch") == "2"
    shown = batch_indices(at)
    assert len(shown) == 2
    assert printed_batch(run_code(at)) == (1, 1, shown)
    at.button(key="dl_step").click().run()  # stepping moves to batch 2, the other two samples
    assert at.slider(key="dl_b").value == 2
    assert sorted(shown + batch_indices(at)) == [0, 1, 2, 3]


def test_spiral_preset_and_image_folder(open_app: OpenPage) -> None:
    at = open_app("dataloader")
    at.button(key="dl_p_spiral").click().run()
    assert_clean(at)
    assert metric(at, "Batches per epoch") == "13"
    assert batch_indices(at) and len(batch_indices(at)) == 400 - 12 * 32
    at.button(key="dl_p_img").click().run()
    assert_clean(at)
    assert metric(at, "Samples in the dataset") == "32"
    assert metric(at, "Batches per epoch") == "4"
    images = at.get("image")
    assert images, "the image batch is shown"
    captions = [img.caption for img in images[0].proto.imgs]
    shown = [int(c.split(":")[0].lstrip("#")) for c in captions]
    assert len(shown) == 8
    assert printed_batch(run_code(at)) == (1, 1, shown)


def test_bad_input_says_what_is_allowed(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_ds="blobs", dl_k="8", dl_n="4")
    assert at.error and "at least 8 samples" in at.error[0].value
    assert not at.exception
    at.number_input(key="dl_n").set_value(80).run()
    assert_clean(at)
    assert metric(at, "Batches per epoch") == "3"


def position(at) -> tuple[int, int]:
    return at.segmented_control(key="dl_e").value, at.slider(key="dl_b").value


def test_step_and_back_roll_over_epochs_and_reset_goes_to_the_start(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_b="13")
    assert position(at) == (1, 13)
    assert "Epoch 1 of 3 · batch 13 of 13" in shown_text(at)
    last_of_epoch_1 = batch_indices(at)
    at.button(key="dl_step").click().run()
    assert position(at) == (2, 1)  # the next batch is the first of the next epoch
    at.button(key="dl_back").click().run()
    assert position(at) == (1, 13) and batch_indices(at) == last_of_epoch_1
    at.segmented_control(key="dl_e").set_value(3)
    at.slider(key="dl_b").set_value(13).run()
    assert at.button(key="dl_step").disabled  # the last batch shown: nothing further
    assert printed_batch(run_code(at)) == (3, 13, batch_indices(at))
    at.button(key="dl_reset").click().run()
    assert position(at) == (1, 1) and at.button(key="dl_back").disabled


def test_play_walks_the_batches_and_stops_at_the_end(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_ds="xor", dl_bs="2", dl_ep="2", dl_speed="8")
    assert position(at) == (1, 1)
    at.button(key="dl_play").click().run()
    assert at.button(key="dl_play").label == "Pause"
    playing = [bar.proto.text for bar in at.get("progress")]
    assert playing and playing[0].startswith("Playing: batch")  # the stepper gives way
    time.sleep(1.1)  # the next run finds a second gone: 8 batches/s walks to the end
    at.run()
    assert position(at) == (2, 2) and at.button(key="dl_play").label == "Play"
    assert printed_batch(run_code(at)) == (2, 2, batch_indices(at))


def test_shrinking_the_loader_keeps_the_stepper_in_range(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_e="3", dl_b="13")
    at.number_input(key="dl_bs").set_value(100).run()
    assert_clean(at)
    assert position(at) == (3, 4)
    at.slider(key="dl_ep").set_value(1).run()
    assert_clean(at)
    assert position(at) == (1, 4)


def test_the_lessons_spiral_says_its_numpy_import_is_missing(open_app: OpenPage) -> None:
    at = open_app("dataloader")
    assert "without importing numpy" not in shown_text(at)
    at.button(key="dl_p_spiral").click().run()
    assert "uses `np` without importing numpy" in shown_text(at)
    assert "it makes exactly these points" in shown_text(at)
    at.slider(key="dl_noise").set_value(0.2).run()
    assert "with 400 samples and noise 0" in shown_text(at)
    assert "without importing numpy" in at.button(key="dl_p_spiral").help
    assert position(at) == (1, 13)  # the scene opens at its short last batch


def test_an_epoch_with_no_batch_at_all_is_explained(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_ds="xor", dl_bs="8", dl_drop="true")
    assert_clean(at)
    assert metric(at, "Batches per epoch") == "0"
    assert "an epoch serves nothing at all" in at.warning[0].value
    assert "batches per epoch: 0" in run_code(at)


def test_a_deep_link_to_a_batch_opens_there_with_the_right_buttons(open_app: OpenPage) -> None:
    at = open_app("dataloader", dl_e="2", dl_b="2")
    assert position(at) == (2, 2) and not at.button(key="dl_back").disabled
    at = open_app("dataloader", dl_e="3", dl_b="13")
    assert at.button(key="dl_step").disabled
    at = open_app("dataloader", dl_e="9", dl_b="99")  # past the end: the last batch shown
    assert_clean(at)
    assert position(at) == (3, 13)
