"""DataLoader batch viewer: how a loader cuts an epoch into batches."""

from __future__ import annotations

import streamlit as st
from streamlit_shortcuts import add_shortcuts

from ml101.data import image_folder
from ml101.data import loader as batches
from ml101.datasets import DATASETS, MAX_NOISE, split_sizes
from ml101.ui import controls
from ml101.ui.layout import explain, page_header, show_code

page_header(
    "DataLoader batch viewer",
    "Pick a dataset, a batch size and the shuffle settings: the grid shows which sample lands "
    "in which batch, epoch after epoch, and below you step through the batches themselves.",
)

LESSON_XOR = {"dl_ds": "xor", "dl_bs": 2, "dl_shuf": True, "dl_drop": False, "dl_val": 0,
              "dl_e": 1, "dl_b": 1}
LESSON_SPIRAL = {"dl_ds": "spiral", "dl_n": 400, "dl_noise": 0.0, "dl_bs": 32, "dl_shuf": True,
                 "dl_drop": False, "dl_val": 0, "dl_e": 1, "dl_b": 13}
DROP_LAST = {**LESSON_SPIRAL, "dl_drop": True, "dl_b": 12}
IMAGES = {"dl_ds": batches.IMAGES, "dl_img": 8, "dl_bs": 8, "dl_shuf": True, "dl_drop": False,
          "dl_val": 0, "dl_e": 1, "dl_b": 1}

cols = st.columns(4)
cols[0].button("Lesson's XOR loader", key="dl_p_xor", on_click=controls.apply_preset,
               args=(LESSON_XOR,), help="The 4 XOR points, batch_size=2, shuffle=True",
               width="stretch")
cols[1].button("Lesson's spiral loader", key="dl_p_spiral", on_click=controls.apply_preset,
               args=(LESSON_SPIRAL,), help="SpiralDataset(200): 400 points, batch_size=32",
               width="stretch")
cols[2].button("Spiral with drop_last", key="dl_p_drop", on_click=controls.apply_preset,
               args=(DROP_LAST,), help="The same loader, short last batch dropped",
               width="stretch")
cols[3].button("Images from a folder", key="dl_p_img", on_click=controls.apply_preset,
               args=(IMAGES,), help="Practice problem 5: a custom Dataset reading PNG files",
               width="stretch")

# --- controls --------------------------------------------------------------------------

names = [*DATASETS, batches.IMAGES]
labels = {**{k: s.label for k, s in DATASETS.items()},
          batches.IMAGES: "PNG images of 4 shapes in a folder (practice problem 5)"}

with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    with c1:  # options are the short names, so a link reads ?dl_ds=spiral
        name = controls.selectbox("Dataset", names, key="dl_ds", index=names.index("moons"),
                                  help="; ".join(f"{k}: {v}" for k, v in labels.items()))
        st.caption(labels[name])
    is_images = name == batches.IMAGES
    spec = DATASETS.get(name)
    noise, n_classes = 0.0, 2
    with c1:
        if is_images:
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
    with c2:
        batch_size = int(controls.number_input(
            "batch_size", min_value=1, max_value=batches.MAX_BATCH, value=32, step=1,
            key="dl_bs"))
        shuffle = controls.toggle("shuffle", value=True, key="dl_shuf",
                                  help="A fresh random order every epoch")
        drop_last = controls.toggle("drop_last", value=False, key="dl_drop",
                                    help="Skip the short last batch")
    with c3:
        seed = controls.seed_input("dl_seed")
        val_percent = controls.slider("Validation share (%)", 0, batches.MAX_VAL_PERCENT, 0,
                                      step=5, key="dl_val",
                                      help="random_split holds this share out of the loader")
    with c4:
        epochs = controls.slider("Epochs shown", 1, batches.MAX_EPOCHS, 3, key="dl_ep")

cfg = batches.LoaderConfig(name, n_samples, noise, n_classes, batch_size, shuffle, drop_last,
                           seed, val_percent, epochs)
try:
    batches.check(cfg)
except ValueError as err:
    st.error(f"{err}. Change that setting to see the batches again.")
    st.stop()


@st.cache_resource(max_entries=8, show_spinner=False)
def shapes_folder(per_class: int, seed: int) -> tuple[object, image_folder.ShapesFolder]:
    """Drawn once per (size, seed) and shared read-only by every session."""
    return image_folder.build(per_class, seed)


if is_images:
    with st.spinner(f"Drawing {n_samples} PNG images into a temporary folder..."):
        _folder, dataset = shapes_folder(n_samples // len(image_folder.SHAPES), seed)
    X_all = y_all = None
else:
    dataset = batches.make_points(cfg)
    X_all, y_all = dataset.X, dataset.y

served, train_idx, val_idx = batches.split(dataset, cfg)
plan = batches.plan(len(dataset), served, train_idx, val_idx, cfg)
n_train = plan.n_train
n_batches = batches.batch_count(n_train, batch_size, drop_last)

# --- the batch count -------------------------------------------------------------------

m = st.columns(4)
m[0].metric("Samples in the dataset", len(dataset))
m[1].metric("Served by the loader", n_train,
            help="The training part of random_split" if val_percent else None)
m[2].metric("Batches per epoch: len(loader)", n_batches)
last = n_train - (n_train // batch_size) * batch_size
m[3].metric("Last batch", f"{last} samples" if last and not drop_last else
            ("dropped" if last else "full"),
            help="n mod batch_size samples are left over for the last batch")

rounding = "floor" if drop_last else "ceil"
sym = ("\\lfloor", "\\rfloor") if drop_last else ("\\lceil", "\\rceil")
st.latex(rf"\text{{len(loader)}} = {sym[0]} \tfrac{{N}}{{B}} {sym[1]} = "
         rf"{sym[0]} \tfrac{{{n_train}}}{{{batch_size}}} {sym[1]} = {n_batches}")
if n_batches == 0:
    st.warning(f"drop_last with a batch size of {batch_size} and only {n_train} samples: the "
               "only batch is short, so it is dropped and an epoch serves nothing at all.")
    st.stop()
if last and drop_last:
    st.info(f"{last} samples ({n_train} mod {batch_size}) are dropped every epoch; with shuffle "
            "on they are different samples each time (the grey cells).")
elif last:
    st.caption(f"{n_batches - 1} full batches of {batch_size}, then one of {last} "
               f"({n_train} mod {batch_size}): {rounding} rounds up.")

# --- stepping --------------------------------------------------------------------------

for key, top in (("dl_e", epochs), ("dl_b", n_batches)):
    if st.session_state.get(key, 1) > top:
        st.session_state[key] = top


def _step(delta: int) -> None:
    """Next/previous batch, rolling over into the next/previous epoch."""
    e = st.session_state.get("dl_e", 1) - 1
    b = st.session_state.get("dl_b", 1) - 1 + delta
    if b >= n_batches:
        b, e = 0, min(e + 1, epochs - 1)
    elif b < 0:
        b, e = n_batches - 1, max(e - 1, 0)
    st.session_state["dl_e"], st.session_state["dl_b"] = e + 1, b + 1


s1, s2, s3, s4 = st.columns([3, 5, 1, 1], vertical_alignment="bottom")
with s1:
    epoch = int(controls.segmented_control(
        "Epoch", list(range(1, epochs + 1)), default=1, key="dl_e", required=True) or 1)
with s2:
    if n_batches > 1:
        batch_no = int(controls.slider("Batch", 1, n_batches, 1, key="dl_b"))
    else:
        batch_no = 1
        st.caption("One batch per epoch.")
s3.button("Prev", key="dl_prev", on_click=_step, args=(-1,), icon=":material/chevron_left:",
          help="Previous batch (left arrow key)", width="stretch")
s4.button("Next", key="dl_next", on_click=_step, args=(1,), icon=":material/chevron_right:",
          help="Next batch (right arrow key)", width="stretch")
add_shortcuts(dl_prev="arrowleft", dl_next="arrowright")

e, b = epoch - 1, batch_no - 1
current = plan.orders[e][b]

# --- the index map ---------------------------------------------------------------------

st.subheader("The index map")
st.caption(
    "Each cell is one sample, labelled with its index in the dataset (hover for it when "
    "the cells get small); colour = the batch it lands in; one block per epoch, read left to "
    "right, top to bottom. The black outline is the batch you are stepping through"
    + (", grey cells were dropped." if drop_last and last else ".")
)
frame = batches.index_map_frame(plan, cfg, (e, b))
st.vega_lite_chart(frame, batches.index_map_spec(frame, n_train), width="content")
if not shuffle and val_percent:
    st.caption("shuffle is off, yet the order looks random: the loader walks the training "
               "subset in the order random_split drew it, the same order every epoch.")
elif not shuffle:
    st.caption("shuffle is off: every epoch serves 0, 1, 2, ... in the same order.")
else:
    st.caption("shuffle is on: every epoch draws a new permutation from the loader's generator.")

# --- the current batch -----------------------------------------------------------------

st.subheader(f"Epoch {epoch}, batch {batch_no} of {n_batches}: {len(current)} samples")
pairs, X_batch, y_batch = batches.collate_demo(served, plan.positions[e][b])
left, right = st.columns([3, 2])
with left:
    if is_images:
        classes = dataset.classes
        st.image(image_folder.tiles(X_batch),
                 caption=[f"#{i}: {classes[int(t)]}" for i, t in zip(current, y_batch,
                                                                     strict=True)],
                 width=84)
        st.caption("Each image was read from its own PNG file by ShapesFolder.__getitem__: "
                   + ", ".join(f"`{dataset.files[i][0].parent.name}/{dataset.files[i][0].name}`"
                               for i in current[:3]) + (", ..." if len(current) > 3 else ""))
    else:
        scatter = batches.scatter_frame(X_all, y_all, plan, current)
        names2 = ("x[0]", "x[1]")
        st.vega_lite_chart(scatter, batches.scatter_spec(names2), width="stretch")
        if spec is not None and spec.n_features > 2:
            st.caption(f"Showing 2 of the {spec.n_features} features.")
        st.caption("Big ringed dots: this batch. Faint dots: the rest of the training set"
                   + (". Hollow: validation, which this loader never serves." if val_idx
                      else "."))
with right:
    st.code(batches.collate_text(pairs, len(current), X_batch, y_batch), language="python")
if not is_images:
    st.dataframe(batches.batch_table(X_batch, y_batch, current), height=240,
                 column_config={"y": st.column_config.NumberColumn(format="%d")})

explain(
    "A `Dataset` answers two questions: how many samples (`__len__`) and what is sample *i* "
    "(`__getitem__`). The `DataLoader` decides the order: its sampler draws a permutation "
    "of 0..N-1 (with `shuffle=True`, a new one each time you start an epoch), cuts it into "
    "runs of `batch_size`, fetches each sample and hands the list of `(x, y)` pairs to "
    "`collate_fn`. The default one stacks all the x's into one tensor and all the y's into "
    "another, adding the batch dimension in front: 32 vectors of shape (2,) become one "
    "tensor of shape (32, 2).\n\n"
    "Shuffling matters because these datasets are stored class by class: without it, the "
    "first batches of the spiral are all class 0, and every gradient step would pull the "
    "model one way and then the other.",
    "What is going on?",
)

# --- random_split ----------------------------------------------------------------------

st.subheader("random_split: train and validation")
if val_percent:
    n_tr, n_val = split_sizes(len(dataset), val_percent / 100)
    st.markdown(
        f"`random_split(dataset, [{n_tr}, {n_val}], generator=torch.Generator()"
        f".manual_seed({seed}))` puts these **{n_val}** samples in validation: "
        f"`{sorted(val_idx)[:40]}`" + (" ..." if n_val > 40 else "")
    )
    again = batches.split(dataset, cfg)
    st.caption(
        "Same seed, same split: running it again gives "
        + ("the identical validation indices." if again[2] == val_idx else
           "DIFFERENT indices, which should never happen.")
        + " Without a generator, random_split draws from the global RNG and the split changes "
        "with whatever ran before it."
    )
else:
    st.caption("The validation share is 0 %: the loader serves the whole dataset. Set it to "
               "20 % (the lesson's 80/20) to hold samples out with random_split.")

explain(
    "`num_workers=k` starts k worker processes that each fetch and collate whole batches "
    "in parallel, so loading overlaps with training; it pays off when `__getitem__` is slow "
    "(decoding images from disk, augmentation). Each worker is a separate process with its "
    "own copy of the dataset and a start-up cost, so for small in-memory tensors like these "
    "it only adds overhead. `pin_memory=True` copies each batch into page-locked host "
    "memory so that `.to('cuda', non_blocking=True)` can transfer it asynchronously; without "
    "a GPU it does nothing useful. This page keeps `num_workers=0` and `pin_memory=False`: "
    "the batches are computed in the server process, many learners share this server's "
    "CPU, and there is no GPU. Neither setting changes which samples land in which batch.",
    "num_workers and pin_memory",
)

show_code(batches.loader_code(cfg, e, b))
