"""The DataLoader batch viewer. Its main picture is the index map (the container
`dl_picture`): one cell per sample, coloured by the batch the loader puts it in, one block
per epoch, the current batch outlined; beside it the current batch among all the points
(or, for the image folder, its images).

Widgets and rendering only. `stage` draws the settings beside the picture and leaves
slots for everything that follows the current batch: the picture, the epoch and batch
stepper, the collated batch and the code. `play`, the page's last call, fills those
slots from one player fragment, so a tick, a step or a move of the batch slider redraws
just them, together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from torch.utils.data import Dataset

from ml101.data import charts, collate, image_folder
from ml101.data import loader as batches
from ml101.data.code import code_for
from ml101.data.loader import LoaderConfig, Plan, Position
from ml101.datasets import DATASETS, MAX_NOISE, split_sizes
from ml101.ui import controls, layout, state
from ml101.ui.layout import explain, picture_px, show_code
from ml101.ui.player import Player, Tick, Transport
from ml101.ui.presenter import is_presenting

P = "dl"
NAMES = [*DATASETS, batches.IMAGES]
LABELS = {**{k: s.label for k, s in DATASETS.items()},
          batches.IMAGES: "PNG images of 4 shapes in a folder (practice problem 5)"}

# Scenes: (button label, what it sets, tooltip). Each opens at epoch 1, batch 1, unless it
# names another batch.
SCENES: dict[str, tuple[str, dict[str, Any], str]] = {
    "dl_p_xor": ("The lesson's XOR loader",
                 {"dl_ds": "xor", "dl_bs": 2, "dl_shuf": True, "dl_drop": False, "dl_val": 0},
                 "The 4 XOR points, batch_size=2, shuffle=True"),
    "dl_p_spiral": ("The lesson's spiral loader",
                    {"dl_ds": "spiral", "dl_n": 400, "dl_noise": 0.0, "dl_bs": 32,
                     "dl_shuf": True, "dl_drop": False, "dl_val": 0, "dl_b": 13},
                    "SpiralDataset(n_samples=200): 400 points, batch_size=32, at its short "
                    "last batch. The lesson's code uses np without importing numpy; this "
                    "one is fixed."),
    "dl_p_drop": ("Spiral with drop_last",
                  {"dl_ds": "spiral", "dl_n": 400, "dl_noise": 0.0, "dl_bs": 32,
                   "dl_shuf": True, "dl_drop": True, "dl_val": 0, "dl_b": 12},
                  "The same loader, its short last batch dropped"),
    "dl_p_img": ("Images from a folder",
                 {"dl_ds": batches.IMAGES, "dl_img": 8, "dl_bs": 8, "dl_shuf": True,
                  "dl_drop": False, "dl_val": 0},
                 "Practice problem 5: a custom Dataset reading PNG files"),
}
SPEEDS = (0.5, 1, 2, 4, 8)  # batches per second
# The player's own state: where it stands (epoch, batch from 0), the part of a batch it has
# walked but not yet shown, and whether the stepper must be set to where it stands. While
# it plays, the stepper is not drawn: a browser sending ticks can send back the value of a
# widget the server has just moved, and the stepper would jump back.
AT, CREDIT, SYNC = f"{P}_at", f"{P}_credit", f"{P}_sync"
MAX_TILES = 24  # images of a batch drawn beside the index map
# The index map's width and the height its epochs may fill, and the scatter's size beside
# it (on a laptop, on a projector), all relative to layout.picture_px().
MAP_WIDTH, MAP_HEIGHT, SCATTER_SIZE = 0.625, 0.8, (0.55, 0.72)


@dataclass
class Loader:
    """One run's loader, its index map, and the slots the player redraws."""

    cfg: LoaderConfig
    dataset: Dataset
    served: Dataset
    plan: Plan
    grid: charts.Grid
    cells: pd.DataFrame  # the index map's cells: built once per run, drawn on every tick
    stepper: DeltaGenerator
    player: Player | None = None
    parts: list[tuple[DeltaGenerator, Callable[[Position | None], None]]] = field(
        default_factory=list)

    def follow(self, draw: Callable[[Position | None], None]) -> None:
        """Leave a slot here that `draw(at)` fills with the batch at `at` (None when an
        epoch serves no batch at all)."""
        self.parts.append((st.container(), draw))


@st.cache_resource(max_entries=8, show_spinner=False)
def shapes_folder(per_class: int, seed: int) -> tuple[object, image_folder.ShapesFolder]:
    """Drawn once per (size, seed) and shared read-only by every session."""
    return image_folder.build(per_class, seed)


# --- the stage: settings beside the picture --------------------------------------------


def stage() -> Loader:
    """The transport above the index map; the scenes and the loader's settings beside it."""
    transport = st.container()  # the player's buttons, once the plan is known
    picture, side = layout.stage(controls=1, picture=2.4)
    with side:
        with st.container(horizontal=True, gap="small"):
            with st.popover("Scenes", icon=":material/movie:"):
                for key, (label, values, tip) in SCENES.items():
                    st.button(label, key=key, on_click=_scene, args=(values,), help=tip,
                              width="stretch")
            more = st.popover("Settings", icon=":material/tune:")
        cfg = _settings(more)
        stepper = st.container()
    with picture:
        try:
            batches.check(cfg)
        except ValueError as err:
            st.error(f"{err}. Change that setting to see the batches again.")
            st.stop()
        view = _build(cfg, stepper)
        view.follow(lambda at: _picture(view, at))
    if view.plan.n_batches:
        view.player = Player(P, _transport(cfg.epochs, view.plan.n_batches),
                             what="stepping through batches")
        with transport:
            view.player.controls(SPEEDS, default=2, speed_label="Batches per second",
                                 format_func=lambda s: f"{s:g}",
                                 speed_help="How fast Play walks through the batches")
    return view


def _settings(more: DeltaGenerator) -> LoaderConfig:
    """The controls that move the picture; the rarely changed ones go into `more`."""
    # options are the short names, so a link reads ?dl_ds=spiral
    name = controls.selectbox("Dataset", NAMES, key="dl_ds", index=NAMES.index("moons"),
                              help="; ".join(f"{k}: {v}" for k, v in LABELS.items()))
    about = st.empty()  # the dataset's story, once its size and noise are known
    batch_size = int(controls.number_input(
        "batch_size", min_value=1, max_value=batches.MAX_BATCH, value=32, step=1, key="dl_bs"))
    with st.container(horizontal=True, gap="small"):
        shuffle = controls.toggle("shuffle", value=True, key="dl_shuf",
                                  help="A fresh random order every epoch")
        drop_last = controls.toggle("drop_last", value=False, key="dl_drop",
                                    help="Skip the short last batch")
    spec = DATASETS.get(name)
    noise, n_classes = 0.0, 2
    with more:
        if name == batches.IMAGES:
            per_class = controls.slider("Images per shape", 1, image_folder.MAX_PER_CLASS, 12,
                                        key="dl_img", help="4 shapes, so 4x this many images")
            n_samples = per_class * len(image_folder.SHAPES)
        elif name == "xor":
            n_samples = 4
            st.caption("XOR is the lesson's fixed table: 4 samples.")
        else:
            n_samples = int(controls.number_input(
                "Samples", min_value=2, max_value=5000, value=400, step=50, key="dl_n",
                help="At most 5,000: every sample gets a cell in the grid."))
        if spec is not None and spec.has_noise:
            noise = controls.slider("Noise", 0.0, MAX_NOISE, 0.1, step=0.01, key="dl_noise",
                                    help="Standard deviation of the Gaussian jitter")
        if spec is not None and spec.variable_classes:
            n_classes = controls.slider("Classes", 2, 8, 3, key="dl_k")
        elif spec is not None:
            n_classes = spec.n_classes
        seed = controls.seed_input("dl_seed")
        val_percent = controls.slider("Validation share (%)", 0, batches.MAX_VAL_PERCENT, 0,
                                      step=5, key="dl_val",
                                      help="random_split holds this share out of the loader")
        epochs = controls.slider("Epochs shown", 1, batches.MAX_EPOCHS, 3, key="dl_ep")
    about.caption(_about(name, n_samples, noise))
    held_out = f"{val_percent} % held out" if val_percent else "no validation split"
    st.caption(f"Settings: {n_samples} samples · seed {seed} · {held_out} · "
               f"{epochs} epochs shown")
    return LoaderConfig(name, n_samples, noise, n_classes, batch_size, shuffle, drop_last,
                        seed, val_percent, epochs)


def _about(name: str, n_samples: int, noise: float) -> str:
    """What the dataset is; for the spiral, that the lesson's code for it does not run."""
    if name != "spiral":
        return LABELS[name]
    same = ("exactly these points" if (n_samples, noise) == (400, 0) else
            "the points shown here with 400 samples and noise 0")
    return (f"{LABELS[name]}. As printed, the lesson's `SpiralDataset` uses `np` without "
            f"importing numpy and stops with a NameError; with `import numpy as np` it "
            f"makes {same}.")


def _scene(values: dict[str, Any]) -> None:
    """Apply a scene and start it at its first epoch (and its batch, if it names one)."""
    values = {"dl_e": 1, "dl_b": 1, **values}
    controls.apply_preset(values)
    st.session_state[AT] = (values["dl_e"] - 1, values["dl_b"] - 1)  # also while playing
    st.session_state[SYNC] = True


def _build(cfg: LoaderConfig, stepper: DeltaGenerator) -> Loader:
    """The dataset, the split, the plan and the index map's cells for these settings."""
    if cfg.is_images:
        n = cfg.n_samples
        with st.spinner(f"Drawing {n} PNG images into a temporary folder..."):
            _folder, dataset = shapes_folder(n // len(image_folder.SHAPES), cfg.seed)
    else:
        dataset = batches.make_points(cfg)
    served, train_idx, val_idx = batches.split(dataset, cfg)
    plan = batches.plan(len(dataset), served, train_idx, val_idx, cfg)  # type: ignore[arg-type]
    width = picture_px()
    grid = charts.grid(plan.n_train, cfg.batch_size, cfg.epochs, round(width * MAP_WIDTH),
                       round(width * MAP_HEIGHT))
    return Loader(cfg, dataset, served, plan, grid, charts.index_map_frame(plan, cfg, grid),
                  stepper)


def _position() -> Position:
    """Where the player stands: its own slot while the stepper must follow it, else what the
    stepper (or, before the stepper is drawn, a deep link) says."""
    if st.session_state.get(SYNC) and AT in st.session_state:
        return st.session_state[AT]
    e, b = (st.session_state.get(key, st.query_params.get(key, 1)) for key in ("dl_e", "dl_b"))
    try:
        return int(e) - 1, int(b) - 1
    except ValueError:
        return 0, 0


def _transport(epochs: int, n_batches: int) -> Transport:
    """Back / Step / Play walk the batches, rolling over into the next epoch."""
    last = (epochs - 1, n_batches - 1)

    def go(to: Position) -> Tick:
        st.session_state[AT] = to
        st.session_state[SYNC] = True
        return Tick.DONE if to >= last else Tick.MOVED

    def walk(delta: int) -> Tick:
        return go(batches.step(_position(), delta, epochs, n_batches))

    def advance(seconds: float, speed: Any) -> Tick:
        credit = st.session_state.get(CREDIT, 0.0) + seconds * float(speed)
        walked = int(credit)
        st.session_state[CREDIT] = credit - walked
        return walk(walked)

    def back() -> None:
        walk(-1)

    def reset() -> None:
        st.session_state[CREDIT] = 0.0
        go((0, 0))

    return Transport(advance=advance, step=lambda: walk(1), back=back, reset=reset,
                     at_end=lambda: _position() >= last,
                     at_start=lambda: _position() <= (0, 0))


# --- the sections after the stage -----------------------------------------------------


def batch_count(view: Loader) -> None:
    """len(loader) and the short last batch."""
    cfg, n_train = view.cfg, view.plan.n_train
    n_batches, bs = view.plan.n_batches, cfg.batch_size
    last = n_train % bs
    m = st.columns(4)
    m[0].metric("Samples in the dataset", len(view.dataset))  # type: ignore[arg-type]
    m[1].metric("Served by the loader", n_train,
                help="The training part of random_split" if cfg.val_percent else None)
    m[2].metric("Batches per epoch: len(loader)", n_batches)
    m[3].metric("Last batch", f"{last} samples" if last and not cfg.drop_last else
                ("dropped" if last else "full"),
                help="n mod batch_size samples are left over for the last batch")
    sym = ("\\lfloor", "\\rfloor") if cfg.drop_last else ("\\lceil", "\\rceil")
    st.latex(rf"\text{{len(loader)}} = {sym[0]} \tfrac{{N}}{{B}} {sym[1]} = "
             rf"{sym[0]} \tfrac{{{n_train}}}{{{bs}}} {sym[1]} = {n_batches}")
    if last and cfg.drop_last and n_batches:
        which = ("with shuffle on, different ones each epoch" if cfg.shuffle else
                 "with shuffle off, the same ones every epoch")
        st.info(f"{last} samples ({n_train} mod {bs}) are dropped every epoch, {which} "
                "(the grey cells).")
    elif last and not cfg.drop_last:
        st.caption(f"{n_batches - 1} full batches of {bs}, then one of {last} "
                   f"({n_train} mod {bs}): ceil rounds up.")


def collated(view: Loader) -> None:
    """Leave the slot for what default_collate makes of the current batch."""
    view.follow(lambda at: _collated(view, at))


def what_is_going_on() -> None:
    """What a Dataset and a DataLoader each do, and why shuffling matters."""
    explain(
        "A `Dataset` answers two questions: how many samples (`__len__`) and what is sample "
        "*i* (`__getitem__`). The `DataLoader` decides the order: its sampler draws a "
        "permutation of 0..N-1 (with `shuffle=True`, a new one each time you start an "
        "epoch), cuts it into runs of `batch_size`, fetches each sample and hands the list "
        "of `(x, y)` pairs to `collate_fn`. The default one stacks all the x's into one "
        "tensor and all the y's into another, adding the batch dimension in front: 32 "
        "vectors of shape (2,) become one tensor of shape (32, 2).\n\n"
        "Shuffling matters because most point datasets here, like the lesson's spiral, are "
        "stored class by class: without it the spiral's first six batches are all class 0, "
        "and every gradient step would pull the model one way and then the other.",
    )


def split(view: Loader) -> None:
    """random_split: which samples validation holds out, and that the seed fixes them."""
    cfg = view.cfg
    st.subheader("random_split: train and validation")
    if not cfg.val_percent:
        st.caption("The validation share is 0 %: the loader serves the whole dataset. Set it "
                   "to 20 % (the lesson's 80/20) under Settings to hold samples out with "
                   "random_split.")
        return
    n_tr, n_val = split_sizes(len(view.dataset), cfg.val_percent / 100)  # type: ignore[arg-type]
    val_idx = view.plan.val_indices
    st.markdown(
        f"`random_split(dataset, [{n_tr}, {n_val}], generator=torch.Generator()"
        f".manual_seed({cfg.seed}))` puts these **{n_val}** samples in validation: "
        f"`{sorted(val_idx)[:batches.VAL_SHOWN]}`" + (" ..." if n_val > batches.VAL_SHOWN else ""))
    again = batches.split(view.dataset, cfg)
    st.caption(
        "Same seed, same split: running it again gives "
        + ("the identical validation indices." if again[2] == val_idx else
           "DIFFERENT indices, which should never happen.")
        + " Without a generator, random_split draws from the global RNG, so the split "
        "changes with whatever drew from it before (unless you call torch.manual_seed "
        "right before).")


def workers() -> None:
    """The two loader settings this page leaves at their defaults, and why."""
    explain(
        "`num_workers=k` starts k worker processes; each fetches and collates whole batches "
        "(batch 1 from one worker, batch 2 from the next, ...), so loading overlaps with "
        "training. It pays off when `__getitem__` is slow (decoding images from disk, "
        "augmentation). The workers are new processes with their own copy of the dataset, "
        "started again at every epoch unless `persistent_workers=True`, so for small "
        "in-memory tensors like these they only add overhead. `pin_memory=True` copies each "
        "batch into page-locked host memory so that `.to('cuda', non_blocking=True)` can "
        "transfer it asynchronously; on a machine without a GPU, PyTorch warns and pins "
        "nothing. This page keeps `num_workers=0` and `pin_memory=False`: many learners "
        "share this server's CPU and it has no GPU. Neither setting changes which samples "
        "land in which batch: the sampler runs in the main process and batches arrive in "
        "order.",
        "num_workers and pin_memory",
    )


def code(view: Loader) -> None:
    """Leave the slot for the code that prints the current batch."""
    view.follow(lambda at: show_code(code_for(view.cfg, *(at or (0, 0)))))


def play(view: Loader) -> None:
    """Fill every slot the sections left with the current batch, and refill them together
    on each tick of the player, each step and each move of the stepper."""
    def body() -> None:
        with view.stepper:
            at = _stepper(view)
        for slot, draw in view.parts:
            with slot:
                draw(at)

    if view.player is None:
        body()
    else:
        view.player.live(body)


# --- what follows the current batch ----------------------------------------------------


def _stepper(view: Loader) -> Position | None:
    """The epoch and batch on show, kept in range as the settings change. While the player
    plays they give way to its progress, and come back set to where it stopped."""
    epochs, n = view.cfg.epochs, view.plan.n_batches
    if n == 0:
        return None
    e, b = _position()
    e, b = min(max(e, 0), epochs - 1), min(max(b, 0), n - 1)
    if view.player is not None and view.player.playing:
        st.session_state[AT], st.session_state[SYNC] = (e, b), True
        done, total = e * n + b + 1, epochs * n
        st.progress(done / total, text=f"Playing: batch {done} of the {total} shown. Pause "
                                       "to pick an epoch and a batch.")
        return e, b
    if st.session_state.pop(SYNC, False) or "dl_e" not in st.session_state:
        st.session_state["dl_e"], st.session_state["dl_b"] = e + 1, b + 1
    state.clamp("dl_e", 1, epochs)
    state.clamp("dl_b", 1, n)
    epoch = int(controls.segmented_control(
        "Epoch", list(range(1, epochs + 1)), default=1, key="dl_e", required=True) or 1)
    if n > 1:
        batch = int(controls.slider("Batch", 1, n, 1, key="dl_b"))
    else:
        batch = 1
        st.caption("One batch per epoch.")
    return epoch - 1, batch - 1


def _picture(view: Loader, at: Position | None) -> None:
    """The index map and, beside it, the batch itself."""
    cfg, p, g = view.cfg, view.plan, view.grid
    if at is None:
        st.warning(f"drop_last with a batch size of {cfg.batch_size} and only {p.n_train} "
                   "samples: the only batch is short, so it is dropped and an epoch serves "
                   "nothing at all.")
    else:
        e, b = at
        st.markdown(f"**Epoch {e + 1} of {cfg.epochs} · batch {b + 1} of {p.n_batches}** · "
                    f"{_samples(len(p.orders[e][b]))}")
    side_px = _scatter_px()
    with st.container(horizontal=True, gap="medium", width=g.width_px + 24 + side_px):
        # its height is known before Vega draws it: the page does not jump when it appears
        with st.container(key=f"{P}_picture", width=g.width_px, height=g.height_px + 2,
                          border=False):
            st.vega_lite_chart(view.cells, charts.index_map_spec(view.cells, g, p, at,
                                                                 _fonts()), width="stretch")
        if at is not None:
            with st.container(width="stretch"):
                _batch_beside(view, at)
    dropped = cfg.drop_last and p.n_train % cfg.batch_size
    order = ("shuffle is off, yet the order looks random: the loader walks the training "
             "subset in the order random_split drew it, the same order every epoch."
             if not cfg.shuffle and cfg.val_percent else
             "shuffle is off: every epoch serves 0, 1, 2, ... in the same order."
             if not cfg.shuffle else
             "shuffle is on: every epoch draws a new permutation from the loader's generator.")
    st.caption("One cell per sample (hover for its index), coloured by the batch it lands "
               "in; one block per epoch, read left to right. The black outline is the "
               "current batch" + (", grey cells were dropped. " if dropped else ". ") + order)


def _batch_beside(view: Loader, at: Position) -> None:
    """The current batch's points among all the points, or its images."""
    e, b = at
    current = view.plan.orders[e][b]
    if view.cfg.is_images:
        _, X, y = collate.collate_demo(view.served, view.plan.positions[e][b][:MAX_TILES])
        classes = view.dataset.classes  # type: ignore[attr-defined]
        st.image(image_folder.tiles(X), width=64,
                 caption=[f"#{i}: {classes[int(t)]}" for i, t in zip(current, y, strict=False)])
        if len(current) > MAX_TILES:
            st.caption(f"The first {MAX_TILES} of the batch's {len(current)} images.")
        return
    points = view.dataset
    scatter = charts.scatter_frame(points.X, points.y, view.plan, current)  # type: ignore[attr-defined]
    height = _scatter_px()
    spec = charts.scatter_spec(f"Batch {b + 1} in the data", height, len(scatter),
                               font_scale=_fonts())
    st.vega_lite_chart(scatter, spec, width="stretch")
    n_features = DATASETS[view.cfg.dataset].n_features
    st.caption("Big ringed dots: this batch. Faint: the rest of the training set"
               + (". Hollow: validation, never served." if view.plan.val_indices else ".")
               + (f" Showing 2 of the {n_features} features." if n_features > 2 else ""))


def _scatter_px() -> int:
    """The side of the square the batch's scatter gets beside the index map."""
    return round(picture_px() * SCATTER_SIZE[is_presenting()])


def _samples(n: int) -> str:
    return f"{n} sample" if n == 1 else f"{n} samples"


def _fonts() -> float:
    """Chart type grows on a projector, as the page's type does."""
    return 1.5 if is_presenting() else 1.0


def _collated(view: Loader, at: Position | None) -> None:
    """What default_collate receives for this batch and what it returns."""
    if at is None:
        return
    e, b = at
    current = view.plan.orders[e][b]
    st.subheader(f"Epoch {e + 1}, batch {b + 1}: what default_collate makes of it")
    pairs, X, y = collate.collate_demo(view.served, view.plan.positions[e][b])
    text = collate.collate_text(pairs, len(current), X, y)
    if view.cfg.is_images:
        st.code(text, language="python")
        files = view.dataset.files  # type: ignore[attr-defined]
        st.caption("Each image was read from its own PNG file by ShapesFolder.__getitem__: "
                   + ", ".join(f"`{files[i][0].parent.name}/{files[i][0].name}`"
                               for i in current[:3]) + (", ..." if len(current) > 3 else ""))
        return
    left, right = st.columns([3, 2])
    left.code(text, language="python")
    right.dataframe(collate.batch_table(X, y, current), height=260,
                    column_config={"y": st.column_config.NumberColumn(format="%d")})
