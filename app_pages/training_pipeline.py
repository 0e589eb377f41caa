"""Training pipeline: train a real network live, stop early, rewind, save and load."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_shortcuts import add_shortcuts

from ml101.datasets import DATASETS
from ml101.losses import LOSSES, saturation_demo
from ml101.models import ACTIVATIONS, as_sequential, parameter_table, parse_hidden
from ml101.runtime import MAX_HEAVY, BudgetError, heavy_slot, seeded
from ml101.training import checkpoints as ckpt
from ml101.training.charts import (
    boundary_spec,
    boundary_spec_cached,
    confusion_spec,
    curves_spec,
    per_class_accuracy,
)
from ml101.training.code import training_script
from ml101.training.trainer import (
    BREAK_PRESETS,
    BUGS,
    COMPARE,
    LIVE_CHUNK_S,
    PRESETS,
    SPEED_OPTIONS,
    TICK_S,
    TRAINING_OPTIMIZERS,
    Preset,
    RunConfig,
    Trainer,
    check_config,
    compare_configs,
)
from ml101.ui import controls
from ml101.ui.layout import explain, page_header, show_code

LR_OPTIONS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0, 10.0, 30.0,
              100.0]
WD_OPTIONS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1]
BATCH_OPTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
STATE = "tr_state"


def preset_values(p: Preset) -> dict[str, Any]:
    c = p.cfg
    return {"tr_data": c.dataset, "tr_n": c.n_samples, "tr_noise": c.noise, "tr_k": c.n_classes,
            "tr_val": c.val_fraction, "tr_bs": c.batch_size,
            "tr_hidden": ", ".join(str(h) for h in c.hidden), "tr_act": c.activation,
            "tr_drop": c.dropout, "tr_bn": c.batch_norm, "tr_loss": c.loss,
            "tr_opt": c.optimizer, "tr_lr": c.lr, "tr_wd": c.weight_decay, "tr_ep": c.epochs,
            "tr_pat": c.patience, "tr_bug": c.bug, "tr_cmp": p.compare, "tr_speed": p.speed}


DEFAULT = preset_values(PRESETS["overfit"])

page_header(
    "Training pipeline",
    "Build a run, press **Play**, and watch a real PyTorch network learn: loss curves, "
    "the decision boundary, early stopping.  \nThen rewind to any epoch, restore the best "
    "weights, and save or load checkpoints.",
)

# --- presets ---------------------------------------------------------------------------
st.markdown("**Scenes**")
cols = st.columns(len(PRESETS))
for col, (name, p) in zip(cols, PRESETS.items(), strict=True):
    col.button(p.label, key=f"tr_pre_{name}", on_click=controls.apply_preset,
               args=(preset_values(p),), help=p.note, width="stretch")
st.markdown("**Break it on purpose**: each mistake is caught and explained below the charts")
cols = st.columns(len(BREAK_PRESETS))
for col, (name, p) in zip(cols, BREAK_PRESETS.items(), strict=True):
    col.button(p.label, key=f"tr_bug_{name}", on_click=controls.apply_preset,
               args=(preset_values(p),), width="stretch")

# --- build the run ---------------------------------------------------------------------
with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        st.markdown("**Data**")
        ds_key = controls.selectbox("Dataset", list(DATASETS), key="tr_data",
                                    index=list(DATASETS).index(DEFAULT["tr_data"]),
                                    format_func=lambda k: DATASETS[k].label)
        spec = DATASETS[ds_key]
        n = controls.number_input("Samples", min_value=4, max_value=5000, step=20,
                                  value=DEFAULT["tr_n"], key="tr_n",
                                  disabled=spec.min_size == spec.max_size)
        n = spec.max_size if spec.min_size == spec.max_size else int(n)
        noise = controls.slider("Noise", 0.0, 1.0, DEFAULT["tr_noise"], 0.05, key="tr_noise",
                                disabled=not spec.has_noise)
        k = (controls.slider("Classes", 2, 8, 3, key="tr_k") if spec.variable_classes
             else spec.n_classes)
        val = controls.slider("Validation share", 0.0, 0.8, DEFAULT["tr_val"], 0.1, key="tr_val",
                              help="0 validates on the training data, as the lesson's XOR does")
        bs = controls.select_slider("Batch size", BATCH_OPTIONS, DEFAULT["tr_bs"], key="tr_bs")
    with c2:
        st.markdown("**Model**")
        hidden_text = controls.text_input("Hidden layer sizes", DEFAULT["tr_hidden"],
                                          key="tr_hidden", max_chars=60,
                                          help="Whole numbers separated by commas, e.g. 64, 32")
        act = controls.selectbox("Activation", list(ACTIVATIONS), key="tr_act")
        drop = controls.slider("Dropout", 0.0, 0.9, 0.0, 0.05, key="tr_drop")
        bn = controls.toggle("Batch norm", key="tr_bn")
    with c3:
        st.markdown("**Loss and optimizer**")
        loss = controls.selectbox("Loss", list(LOSSES), key="tr_loss",
                                  format_func=lambda x: LOSSES[x].label)
        opt = controls.selectbox("Optimizer", list(TRAINING_OPTIMIZERS), key="tr_opt",
                                 index=list(TRAINING_OPTIMIZERS).index(DEFAULT["tr_opt"]),
                                 format_func=lambda x: TRAINING_OPTIMIZERS[x])
        lr = controls.select_slider("Learning rate", LR_OPTIONS, DEFAULT["tr_lr"], key="tr_lr",
                                    format_func=lambda v: f"{v:g}")
        wd = controls.select_slider("Weight decay", WD_OPTIONS, 0.0, key="tr_wd",
                                    format_func=lambda v: f"{v:g}")
    with c4:
        st.markdown("**Training**")
        epochs = controls.number_input("Epochs", 1, 5000, DEFAULT["tr_ep"], key="tr_ep")
        patience = controls.number_input("Patience (0 = off)", 0, 500, DEFAULT["tr_pat"],
                                         key="tr_pat")
        seed = controls.seed_input("tr_seed")
        bug = controls.selectbox("Mistake on purpose", list(BUGS), key="tr_bug",
                                 format_func=lambda x: BUGS[x])
        cmp_mode = controls.selectbox("Side by side", list(COMPARE), key="tr_cmp",
                                      format_func=lambda x: COMPARE[x])

try:
    cfg = RunConfig(
        dataset=ds_key, n_samples=n, noise=float(noise) if spec.has_noise else 0.0,
        n_classes=int(k), val_fraction=float(val), batch_size=int(bs),
        hidden=parse_hidden(hidden_text), activation=act, dropout=float(drop),
        batch_norm=bool(bn), loss=loss, optimizer=opt, lr=float(lr), weight_decay=float(wd),
        epochs=int(epochs), patience=int(patience), seed=int(seed), bug=bug)
    check_config(cfg)
except ValueError as exc:
    st.error(f"This run cannot start: {exc}")
    st.stop()

# --- the learner's own runs (st.session_state: nobody else sees them) --------------------
wanted = (cfg, cmp_mode)
state: dict[str, Any] | None = st.session_state.get(STATE)
if state is None or state["key"] != wanted:
    try:
        runs = [(label, Trainer(c)) for label, c in compare_configs(cfg, cmp_mode)]
    except (ValueError, BudgetError) as exc:
        st.error(f"This run cannot start: {exc}")
        st.stop()
    state = {"key": wanted, "runs": runs, "running": False, "loaded": None}
    st.session_state[STATE] = state
    st.session_state.pop("tr_at", None)
runs: list[tuple[str, Trainer]] = state["runs"]
main = runs[0][1]


def _all_done() -> bool:
    return all(t.done for _, t in runs)


def _toggle_play() -> None:
    state["running"] = not state["running"] and not _all_done()


def _step() -> None:
    state["running"] = False
    with heavy_slot(wait_s=2.0) as got:
        if got:
            for _, t in runs:
                t.run(1)
        else:
            state["busy"] = True


def _reset() -> None:
    st.session_state.pop(STATE, None)
    st.session_state.pop("tr_at", None)


def _restore() -> None:
    for _, t in runs:
        t.restore_best()


# --- transport -----------------------------------------------------------------------------
b1, b2, b3, b4, b5 = st.columns([1, 1, 1, 1.4, 2.6], vertical_alignment="bottom")
b1.button("Pause" if state["running"] else "Play", key="tr_play", on_click=_toggle_play,
          type="primary", disabled=_all_done() and not state["running"],
          icon=":material/pause:" if state["running"] else ":material/play_arrow:",
          width="stretch")
b2.button("Step", key="tr_step", on_click=_step, disabled=_all_done(),
          icon=":material/skip_next:", help="Train exactly one epoch", width="stretch")
b3.button("Reset", key="tr_reset", on_click=_reset, icon=":material/replay:",
          help="Fresh weights, same settings", width="stretch")
b4.button("Restore best", key="tr_best", on_click=_restore, icon=":material/restore:",
          disabled=state["running"] or not any(t.best_state is not None for _, t in runs),
          width="stretch",
          help="Load the weights of the epoch with the lowest validation loss")
with b5:
    speed = controls.select_slider("Speed: epochs per tick", SPEED_OPTIONS, DEFAULT["tr_speed"],
                                   key="tr_speed")
add_shortcuts(tr_play="p", tr_step="n", tr_reset="shift+x")
st.caption("Keys: **p** play/pause · **n** one epoch · **shift+x** reset")
if state.pop("busy", False):
    st.info(f"The server is busy: {MAX_HEAVY} runs are training right now. Try again in a moment.")


def run_panel(label: str, t: Trainer) -> None:
    """Counters, curves and boundary of one run."""
    if label:
        st.subheader(label)
    cfg_t = t.cfg
    st.progress(min(1.0, t.epoch / cfg_t.epochs),
                text=f"epoch {t.epoch} of {cfg_t.epochs} · iteration {t.iteration}")
    last = t.history[-1] if t.history else None
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("train loss", f"{last.train_loss:.4f}" if last else "–")
    m2.metric("val loss", f"{last.val_loss:.4f}" if last else "–")
    m3.metric("val accuracy", f"{last.val_acc:.1%}" if last else "–")
    left = t.epochs_left_before_stop
    m4.metric("early stop in", "off" if left is None else f"{left} epochs",
              help=f"best epoch so far: {t.best_epoch}" if t.best_epoch else None)
    charts = st.columns([3, 2]) if DATASETS[cfg_t.dataset].n_features == 2 else [st.container()]
    # Plain Vega-Lite dicts (no Altair): a few ms per tick instead of ~250 ms; the
    # boundary is recomputed only when the weights changed since the last draw.
    charts[0].vega_lite_chart(spec=curves_spec(t, height=200), width="content")
    if len(charts) > 1:
        charts[1].vega_lite_chart(spec=boundary_spec_cached(t, size=260), width="content")


@st.fragment(run_every=TICK_S if state["running"] else None)
def live() -> None:
    if state["running"]:
        with heavy_slot() as got:
            if got:
                for _, t in runs:
                    t.run(int(speed), time_budget_s=LIVE_CHUNK_S)
        if not got:
            st.caption(f"Waiting for a free slot: {MAX_HEAVY} learners are training right now; "
                       "yours resumes on its own.")
        if _all_done():
            state["running"] = False
            st.rerun()
    cols_runs = st.columns(len(runs)) if len(runs) > 1 else [st.container()]
    for col, (label, t) in zip(cols_runs, runs, strict=True):
        with col:
            run_panel(label, t)


live()

# --- what happened -------------------------------------------------------------------------
for label, t in runs:
    who = f"{label}: " if label else ""
    if t.problem is not None:
        st.warning(f"{who}**Training paused at step {t.problem.step}, tensor: "
                   f"{t.problem.tensor}.** {t.problem.message}", icon=":material/bug_report:")
    elif t.finished == "early_stop":
        st.success(f"{who}Early stopping at epoch {t.epoch}: validation loss has not beaten "
                   f"{t.best_val_loss:.4f} (epoch {t.best_epoch}) for {t.cfg.patience} epochs.",
                   icon=":material/front_hand:")
    elif t.finished == "max_epochs":
        st.success(f"{who}Done: {t.epoch} epochs. Best validation loss {t.best_val_loss:.4f} "
                   f"at epoch {t.best_epoch}.")
    if t.restored is not None:
        r = t.restored
        st.info(f"{who}Restored the weights of epoch {r.epoch}: validation loss "
                f"{r.val_loss_before:.4f} → {r.val_loss_after:.4f}, accuracy "
                f"{r.val_acc_before:.1%} → {r.val_acc_after:.1%}. The lesson saves these "
                "weights to best_model.pth but never loads them back, so it reports the last "
                "epoch instead.", icon=":material/restore:")

if cfg.bug == "no_zero_grad" and main.history:
    first, now = main.history[0].grad_norm, main.history[-1].grad_norm
    fresh = main.fresh_grad_norm()
    st.warning(
        f"**Forgot `optimizer.zero_grad()`.** `loss.backward()` adds into `.grad`, so each "
        f"step uses the sum of every gradient so far. The gradient norm used at epoch 1 was "
        f"{first:.3g}; at epoch {main.epoch} it is {now:.3g}, while one clean gradient of the "
        f"current weights is {fresh:.3g}. Steps grow and point where the model was, not where "
        "it is. Fix: call `optimizer.zero_grad()` before every `backward()`.",
        icon=":material/bug_report:")
if cfg.bug == "no_eval" and main.history:
    h = main.history[-1]
    st.warning(
        f"**Forgot `model.eval()` during validation.** Dropout is still dropping units and "
        f"batch norm uses (and updates) batch statistics while validating. At epoch {h.epoch} "
        f"the validation loss measured in training mode is {h.val_loss:.4f}; the honest "
        f"eval-mode figure is {h.val_loss_eval:.4f}. Early stopping and 'best epoch' then chase "
        "noise. Fix: `model.eval()` before validating, `model.train()` before training.",
        icon=":material/bug_report:")

# --- rewind, confusion matrix ---------------------------------------------------------------
if not state["running"] and main.epoch >= 1 and len(runs) == 1:
    st.subheader("Rewind")
    # Not URL-bound: the run lives in this session, so an epoch in a link would mean nothing.
    at = st.slider("Show the model at epoch", 0, main.epoch, main.epoch, key="tr_at")
    shown = main.snapshot_epoch(at)
    model_at = main.model_at(at)
    loss_at, acc_at = main.evaluate_at(at)
    note = "" if shown == at else f" (nearest snapshot: epoch {shown}; snapshots are thinned " \
        f"to every {main.snapshot_stride} epochs to save memory)"
    st.caption(f"Weights of epoch {shown}{note}: validation loss {loss_at:.4f}, accuracy "
               f"{acc_at:.1%}. The grey dashed line marks it, the green one the best epoch.")
    r1, r2 = st.columns([3, 2])
    r1.vega_lite_chart(spec=curves_spec(main, at_epoch=shown, height=200), width="content")
    if DATASETS[cfg.dataset].n_features == 2:
        r2.vega_lite_chart(spec=boundary_spec(main, model_at, size=260), width="content")
    matrix = main.confusion(model_at)
    q1, q2 = st.columns([1, 1])
    q1.vega_lite_chart(spec=confusion_spec(matrix), width="content")
    acc_rows = [{"class": i, "validation samples": sum(matrix[i]),
                 "accuracy": "–" if a is None else f"{a:.1%}"}
                for i, a in enumerate(per_class_accuracy(matrix))]
    q2.markdown(f"**Per-class accuracy at epoch {shown}**")
    q2.dataframe(pd.DataFrame(acc_rows), hide_index=True)

explain(
    "- **Train vs validation loss.** Training loss keeps falling as the network memorises "
    "the training points, noise included. Validation loss, on points it never trains on, "
    "falls and then rises: that turn is overfitting.\n"
    "- **Early stopping** watches the validation loss and stops after *patience* epochs "
    "without a new best. The best weights are kept in memory; **Restore best** loads them "
    "back and shows what that gains.\n"
    "- **Rewind** keeps a copy of the weights after every epoch, so you can see the "
    "boundary the model had at any point.\n"
    "- Batches here come from one shuffled copy of the training tensor per epoch "
    "(`X[order]`), cut into views with `.split(batch_size)`, instead of a DataLoader "
    "calling `__getitem__` per sample and collating; the optimizer runs `fused=True`, one "
    "kernel for all parameters, and the trainer calls the layers and that kernel directly, "
    "skipping the hook checks around them. Same numbers as the code below, about twice the "
    "lesson loop's speed (`benches/trainer_vs_lesson.py`).",
    "What is going on?")

# --- the model --------------------------------------------------------------------------------
st.subheader("The model")
t1, t2, t3 = st.tabs(["print(model)", "Parameters", "As nn.Sequential"])
t1.code(str(main.model), language="text")
rows = parameter_table(main.model)
t2.dataframe(pd.DataFrame(rows), hide_index=True)
t2.caption(f"Total: {sum(int(r['count']) for r in rows):,} trainable numbers "
           "(from `model.named_parameters()`).")
with seeded(cfg.seed):
    seq = as_sequential(main.spec)
t3.code(str(seq), language="text")
t3.caption("Same layers in the same order, so under the same seed it starts with exactly "
           "the same weights as the class version.")

with st.expander("Why BCEWithLogitsLoss rather than Sigmoid + BCELoss?",
                 icon=":material/lightbulb:"):
    d = saturation_demo(20.0)
    st.markdown(
        f"Take a confident wrong answer: raw score 20, true label 0. In float32, "
        f"`sigmoid(20)` rounds to **{d['sigmoid']:.7f}**, so `BCELoss` must take log(0); "
        f"PyTorch clamps it and reports **{d['bce_loss']:.1f}**, with a gradient of "
        f"**{d['bce_grad']:g}**: the model learns nothing from its worst mistake. "
        f"`BCEWithLogitsLoss` works from the raw score and gives the true loss "
        f"**{d['logits_loss']:.1f}** and gradient **{d['logits_grad']:g}**. Same maths on "
        "paper, safer numbers in practice.")

# --- save and load ------------------------------------------------------------------------------
st.subheader("Save and load")
s1, s2 = st.columns(2)
with s1:
    st.download_button("Download state_dict (.pt)", ckpt.to_bytes(main.model.state_dict()),
                       file_name="model_state.pt", key="tr_dl_sd",
                       icon=":material/download:")
    st.download_button("Download full checkpoint (.pt)", ckpt.to_bytes(main.checkpoint()),
                       file_name=f"checkpoint_epoch{main.epoch}.pt", key="tr_dl_ck",
                       icon=":material/download:",
                       help="Model, optimizer, epoch, history, settings and random state: "
                            "uploading it resumes this run exactly.")
    demo = ckpt.whole_model_demo(main.model)
    st.markdown(
        f"**The lesson's `torch.save(model)`** pickles the class itself. Loading it on "
        f"PyTorch {demo['torch']} (2.6 and later default to `weights_only=True`) fails:")
    st.code(demo["whole_model_error"], language="text", wrap_lines=True)
    st.markdown("The right way: `torch.save(model.state_dict(), path)`, then build the model "
                "and `model.load_state_dict(torch.load(path, weights_only=True))`. Round trip "
                f"here: {demo['state_dict_roundtrip']}.")
with s2:
    up = st.file_uploader("Upload a .pt checkpoint or state_dict", type=["pt", "pth"],
                          key="tr_up", max_upload_size=ckpt.MAX_UPLOAD_BYTES // 2**20)
    if up is not None:
        try:
            obj = ckpt.load_bytes(up.getvalue())
            if ckpt.is_full_checkpoint(obj):
                resumed = Trainer.from_checkpoint(obj)
                st.success(f"Full checkpoint: epoch {obj['epoch']}, "
                           f"{len(obj['history']['epoch'])} epochs of history, "
                           f"dataset {obj['config']['dataset']}.")
                if st.button("Resume this run here", key="tr_resume"):
                    controls.apply_preset(preset_values(Preset("", resumed.cfg)))
                    st.session_state[STATE] = {"key": (resumed.cfg, "off"),
                                               "runs": [("", resumed)], "running": False,
                                               "loaded": up.name}
                    st.rerun()
            else:
                sd = ckpt.as_state_dict(obj)
                diff = ckpt.compare(main.model, sd)
                if not diff.ok:
                    raise ckpt.CheckpointError("These weights are for another architecture: "
                                               + diff.describe() + ".")
                st.success(f"A state_dict of {len(sd)} tensors that fits the current model.")
                if st.button("Load these weights into the current model", key="tr_load_sd"):
                    state["running"] = False
                    ckpt.load_weights(main.model, sd)
                    st.toast("Weights loaded.")
        except (ckpt.CheckpointError, ValueError, BudgetError, KeyError, TypeError) as exc:
            st.error(f"{exc} Your current run is kept as it was.")

show_code(training_script(cfg, max_epochs=max(main.epoch, 1)))
if not math.isfinite(main.best_val_loss):
    st.caption("The code trains as many epochs as the run on screen has (at least one).")
