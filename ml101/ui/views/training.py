"""The Training pipeline page: widgets, the player, and rendering; no algorithm.

Main picture (`tr_picture`): the live run, its decision boundary beside its loss and
accuracy curves (several runs: one boundary each over shared curves), redrawn by the
player's tick while it trains. The transport sits above it, the settings beside it.

The learner's runs live in `st.session_state` (`state.rebuilt` under `tr_runs`, keyed by
the settings and the side-by-side mode), so nobody else sees them; the caches here hold
only what every learner may share (text and demos that depend on settings alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from ml101 import style
from ml101.datasets import DATASETS
from ml101.losses import LOSSES, saturation_demo
from ml101.models import (
    ACTIVATIONS,
    ModelSpec,
    as_sequential,
    build_model,
    parameter_table,
    parse_hidden,
)
from ml101.optimizers import OPTIMIZERS
from ml101.own_data import SOURCES, OwnData, points_of, spread_hint
from ml101.runtime import BudgetError, seeded
from ml101.training import checkpoints as ckpt
from ml101.training import describe, presets
from ml101.training.charts import (
    boundary_spec,
    boundary_spec_cached,
    confusion_spec,
    curves_spec,
    drawn_every,
    per_class_accuracy,
    rare_class,
)
from ml101.training.code import code_for
from ml101.training.config import (
    BUGS,
    COMPARE,
    TRAINING_OPTIMIZERS,
    RunConfig,
    compare_configs,
    optimizer_kwargs,
    with_own,
)
from ml101.training.lean_step import DIRECT_KERNEL
from ml101.training.trainer import (
    LIVE_CHUNK_S,
    SPEED_OPTIONS,
    TICK_S,
    Trainer,
    Units,
    train_together,
)
from ml101.ui import controls, sources, state
from ml101.ui.layout import chart, explain, picture_px, show_code, stage
from ml101.ui.player import Player, Tick, Transport
from ml101.ui.presenter import is_presenting

LR_OPTIONS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0, 10.0, 30.0,
              100.0]
WD_OPTIONS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1]
BATCH_OPTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
# What each control accepts: a scene or an uploaded checkpoint must fit these to be shown.
CHOICES: dict[str, list[Any]] = {"tr_lr": LR_OPTIONS, "tr_wd": WD_OPTIONS,
                                 "tr_bs": BATCH_OPTIONS, "tr_speed": SPEED_OPTIONS}
RANGES: dict[str, tuple[Any, Any]] = {  # (min, max) of the sliders and number inputs
    "tr_n": (4, 5000), "tr_noise": (0.0, 1.0), "tr_k": (2, 8), "tr_val": (0.0, 0.8),
    "tr_drop": (0.0, 0.9), "tr_ep": (1, 5000), "tr_pat": (0, 500)}
SLOT = "tr_runs"  # state.rebuilt's slot for the runs on screen
RESUMED = "tr_resumed"  # a run rebuilt from an uploaded checkpoint, waiting to be shown
BAD_RUN = (ValueError, BudgetError)


def preset_values(p: presets.Preset) -> dict[str, Any]:
    """The control values that show scene `p` (every control, so a scene is a whole view;
    a learner's table brings its own size and classes, and the switch to standardise)."""
    c = p.cfg
    data = ({"tr_std": c.standardize} if c.own is not None else
            {"tr_n": c.n_samples, "tr_noise": c.noise, "tr_k": c.n_classes})
    return {"tr_data": c.dataset, **data, "tr_val": c.val_fraction, "tr_bs": c.batch_size,
            "tr_hidden": ", ".join(str(h) for h in c.hidden), "tr_act": c.activation,
            "tr_drop": c.dropout, "tr_bn": c.batch_norm, "tr_loss": c.loss,
            "tr_opt": c.optimizer, "tr_lr": c.lr, "tr_wd": c.weight_decay, "tr_ep": c.epochs,
            "tr_pat": c.patience, "tr_seed": c.seed, "tr_bug": c.bug,
            "tr_restore": c.restore_best, "tr_cmp": p.compare, "tr_speed": p.speed}


def unfit(values: dict[str, Any]) -> str | None:
    """Which value the page's controls cannot show, if any (they would refuse it)."""
    for key, options in CHOICES.items():
        if values[key] not in options:
            return f"{key} = {values[key]!r} is not one of the page's choices"
    for key, (lo, hi) in RANGES.items():
        if key in values and not lo <= values[key] <= hi:
            return f"{key} = {values[key]!r} is outside {lo:g} to {hi:g}"
    return None


DEFAULT = preset_values(presets.PRESETS["overfit"])
DATA_NAMES = [*DATASETS, *SOURCES]


@dataclass
class OnScreen:
    """The runs the page shows and the player that moves them."""

    cfg: RunConfig
    mode: str
    runs: list[tuple[str, Trainer]]
    player: Player

    @property
    def main(self) -> Trainer:
        return self.runs[0][1]

    @property
    def trainers(self) -> list[Trainer]:
        return [t for _, t in self.runs]


# --- read-only things every learner may share --------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def _sequential_text(spec: ModelSpec, seed: int) -> str:
    with seeded(seed):
        return str(as_sequential(spec))


@st.cache_data(max_entries=64, show_spinner=False)
def _whole_model_demo(spec: ModelSpec) -> dict[str, str]:
    return ckpt.whole_model_demo(build_model(spec))


@st.cache_data(show_spinner=False)
def _saturation() -> dict[str, float]:
    return saturation_demo(20.0)


# --- the first screen ----------------------------------------------------------------------


# On a projector chart text grows with the page's type (presenter mode enlarges that).
_PROJECTED = {part: {k: round(v * 1.4) if k.lower().endswith("fontsize") else v
                     for k, v in settings.items()}
              for part, settings in style.chart_config().items()}
_PROJECTED["title"]["subtitleFontSize"] = round(style.FONT["label"] * 1.4)


def _chart(where: Any, spec: dict[str, Any], alt: str) -> None:
    """Draw a spec at its own size, with its text alternative, type grown on a projector."""
    if is_presenting():
        spec = {**spec, "config": _PROJECTED}
    chart(spec, alt, where=where, width="content")


def _boundary(where: Any, t: Trainer, spec: dict[str, Any], label: str = "",
              weights: str = "the current weights") -> None:
    _chart(where, spec, describe.boundary(t, spec, label, weights))




def _scenes() -> None:
    """The scenes in one popover (a wall of buttons would push the picture down), and the
    learner's own file in another."""
    with st.container(horizontal=True, gap="small"):
        _scene_buttons()
        sources.uploader("tr", "tr_data")
    sources.refusal("tr")


def _scene_buttons() -> None:
    with st.popover("Scenes", icon=":material/movie:"):
        st.caption("From the lesson and its practice problems")
        for name, p in presets.PRESETS.items():
            st.button(p.label, key=f"tr_pre_{name}", on_click=controls.apply_preset,
                      args=(preset_values(p),), help=p.note, width="stretch", wrap=True)
        st.caption("Break it on purpose: each mistake is caught and explained")
        for name, p in presets.BREAK_PRESETS.items():
            st.button(p.label, key=f"tr_bug_{name}", on_click=controls.apply_preset,
                      args=(preset_values(p),), width="stretch", wrap=True)


def _settings() -> tuple[Callable[[], RunConfig], str, str]:
    """Every control, the few that matter most in view and the rest folded; returns how to
    build the config (which may raise on bad input), the side-by-side mode and the
    dataset's name."""
    _scenes()
    note = st.empty()  # the chosen scene's story, once the settings are known
    ds_key = controls.selectbox("Dataset", DATA_NAMES, key="tr_data",
                                index=DATA_NAMES.index(DEFAULT["tr_data"]),
                                format_func=lambda k: DATASETS[k].label if k in DATASETS
                                else SOURCES[k])
    own: OwnData | None = None
    problem = ""
    if ds_key == sources.CSV:
        own = sources.csv_source("tr")
    elif ds_key == sources.DRAW:
        own, problem = sources.drawn_source("tr")
    spec = own.spec if own is not None else DATASETS.get(ds_key, DATASETS["moons"])
    if own is not None:
        _fit_loss(own)
        hint = spread_hint(own)
        if hint and not st.session_state.get("tr_std"):
            st.caption(f":material/straighten: {hint} Try **Standardise the features** "
                       "under Data.")
    if ds_key == "spiral":
        st.caption("The lesson's spiral block calls `np.pi` but never imports numpy: run as "
                   "written it stops with `NameError: name 'np' is not defined`. Here "
                   "`math.pi` stands in.")
    hidden_text = controls.text_input("Hidden layer sizes", DEFAULT["tr_hidden"],
                                      key="tr_hidden", max_chars=60,
                                      help="Whole numbers separated by commas, e.g. 64, 32")
    lr = controls.select_slider("Learning rate", LR_OPTIONS, DEFAULT["tr_lr"], key="tr_lr",
                                format_func=lambda v: f"{v:g}")
    seed = controls.seed_input("tr_seed")
    fixed_size = spec.min_size == spec.max_size
    with st.expander("Data", icon=":material/scatter_plot:"):
        standardize = False
        if ds_key in SOURCES:  # a learner's table has its own size and classes
            n, noise, k = spec.default_size, 0.0, spec.n_classes
            standardize = controls.toggle(
                "Standardise the features", False, key="tr_std",
                help="(x - mean) / std per feature, with the training rows' mean and std: "
                     "columns in very different units then count alike. The code shows it.")
        else:
            n = controls.number_input("Samples", *RANGES["tr_n"], step=20,
                                      value=DEFAULT["tr_n"], key="tr_n", disabled=fixed_size)
            noise = controls.slider("Noise", *RANGES["tr_noise"], DEFAULT["tr_noise"], 0.05,
                                    key="tr_noise", disabled=not spec.has_noise)
            k = (controls.slider("Classes", *RANGES["tr_k"], 3, key="tr_k")
                 if spec.variable_classes else spec.n_classes)
        val = controls.slider("Validation share", *RANGES["tr_val"], DEFAULT["tr_val"], 0.1,
                              key="tr_val",
                              help="0 validates on the training data, as the lesson's XOR does")
        bs = controls.select_slider("Batch size", BATCH_OPTIONS, DEFAULT["tr_bs"], key="tr_bs")
    with st.expander("Model", icon=":material/hub:"):
        act = controls.selectbox("Activation", list(ACTIVATIONS), key="tr_act",
                                 index=list(ACTIVATIONS).index(DEFAULT["tr_act"]))
        drop = controls.slider("Dropout", *RANGES["tr_drop"], DEFAULT["tr_drop"], 0.05,
                               key="tr_drop")
        bn = controls.toggle("Batch norm", DEFAULT["tr_bn"], key="tr_bn")
    with st.expander("Loss and optimizer", icon=":material/tune:"):
        loss = controls.selectbox("Loss", list(LOSSES), key="tr_loss",
                                  index=list(LOSSES).index(DEFAULT["tr_loss"]),
                                  format_func=lambda x: LOSSES[x].label)
        if loss == "cross_entropy":
            st.caption("`nn.CrossEntropyLoss` takes raw scores (logits; no softmax layer, it "
                       "applies log-softmax itself) and the true classes as int64 indices of "
                       "shape (N,).")
        opt = controls.selectbox("Optimizer", list(TRAINING_OPTIMIZERS), key="tr_opt",
                                 index=list(TRAINING_OPTIMIZERS).index(DEFAULT["tr_opt"]),
                                 format_func=lambda x: TRAINING_OPTIMIZERS[x])
        wd = controls.select_slider("Weight decay", WD_OPTIONS, DEFAULT["tr_wd"], key="tr_wd",
                                    format_func=lambda v: f"{v:g}")
    with st.expander("Training", icon=":material/model_training:"):
        epochs = controls.number_input("Epochs", *RANGES["tr_ep"], DEFAULT["tr_ep"],
                                       key="tr_ep")
        patience = controls.number_input("Patience (0 = off)", *RANGES["tr_pat"],
                                         DEFAULT["tr_pat"], key="tr_pat")
        restore = controls.toggle("Restore the best weights at the end",
                                  DEFAULT["tr_restore"], key="tr_restore",
                                  help="What the lesson's pipeline means to do: it saves the "
                                       "best epoch's weights but never loads them back")
        bug = controls.selectbox("Mistake on purpose", list(BUGS), key="tr_bug",
                                 index=list(BUGS).index(DEFAULT["tr_bug"]),
                                 format_func=lambda x: BUGS[x])
        mode = controls.selectbox("Side by side", list(COMPARE), key="tr_cmp",
                                  index=list(COMPARE).index(DEFAULT["tr_cmp"]),
                                  format_func=lambda x: COMPARE[x])

    def config() -> RunConfig:
        if ds_key in SOURCES and own is None:
            raise ValueError(problem)
        cfg = RunConfig(
            dataset=ds_key if own is None else "moons",
            n_samples=spec.max_size if fixed_size else int(n),
            noise=float(noise) if spec.has_noise else 0.0, n_classes=int(k),
            val_fraction=float(val), batch_size=int(bs), hidden=parse_hidden(hidden_text),
            activation=act, dropout=float(drop), batch_norm=bool(bn), loss=loss,
            optimizer=opt, lr=float(lr), weight_decay=float(wd), epochs=int(epochs),
            patience=int(patience), seed=int(seed), bug=bug, restore_best=bool(restore))
        if own is not None:
            cfg = replace(with_own(cfg, own), standardize=bool(standardize))
        scene = presets.scene_of(cfg, mode)
        if scene is not None:
            note.caption(f"**{scene.label}.** {scene.note}")
        return cfg

    return config, mode, ds_key


def _fit_loss(own: OwnData) -> None:
    """New data of more than two classes switches a two-class loss to cross-entropy (the
    loss control has not been drawn yet in this run, so it shows the switch)."""
    if st.session_state.get("tr_own_seen") == own.key:
        return
    st.session_state["tr_own_seen"] = own.key
    loss = st.session_state.get("tr_loss", DEFAULT["tr_loss"])
    if own.n_classes > 2 and LOSSES[loss].binary_only:
        st.session_state["tr_loss"] = "cross_entropy"
        st.toast(f"{own.n_classes} classes: the loss is now CrossEntropyLoss "
                 f"({LOSSES[loss].label} handles two).", icon=":material/swap_horiz:")


def _fresh_runs(cfg: RunConfig, mode: str) -> list[tuple[str, Trainer]]:
    """New runs for these settings, or the run a learner just resumed from a checkpoint."""
    resumed: Trainer | None = st.session_state.pop(RESUMED, None)
    if resumed is not None and mode == "off" and resumed.cfg == cfg:
        return [("", resumed)]
    return [(label, Trainer(c)) for label, c in compare_configs(cfg, mode)]


def _transport(runs: list[tuple[str, Trainer]]) -> Transport:
    trainers = [t for _, t in runs]

    def tick(done: bool | None) -> Tick:
        return Tick.BUSY if done is None else Tick.DONE if done else Tick.MOVED

    def reset() -> None:
        state.forget(SLOT)  # fresh weights, same settings
        st.session_state.pop("tr_at", None)

    return Transport(
        advance=lambda _s, speed: tick(train_together(trainers, int(speed), LIVE_CHUNK_S)),
        step=lambda: tick(train_together(trainers, 1, wait_s=2.0)),
        reset=reset,
        at_end=lambda: all(t.done for t in trainers))


def stage_section() -> OnScreen:
    """The first screen: transport and live picture, what happened, the settings beside."""
    picture, side = stage(controls=1.0, picture=2.0)
    with side:
        config, mode, ds_key = _settings()
    replaced: list[bool] = []  # whether new settings replaced a run on screen
    try:
        cfg = config()

        def build() -> list[tuple[str, Trainer]]:
            replaced.append(SLOT in st.session_state)
            return _fresh_runs(cfg, mode)

        runs = state.rebuilt(SLOT, (cfg, mode), build)
    except BAD_RUN as exc:
        with picture:
            if ds_key == sources.DRAW:  # keep the plane: more points may be all it needs
                with st.container(key="tr_picture"):
                    sources.drawing("tr", round(picture_px() * 0.8),
                                    f"This run cannot start yet: {exc}",
                                    1.4 if is_presenting() else 1.0)
            else:
                st.error(f"This run cannot start: {exc}")
        st.stop()
    player = Player("tr", _transport(runs), tick_s=TICK_S)
    if any(replaced):
        player.pause()  # new settings: the new run waits for Play (a deck's first may play)
    on = OnScreen(cfg, mode, runs, player)
    with picture:
        player.controls(SPEED_OPTIONS, default=DEFAULT["tr_speed"],
                        speed_label="Epochs per tick",
                        speed_help="Epochs trained per redraw (at most half a second of "
                                   "training each)")
        with st.container(key="tr_picture"):
            player.live(lambda: _picture(on))
        _outcome(on)
    return on


def _picture(on: OnScreen) -> None:
    """The live part: progress, numbers, boundary and curves. Reruns on every tick."""
    # the boundary and the curves share the picture's width; on a projector (sidebar
    # folded, the column some 1,300 px at 1920) they take more of it, and wrap if need be
    px = picture_px() * (1.3 if is_presenting() else 1.0)
    flat = on.cfg.n_features == 2
    if len(on.runs) == 1:
        t = on.main
        st.progress(min(1.0, t.epoch / t.cfg.epochs),
                    text=f"epoch {t.epoch} of {t.cfg.epochs} · iteration {t.iteration}"
                         + _ending(t))
        units = t.relu_units() if t.cfg.dataset == "xor" else None
        if units is not None:  # the XOR story, live: which hidden units can still bend
            st.caption(f":material/neurology: {_units_line(units, t.n_train)}")
        if flat:  # side by side where they fit, the boundary first where they do not
            with st.container(horizontal=True, gap="large"):
                _live_boundary(on, t, boundary_spec_cached(t, size=round(0.42 * px)))
                _chart(st, curves_spec(on.runs, width=round(0.36 * px),
                                       height=round(0.46 * px)), describe.curves(on.runs))
        else:
            _chart(st, curves_spec(on.runs, width=round(0.9 * px), height=round(0.4 * px)),
                   describe.curves(on.runs))
            st.caption(_no_boundary(on.cfg.n_features))
        last = t.history[-1] if t.history else None
        left = t.epochs_left_before_stop
        # a row that wraps (two by two on a phone) instead of columns that stack
        with st.container(horizontal=True, gap="medium"):
            st.metric("train loss", f"{last.train_loss:.4f}" if last else "–", width="content")
            st.metric("val loss", f"{last.val_loss:.4f}" if last else "–", width="content")
            st.metric("val accuracy", f"{last.val_acc:.1%}" if last else "–", width="content")
            st.metric("early stop in", "off" if left is None else
                      "stopped" if t.finished == "early_stop" else f"{left} epochs",
                      help=f"best epoch so far: {t.best_epoch}" if t.best_epoch else None,
                      width="content")
        return
    epoch = min(t.epoch for t in on.trainers)
    cfg = on.runs[0][1].cfg
    st.progress(min(1.0, epoch / cfg.epochs), text=f"epoch {epoch} of {cfg.epochs}")
    curves = curves_spec(on.runs, width=round((0.46 if flat else 0.82) * px),
                         height=round((0.7 if flat else 0.42) * px))
    if flat:  # the runs' boundaries stacked beside their shared curves
        c1, c2 = st.columns([0.42, 0.58])
        for i, (label, t) in enumerate(on.runs):
            with c1:
                spec = boundary_spec_cached(t, size=round(0.26 * px), title=label,
                                            legend=i == len(on.runs) - 1)
                _live_boundary(on, t, spec, label)
        _chart(c2, curves, describe.curves(on.runs))
    else:
        _chart(st, curves, describe.curves(on.runs))
        st.caption(_no_boundary(on.cfg.n_features))
    _compare_table(on.runs)


def _live_boundary(on: OnScreen, t: Trainer, spec: dict[str, Any], label: str = "") -> None:
    """A run's decision boundary; over a drawing, the plane that takes more points."""
    every = drawn_every(t)
    if every > 1:
        st.caption(f"Every {every}th point is drawn: {t.n_train + t.n_val:,} would hide the "
                   "map.")
    if on.cfg.dataset == sources.DRAW:
        if is_presenting():
            spec = {**spec, "config": _PROJECTED}
        alt = describe.boundary(t, spec, label, "the current weights")
        sources.plane("tr", spec, alt=alt + " Clicking adds a point (and starts a new run).")
    else:
        _boundary(st, t, spec, label)


def _no_boundary(n_features: int) -> str:
    """Where the decision boundary is when no flat picture can show it."""
    if n_features == 1:
        return ("One feature: the boundary is a few thresholds on a line, so the page shows "
                "the curves; the confusion matrix under Rewind shows which classes it mixes "
                "up.")
    return (f"{n_features} features: the decision boundary is a surface in {n_features}-D "
            "space, which no flat picture shows, so the page shows the curves. The "
            "confusion matrix under Rewind shows which classes it still mixes up.")


def _ending(t: Trainer) -> str:
    """How the run ended, in a few words, for the line above the picture."""
    if t.problem is not None:
        return f" · paused at step {t.problem.step}: see below"
    if t.finished is None:
        return ""
    how = "stopped early" if t.finished == "early_stop" else "done"
    best = (f"; the best epoch, {t.best_epoch}, is restored" if t.restored is not None
            else f"; best epoch {t.best_epoch}" if t.best_epoch else "")
    return f" · {how}{best}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _compare_table(runs: Sequence[tuple[str, Trainer]]) -> None:
    """The numbers of the side-by-side runs at their latest epoch, recall class by class."""
    k = runs[0][1].cfg.n_classes
    counts = runs[0][1].val_class_counts
    head = ["run", "train loss", "val loss", "val accuracy",
            *(f"recall {c} ({counts[c]})" for c in range(k))] if k <= 3 else \
        ["run", "train loss", "val loss", "val accuracy", "recall per class"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for label, t in runs:
        h = t.history[-1] if t.history else None
        recall = [_pct(r) for r in h.val_recall] if h else ["–"] * k
        cells = [label, f"{h.train_loss:.4f}" if h else "–", f"{h.val_loss:.4f}" if h else "–",
                 _pct(h.val_acc) if h else "–"]
        cells += recall if k <= 3 else [" · ".join(recall)]
        lines.append("| " + " | ".join(cells) + " |")
    st.markdown("\n".join(lines))


def _units_line(u: Units, n_points: int) -> str:
    return (f"Hidden ReLUs on the {n_points} training points: **{u.dead} dead** (off on "
            f"all), **{u.straight} straight** (on for all), **{u.bending} bending**.")


# --- what happened -------------------------------------------------------------------------


def _restore(trainers: list[Trainer]) -> None:
    for t in trainers:
        t.restore_best()


def _outcome(on: OnScreen) -> None:
    """How each run ended, restoring the best weights, and the stories of the scenes.
    Drawn on full reruns only, so hidden while playing (the tick redraws the picture)."""
    if on.player.playing:
        return
    for label, t in on.runs:
        who = f"{label}: " if label else ""
        if t.problem is not None:
            st.warning(f"{who}**Training paused at step {t.problem.step}, tensor: "
                       f"{t.problem.tensor}.** {t.problem.message}",
                       icon=":material/bug_report:")
        elif t.finished == "early_stop":
            st.success(f"{who}Early stopping at epoch {t.epoch}: validation loss has not "
                       f"beaten {t.best_val_loss:.4f} (epoch {t.best_epoch}) for "
                       f"{t.cfg.patience} epochs.", icon=":material/front_hand:")
        elif t.finished == "max_epochs":
            st.success(f"{who}Done: {t.epoch} epochs. Best validation loss "
                       f"{t.best_val_loss:.4f} at epoch {t.best_epoch}.")
        if t.restored is not None:
            r = t.restored
            st.info(f"{who}Restored the weights of epoch {r.epoch}: validation loss "
                    f"{r.val_loss_before:.4f} → {r.val_loss_after:.4f}, accuracy "
                    f"{r.val_acc_before:.1%} → {r.val_acc_after:.1%}. The lesson saves these "
                    "weights to best_model.pth but never loads them back, so it reports the "
                    "last epoch instead.", icon=":material/restore:")
    can_restore = any(t.best_state is not None and t.restored is None for t in on.trainers)
    if can_restore:
        st.button("Restore best", key="tr_best", on_click=_restore, args=(on.trainers,),
                  icon=":material/restore:",
                  help="Load the weights of the epoch with the lowest validation loss")
    if on.cfg.dataset == "xor" and len(on.runs) == 1 and on.main.done:
        _xor_verdict(on.main)
    if on.mode == "loss" and on.main.history and rare_class(on.main) is not None:
        _focal_verdict(on.runs)
    _bug_notes(on)


def _xor_verdict(t: Trainer) -> None:
    """Whether this seed solved XOR and, if not, why; claims about other seeds only for
    the lesson's own settings, where they were checked."""
    h, u = t.history[-1], t.relu_units()
    seed, lesson = t.cfg.seed, presets.PRESETS["xor"].cfg
    as_lesson = replace(t.cfg, seed=lesson.seed) == lesson
    if h.val_acc == 1.0:
        other = (f" Not every start does: seed {presets.UNLUCKY_XOR_SEED} ends at 50% (the "
                 "next scene)." if as_lesson else "")
        st.success(f"Seed {seed} solves XOR: accuracy 100% after {t.epoch} epochs, loss "
                   f"{h.train_loss:.4f}.{other}", icon=":material/check_circle:")
        return
    why = ""
    if u is not None and u.bending == 0 and len(t.cfg.hidden) == 1:
        why = (f" Of its {u.total} hidden ReLUs, {u.dead} are dead: negative on all four "
               "points, so they output 0 and pass back no gradient, and their weights stop "
               f"learning. The other {u.straight} are positive on all four points, where a "
               "ReLU is just a straight line. With no unit left that bends, the network is "
               "a linear model, and no straight line separates XOR: the best it can do is "
               "0.5 everywhere, a loss of ln 2 = 0.6931.")
    elif u is not None:
        why = f" {_units_line(u, t.n_train)}"
    luck = (f" An unlucky start, not a bug: seed {lesson.seed} solves it with the very same "
            "code." if as_lesson else "")
    st.warning(f"Seed {seed} does not solve XOR: accuracy {h.val_acc:.0%} after {t.epoch} "
               f"epochs, loss {h.train_loss:.4f}.{why}{luck}", icon=":material/casino:")


def _focal_verdict(runs: Sequence[tuple[str, Trainer]]) -> None:
    """Practice 4: the rare class's recall under both losses, at a few epochs."""
    t0 = runs[0][1]
    rare = rare_class(t0)
    epochs = sorted({e for e in (1, 3, 10, t0.epoch) if 1 <= e <= t0.epoch})
    head = ["epoch", *map(str, epochs)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(epochs)]
    for label, t in runs:
        lines.append("| " + " | ".join(
            [label, *(_pct(t.history[e - 1].val_recall[rare]) for e in epochs
                      if e <= len(t.history))]) + " |")
    counts = t0.val_class_counts
    common = max(range(len(counts)), key=counts.__getitem__)
    st.markdown(f"**Recall of the rare class {rare}** ({counts[rare]} of {t0.n_val} validation "
                f"points; always answering class {common} would score "
                f"{counts[common] / t0.n_val:.1%} accuracy):\n\n" + "\n".join(lines))
    st.caption(
        "Focal loss scales each point's cross-entropy by (1 − p)², where p is the probability "
        "the model gives its true class, so the points it already gets right, most of them "
        "from the common class, count for little. It gives no class a weight of its own, "
        "which is why the two runs can end up close. To trade common-class recall for "
        "rare-class recall, weight the classes: the focal loss paper's α, or "
        "`BCEWithLogitsLoss(pos_weight=...)`.")


def _bug_notes(on: OnScreen) -> None:
    main, cfg = on.main, on.cfg
    if cfg.bug == "no_zero_grad" and main.history:
        first, now = main.history[0].grad_norm, main.history[-1].grad_norm
        fresh = main.fresh_grad_norm()
        st.warning(
            f"**Forgot `optimizer.zero_grad()`.** `loss.backward()` adds into `.grad`, so "
            f"each step uses the sum of every gradient so far. The gradient norm used at "
            f"epoch 1 was {first:.3g}; at epoch {main.epoch} it is {now:.3g}, while one clean "
            f"gradient of the current weights is {fresh:.3g}. Steps grow and point where the "
            "model was, not where it is. Fix: call `optimizer.zero_grad()` before every "
            "`backward()`.", icon=":material/bug_report:")
    if cfg.bug == "no_eval" and main.history:
        h = main.history[-1]
        st.warning(
            f"**Forgot `model.eval()` during validation.** Dropout is still dropping units and "
            f"batch norm uses (and updates) batch statistics while validating. At epoch "
            f"{h.epoch} the validation loss measured in training mode is {h.val_loss:.4f}; the "
            f"honest eval-mode figure is {h.val_loss_eval:.4f}. Early stopping and 'best "
            "epoch' then chase noise. Fix: `model.eval()` before validating, `model.train()` "
            "before training.", icon=":material/bug_report:")


# --- below the first screen ----------------------------------------------------------------


def rewind_section(on: OnScreen) -> None:
    """Any epoch's weights again: curves marked, its boundary, its confusion matrix."""
    main = on.main
    if on.player.playing or main.epoch < 1 or len(on.runs) > 1:
        return
    st.subheader("Rewind")
    # Not URL-bound: the run lives in this session, so an epoch in a link would mean nothing.
    state.clamp("tr_at", 0, main.epoch)
    at = st.slider("Show the model at epoch", 0, main.epoch, main.epoch, key="tr_at")
    shown = main.snapshot_epoch(at)
    model_at = main.model_at(at)
    loss_at, acc_at = main.evaluate_at(at)
    note = "" if shown == at else (f" (nearest snapshot: epoch {shown}; snapshots are thinned "
                                   f"to every {main.snapshot_stride} epochs to save memory)")
    st.caption(f"Weights of epoch {shown}{note}: validation loss {loss_at:.4f}, accuracy "
               f"{acc_at:.1%}. The grey dashed line marks it, the green one the best epoch.")
    flat = on.cfg.n_features == 2
    cols = st.columns([1.1, 1, 1] if flat else [1.4, 1])
    _chart(cols[0], curves_spec(main, at_epoch=shown, width=220, height=240),
           describe.curves(main, at_epoch=shown))
    if flat:
        _boundary(cols[1], main, boundary_spec(main, model_at, size=230,
                                               title=f"Boundary at epoch {shown}"),
                  weights=f"epoch {shown}'s weights")
    matrix = main.confusion(model_at)
    with cols[-1]:
        _chart(st, confusion_spec(matrix, size=180), describe.confusion(matrix, shown))
        rows = [(i, sum(matrix[i]), _pct(a)) for i, a in enumerate(per_class_accuracy(matrix))]
        st.markdown(f"**Recall per class at epoch {shown}**\n\n| class | validation samples "
                    "| recall |\n|---|---:|---:|\n"
                    + "\n".join(f"| {i} | {n} | {a} |" for i, n, a in rows))


def history_section(on: OnScreen) -> None:
    """Every epoch's numbers, in full: what "Show the code" prints, line by line."""
    if on.player.playing or not on.main.history:
        return
    fmt = st.column_config.NumberColumn(format="%.6f")
    with st.expander("Every epoch, as the code prints it", icon=":material/table_rows:"):
        for col, (label, t) in zip(st.columns(len(on.runs)), on.runs, strict=True):
            h = t.history_columns()
            if label:
                col.markdown(f"**{label}**")
            col.dataframe({"epoch": h["epoch"], "train loss": h["train_loss"],
                           "val loss": h["val_loss"], "val accuracy": h["val_acc"]},
                          hide_index=True, height=240,
                          column_config={"train loss": fmt, "val loss": fmt,
                                         "val accuracy": st.column_config.NumberColumn(
                                             format="%.4f")})


def explain_section(on: OnScreen) -> None:
    key = on.cfg.optimizer
    kwargs = ", ".join(f"{k}={v!r}" for k, v in optimizer_kwargs(key).items())
    direct = ("; its step calls that fused kernel directly, skipping the bookkeeping "
              "around it" if OPTIMIZERS[key].cls in {c.__name__ for c in DIRECT_KERNEL}
              else "")
    explain(
        "- **Train vs validation loss.** Training loss keeps falling as the network "
        "memorises the training points, noise included. Validation loss, on points it never "
        "trains on, falls and then rises: that turn is overfitting.\n"
        "- **Early stopping** watches the validation loss and stops after *patience* epochs "
        "without a new best. The best weights are kept in memory; **Restore best** (or the "
        "switch under Training) loads them back and shows what that gains.\n"
        "- **Rewind** keeps a copy of the weights after every epoch, so you can see the "
        "boundary the model had at any point.\n"
        "- **Speed.** Batches come from one shuffled copy of the training tensor per epoch "
        "(`X[order]`), cut into views with `.split(batch_size)`, instead of a DataLoader "
        "calling `__getitem__` per sample and collating; the layers' `forward` is called "
        "directly, skipping the hook checks of `model(x)`. On CPU, torch.optim's default "
        "updates the parameters in a Python loop; here SGD, Adam and AdamW run with "
        "`fused=True` (one kernel for all of them) and RMSprop, which has no fused kernel, "
        f"with `foreach=True`. This run: {TRAINING_OPTIMIZERS[key]} with `{kwargs}`{direct}. "
        "Same numbers as the code below, about twice the lesson loop's speed on the lesson's "
        "pipeline (`benches/trainer_vs_lesson.py`).",
        "What is going on?")


def model_section(on: OnScreen) -> None:
    main = on.main
    label = on.runs[0][0]
    st.subheader("The model")
    tabs = ["print(model)", f"Parameters ({label})" if label else "Parameters",
            f"As nn.Sequential ({label})" if label else "As nn.Sequential"]
    t1, t2, t3 = st.tabs(tabs)
    for run_label, t in on.runs:  # side by side: both networks, as both scripts print them
        if len(on.runs) > 1:
            t1.markdown(f"**{run_label}**")
        t1.code(str(t.model), language="text")
    rows = parameter_table(main.model)
    with t2:
        st.markdown("| name | shape | count |\n|---|---|---:|\n" + "\n".join(
            f"| `{r['name']}` | {r['shape']} | {int(r['count']):,} |" for r in rows))
        st.caption(f"Total: {sum(int(r['count']) for r in rows):,} trainable numbers "
                   "(from `model.named_parameters()`).")
    t3.code(_sequential_text(main.spec, on.cfg.seed), language="text")
    t3.caption("Same layers in the same order, so under the same seed it starts with exactly "
               "the same weights as the class version.")
    with st.expander("Why BCEWithLogitsLoss rather than Sigmoid + BCELoss?",
                     icon=":material/lightbulb:"):
        d = _saturation()
        st.markdown(
            f"Take a confident wrong answer: raw score 20, true label 0. In float32, "
            f"`sigmoid(20)` rounds to **{d['sigmoid']:.7f}**, so `BCELoss` must take log(0); "
            f"PyTorch clamps it and reports **{d['bce_loss']:.1f}**, with a gradient of "
            f"**{d['bce_grad']:g}**: the model learns nothing from its worst mistake. "
            f"`BCEWithLogitsLoss` works from the raw score and gives the true loss "
            f"**{d['logits_loss']:.1f}** and gradient **{d['logits_grad']:g}**. Same maths on "
            "paper, safer numbers in practice.")


# --- save and load -------------------------------------------------------------------------


def _resume(resumed: Trainer) -> None:
    """Show an uploaded checkpoint's run: its settings on the controls, its data in the
    session (a learner's table travels inside the checkpoint), the run itself."""
    own = resumed.cfg.own
    if own is not None:
        sources.adopt("tr", own, points_of(own) if own.source == sources.DRAW else None)
    controls.apply_preset(preset_values(presets.Preset("", resumed.cfg)))
    st.session_state[RESUMED] = resumed
    state.forget(SLOT)


def _load_weights(on: OnScreen, sd: dict) -> None:
    on.player.pause()
    ckpt.load_weights(on.main.model, sd)
    st.toast("Weights loaded.")


def save_section(on: OnScreen) -> None:
    main = on.main
    st.subheader("Save and load")
    s1, s2 = st.columns(2)
    with s1:
        st.download_button("Download state_dict (.pt)",
                           lambda: ckpt.to_bytes(main.model.state_dict()),
                           file_name="model_state.pt", key="tr_dl_sd",
                           icon=":material/download:")
        st.download_button("Download full checkpoint (.pt)",
                           lambda: ckpt.to_bytes(main.checkpoint()),
                           file_name=f"checkpoint_epoch{main.epoch}.pt", key="tr_dl_ck",
                           icon=":material/download:",
                           help="Model, optimizer, epoch, history, settings and random state: "
                                "uploading it resumes this run exactly.")
        demo = _whole_model_demo(main.spec)
        st.markdown(
            f"**The lesson's `torch.save(model)`** pickles the class itself. Loading it on "
            f"PyTorch {demo['torch']} (2.6 and later default to `weights_only=True`) fails:")
        st.code(demo["whole_model_error"], language="text", wrap_lines=True)
        st.markdown("The right way: `torch.save(model.state_dict(), path)`, then build the "
                    "model and `model.load_state_dict(torch.load(path, weights_only=True))`. "
                    f"Round trip here: {demo['state_dict_roundtrip']}.")
    with s2:
        up = st.file_uploader("Upload a .pt checkpoint or state_dict", type=["pt", "pth"],
                              key="tr_up", max_upload_size=ckpt.MAX_UPLOAD_BYTES // 2**20)
        if up is not None:
            _upload(on, up.getvalue())


def _upload(on: OnScreen, data: bytes) -> None:
    try:
        obj = ckpt.load_bytes(data)
        if ckpt.is_full_checkpoint(obj):
            resumed = Trainer.from_checkpoint(obj)
            problem = unfit(preset_values(presets.Preset("", resumed.cfg)))
            if problem:
                raise ckpt.CheckpointError(f"This checkpoint's settings do not fit this "
                                           f"page's controls: {problem}.")
            st.success(f"Full checkpoint: epoch {obj['epoch']}, "
                       f"{len(obj['history']['epoch'])} epochs of history, "
                       f"dataset {obj['config']['dataset']}.")
            st.button("Resume this run here", key="tr_resume", on_click=_resume,
                      args=(resumed,))
        else:
            sd = ckpt.as_state_dict(obj)
            diff = ckpt.compare(on.main.model, sd)
            if not diff.ok:
                raise ckpt.CheckpointError("These weights are for another architecture: "
                                           + diff.describe() + ".")
            st.success(f"A state_dict of {len(sd)} tensors that fits the current model.")
            st.button("Load these weights into the current model", key="tr_load_sd",
                      on_click=_load_weights, args=(on, sd))
    except (ckpt.CheckpointError, *BAD_RUN, KeyError, TypeError) as exc:
        st.error(f"{exc} Your current run is kept as it was.")


def own_table_section(on: OnScreen) -> None:
    """A learner's table: its first rows, its columns and how its labels became classes."""
    if on.cfg.own is not None:
        sources.details(on.cfg.own, key="tr_dl_table")


def code_section(on: OnScreen) -> None:
    """One script per run on screen, each printing that run's numbers."""
    if on.cfg.own is not None:
        sources.download(on.cfg.own, key="tr_dl_data")
    for label, t in on.runs:
        title = f"Show the code: {label}" if label else "Show the code"
        show_code(code_for(t.cfg, max_epochs=max(t.epoch, 1)), title=title)
    st.caption("The code trains as many epochs as the run on screen has (at least one).")
