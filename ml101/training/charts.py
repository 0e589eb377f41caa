"""Pictures of training runs as Vega-Lite specs: the curves, the decision boundary, the
confusion matrix.

Plain dicts, not Altair: building and validating an Altair chart costs ~100-150 ms, more
than the training a live tick shows, while these cost a few ms. Data sits inline as
lists of records inside a nested layer, so Streamlit sends it as JSON with no Arrow
round trip. Pure functions of `Trainer`s (or their numbers), so benches can time them and
tests can read their data. The boundary is one batched forward pass over a small grid,
recomputed only when the weights changed (`boundary_spec_cached`). Colours and type sizes
come from `ml101.style`: classes and runs are `SERIES`, the two-class map `REGIONS`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ml101 import style
from ml101.losses import class_probabilities
from ml101.own_data import PLANE, legend_labels, plane_scale
from ml101.training.trainer import Trainer

GRID = 40  # cells per side of the decision map: 1,600 points, one forward pass
MAX_DRAWN = 5000  # points drawn on the map: the catalogue's largest dataset, whole
RARE_SHARE = 0.25  # a class under this share of the validation set is "rare"
MARKS = {"best": style.SERIES[2], "shown": style.MUTED}
# Vega's point shapes, one per class (up to the page's 8), so classes differ by more than hue
CLASS_SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down",
                "triangle-left", "triangle-right")
CURVES = ("train loss", "val loss")
Spec = dict[str, Any]
Runs = Sequence[tuple[str, Trainer]]
# The plots keep their own size and the axes and legends are added around them
# (Streamlit's default autosize would squeeze a plot to make room for them).
PAD = {"type": "pad"}


def _num(v: float | None) -> float | None:
    """JSON has no NaN or inf: a number that stopped being one is drawn as a gap."""
    return v if v is not None and math.isfinite(v) else None


def rare_class(t: Trainer) -> int | None:
    """The class with the fewest validation samples, when it is under RARE_SHARE of them:
    then accuracy hides how that class fares, and its recall is the number to watch."""
    counts = t.val_class_counts
    rare = min(range(len(counts)), key=counts.__getitem__)
    return rare if 0 < counts[rare] < RARE_SHARE * sum(counts) else None


def history_records(t: Trainer, run: str = "") -> list[dict[str, Any]]:
    rare = rare_class(t)
    return [{"run": run, "epoch": h.epoch, "train loss": _num(h.train_loss),
             "val loss": _num(h.val_loss), "val_acc": _num(h.val_acc),
             "rare_recall": _num(h.val_recall[rare]) if rare is not None and h.val_recall
             else None}
            for h in t.history]


def _rules(t: Trainer, at_epoch: int | None) -> list[Spec]:
    marks = ([{"epoch": t.best_epoch, "what": "best"}] if t.best_epoch else []) + (
        [{"epoch": at_epoch, "what": "shown"}] if at_epoch is not None else [])
    if not marks:
        return []
    return [{
        "data": {"values": marks},
        "mark": {"type": "rule", "strokeDash": [4, 3]},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative"},
            "color": {"field": "what", "type": "nominal", "legend": None,
                      "scale": {"domain": list(MARKS), "range": list(MARKS.values())}},
            "tooltip": [{"field": "what", "type": "nominal"},
                        {"field": "epoch", "type": "quantitative"}]},
    }]


def lower_panel(runs: Runs) -> tuple[str, str]:
    """What the lower curve shows: (field, title). Validation accuracy, unless a class is
    rare, when always answering the common class would already score well."""
    rare = rare_class(runs[0][1])
    if rare is None:
        return "val_acc", "Validation accuracy"
    return "rare_recall", f"Recall of class {rare} (rare)"


def curves_spec(runs: Runs | Trainer, at_epoch: int | None = None, width: int = 240,
                height: int = 200) -> Spec:
    """Train and validation loss above, validation accuracy (or the rare class's recall)
    below, on one epoch axis. One run: the best epoch as a green rule and the rewound
    epoch (if any) as a grey one. Several runs: one colour per run, validation solid and
    training dashed."""
    if isinstance(runs, Trainer):
        runs = [("", runs)]
    several = len(runs) > 1
    hist = {"values": [r for label, t in runs for r in history_records(t, label)]}
    x = {"field": "epoch", "type": "quantitative", "title": "epoch",
         "scale": {"domainMin": 0}, "axis": {"tickMinStep": 1, "format": "d"}}
    labels = [label for label, _ in runs]
    run_colour = {"field": "run", "type": "nominal", "title": None,
                  "scale": {"domain": labels, "range": list(style.SERIES[:len(labels)])},
                  "legend": {"orient": "top"}}
    loss_enc: Spec = {
        "x": {**x, "title": None},
        "y": {"field": "loss", "type": "quantitative", "title": "loss",
              "scale": {"zero": False}},
        "tooltip": [*([{"field": "run", "type": "nominal"}] if several else []),
                    {"field": "epoch", "type": "quantitative"},
                    {"field": "curve", "type": "nominal"},
                    {"field": "loss", "type": "quantitative", "format": ".4f"}]}
    curve = {"field": "curve", "type": "nominal", "title": None,
             "scale": {"domain": list(CURVES)}, "legend": {"orient": "top"}}
    # training dashed, validation solid: the curves differ by more than their colour
    dashes = {**curve, "scale": {"domain": list(CURVES), "range": [[4, 3], [1, 0]]}}
    if several:  # the dashes are named in the title: one legend fits a narrow column
        loss_enc["color"] = run_colour
        loss_enc["strokeDash"] = {**dashes, "legend": None}
    else:  # one legend shows both colour and dash
        loss_enc["color"] = {**curve, "scale": {"domain": list(CURVES),
                                                "range": list(style.SERIES[:2])}}
        loss_enc["strokeDash"] = dashes
    field, title = lower_panel(runs)
    lower_enc: Spec = {
        "x": x,
        "y": {"field": field, "type": "quantitative", "title": None,
              "scale": {"domain": [0, 1]}, "axis": {"format": ".0%", "tickCount": 3}},
        "tooltip": [*([{"field": "run", "type": "nominal"}] if several else []),
                    {"field": "epoch", "type": "quantitative"},
                    {"field": field, "type": "quantitative", "format": ".1%",
                     "title": title}]}
    lower_mark: Spec = {"type": "line"}
    if several:
        lower_enc["color"] = {**run_colour, "legend": None}
    else:
        lower_mark["color"] = style.SERIES[2]
    loss = {"data": hist,
            "transform": [{"fold": list(CURVES), "as": ["curve", "loss"]}],
            "mark": {"type": "line"}, "encoding": loss_enc}
    lower = {"data": hist, "mark": lower_mark, "encoding": lower_enc}
    rules = [] if several else _rules(runs[0][1], at_epoch)
    own = {"scale": {"color": "independent", "strokeDash": "independent"}}
    return {"autosize": PAD, "config": style.chart_config(), "spacing": 6, "vconcat": [
        {"layer": [loss, *rules], "width": width, "height": round(height * 0.62),
         "title": "Loss: validation solid, training dashed" if several else "Loss",
         "resolve": own},
        {"layer": [lower, *rules], "width": width, "height": round(height * 0.38),
         "title": title, "resolve": own},
    ]}


class _Grid:
    """Where the map's cells lie: fixed for a run, since its data never changes. Cell i
    sits at column i % res, row i // res (x varies fastest)."""

    def __init__(self, t: Trainer, res: int) -> None:
        X = torch.cat([t.raw_train, t.raw_val])
        lo, hi = X.min(0).values, X.max(0).values
        pad = 0.1 * (hi - lo) + 1e-3
        if t.cfg.dataset == "draw":  # the drawing plane, whatever has been drawn on it
            lo, hi, pad = torch.full((2,), -PLANE), torch.full((2,), PLANE), torch.zeros(2)
        xs = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), res)
        ys = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), res)
        gx, gy = torch.meshgrid(xs, ys, indexing="xy")
        self.res = res
        self.pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        self.x0, self.y0 = float(xs[0]), float(ys[0])
        self.sx, self.sy = float(xs[1] - xs[0]), float(ys[1] - ys[0])

    def transforms(self) -> list[Spec]:
        """Vega-Lite steps that rebuild each cell's corners from its position in the list,
        so the data sent holds only the model's numbers."""
        r = self.res
        return [{"window": [{"op": "row_number", "as": "i"}]},
                {"calculate": f"{self.x0!r} + ((datum.i - 1) % {r}) * {self.sx!r}", "as": "x"},
                {"calculate": f"{self.y0!r} + floor((datum.i - 1) / {r}) * {self.sy!r}",
                 "as": "y"},
                {"calculate": f"datum.x + {self.sx!r}", "as": "x2"},
                {"calculate": f"datum.y + {self.sy!r}", "as": "y2"}]


def decision_grid(t: Trainer, model: nn.Module | None = None, res: int = GRID,
                  grid: _Grid | None = None) -> torch.Tensor:
    """Class probabilities [res*res, k] on a grid covering the data (2-D inputs), in one
    forward pass without autograd; row i is the cell at column i % res, row i // res."""
    g = grid or _Grid(t, res)
    m = model or t.model
    was_training = m.training
    m.eval()
    with torch.inference_mode():
        probs = class_probabilities(m(t.inputs(g.pts)), t.spec.sigmoid_head)
    m.train(was_training)
    return probs


def _grid_values(t: Trainer, probs: torch.Tensor) -> tuple[list[Any], list[Spec]]:
    """What the map sends per cell, rounded to 4 decimals (plenty for a colour), and the
    transforms that name it: two classes send bare P(class 1) numbers, which Vega-Lite
    wraps as {"data": value}; more classes send {"c": class, "q": its probability}."""
    p = probs.double().mul(1e4).round().div(1e4)
    broken = ~torch.isfinite(p).all(dim=1)  # weights that overflowed: blank cells, valid JSON
    if t.cfg.n_classes == 2:
        p1 = p[:, 1].tolist()
        if broken.any():  # records, as Vega-Lite wraps bare numbers, since null is no number
            p1 = [{"data": None if b else v} for v, b in zip(p1, broken.tolist(), strict=True)]
        return p1, [{"calculate": "datum.data", "as": "p1"}]
    conf, cls = p.max(dim=1)
    return ([{"c": None if b else c, "q": None if b else q} for c, q, b in
             zip(cls.tolist(), conf.tolist(), broken.tolist(), strict=True)],
            [{"calculate": "datum.c", "as": "cls"}, {"calculate": "datum.q", "as": "conf"}])


def points_records(t: Trainer) -> list[dict[str, Any]]:
    """The data on top of the map: training points, then validation points (if split);
    past MAX_DRAWN of them, every k-th (a 20,000-row upload would send megabytes a tick)."""
    X, labels = t.raw_train, t.y_train.reshape(-1).long()
    names = ["train"] * t.n_train
    if t.cfg.val_fraction:
        X, labels = torch.cat([X, t.raw_val]), torch.cat([labels, t.labels_val])
        names += ["validation"] * t.n_val
    k = drawn_every(t)
    return [{"x": round(x, 4), "y": round(y, 4), "cls": c, "set": name}
            for x, y, c, name in zip(X[::k, 0].tolist(), X[::k, 1].tolist(),
                                     labels[::k].tolist(), names[::k], strict=True)]


def drawn_every(t: Trainer) -> int:
    """Which points the map draws: every k-th, so that at most MAX_DRAWN go on it."""
    shown = t.n_train + (t.n_val if t.cfg.val_fraction else 0)
    return max(1, math.ceil(shown / MAX_DRAWN))


def boundary_spec(t: Trainer, model: nn.Module | None = None, size: int = 320,
                  grid: _Grid | None = None, points: list[dict[str, Any]] | None = None,
                  title: str = "Decision boundary", legend: bool = True) -> Spec:
    """The model's predicted class as a shaded map, with the data on top (one shape and
    colour per class; filled: training points, hollow: validation points, as the subtitle
    says where there is room); the class legend below, so the map keeps its width in a
    narrow column."""
    k = t.cfg.n_classes
    colors, domain = list(style.SERIES[:k]), list(range(k))
    names = t.cfg.own.feature_names if t.cfg.own is not None else ("x₁", "x₂")
    x = {"field": "x", "type": "quantitative", "title": names[0]}
    y = {"field": "y", "type": "quantitative", "title": names[1]}
    drawn = t.cfg.dataset == "draw"
    if drawn:  # the drawing plane's fixed axes, so a click lands where the pointer is
        x["scale"] = y["scale"] = plane_scale()
    cells = {"x": x, "x2": {"field": "x2"}, "y": y, "y2": {"field": "y2"}}
    if k == 2:
        heat = {"mark": {"type": "rect"},
                "encoding": {**cells, "color": {
                    "field": "p1", "type": "quantitative", "legend": None,
                    "scale": {"domain": [0, 0.5, 1], "range": list(style.REGIONS),
                              "interpolate": "rgb"}}}}
    else:
        heat = {"mark": {"type": "rect"},
                "encoding": {**cells,
                             "color": {"field": "cls", "type": "nominal", "legend": None,
                                       "scale": {"domain": domain, "range": colors}},
                             "opacity": {"field": "conf", "type": "quantitative",
                                         "legend": None,
                                         "scale": {"domain": [1 / k, 1], "range": [0.1, 0.5]}}}}
    if drawn:
        heat["mark"]["clip"] = True
    g = grid or _kept(t)["grid"]
    values, named = _grid_values(t, decision_grid(t, model, grid=g))
    heat["data"] = {"values": values}
    heat["transform"] = g.transforms() + named
    cls_scale = {"domain": domain, "range": colors}
    below = {"orient": "bottom", "direction": "horizontal"}
    if t.cfg.own is not None and t.cfg.dataset != "draw":  # the file's own class names
        below["labelExpr"] = legend_labels(t.cfg.own.classes)
    pts = {
        "data": {"values": points if points is not None else _kept(t)["points"]},
        # a few points (XOR's four) are drawn large enough to see
        "mark": {"type": "point", "size": 28 if t.n_train > 50 else 110, "strokeWidth": 1.2,
                 "filled": False},
        "encoding": {
            "x": {k: v for k, v in x.items() if k != "title"},
            "y": {k: v for k, v in y.items() if k != "title"},
            "color": {"field": "cls", "type": "nominal", "title": "class",
                      "scale": cls_scale, "legend": below if legend else None},
            "fill": {"condition": {"test": "datum.set === 'train'", "field": "cls",
                                   "type": "nominal", "scale": cls_scale, "legend": None},
                     "value": "white"},
            # each class its own shape as well as its colour (the legend shows both)
            "shape": {"field": "cls", "type": "nominal", "title": "class",
                      "scale": {"domain": domain, "range": list(CLASS_SHAPES[:k])},
                      "legend": below if legend else None},
            "tooltip": [{"field": "set", "type": "nominal"},
                        {"field": "cls", "type": "nominal", "title": "class"},
                        {"field": "x", "type": "quantitative", "format": ".2f"},
                        {"field": "y", "type": "quantitative", "format": ".2f"}]},
    }
    # what the two marks mean, in place of a legend; too long for a small map
    subtitle = ("" if not legend or size < 200 else
                "filled: training · hollow: validation" if t.cfg.val_fraction else
                "the training points, also used to validate")
    return {"autosize": PAD, "config": style.chart_config(), "layer": [heat, pts],
            "width": size, "height": size, "title": {"text": title, "subtitle": subtitle},
            "resolve": {"scale": {"color": "independent"}}}


def _same_weights(model: nn.Module, seen: list[torch.Tensor] | None) -> bool:
    """Whether the weights (and batch-norm statistics) equal a copy kept earlier. Compared
    by value, because fused optimizers update parameters without bumping their version
    counters; for the networks this page allows that is microseconds, against
    milliseconds for the map."""
    params = list(model.state_dict().values())
    return seen is not None and len(seen) == len(params) and all(
        torch.equal(a, b) for a, b in zip(seen, params, strict=True))


_cache: weakref.WeakKeyDictionary[Trainer, dict[str, Any]] = weakref.WeakKeyDictionary()


def _kept(t: Trainer) -> dict[str, Any]:
    """What a run's maps share, built once per run: the grid, the points, the last map."""
    c = _cache.get(t)
    if c is None:
        c = {"grid": _Grid(t, GRID), "points": points_records(t), "seen": None, "look": None}
        _cache[t] = c
    return c


def boundary_spec_cached(t: Trainer, size: int = 320, title: str = "Decision boundary",
                         legend: bool = True) -> Spec:
    """`boundary_spec` of the live model, recomputed only when its weights (or the look
    asked for) changed; the grid and the data points are built once per run."""
    c = _kept(t)
    look = (size, title, legend)
    if c["look"] != look or not _same_weights(t.model, c["seen"]):
        c["spec"] = boundary_spec(t, size=size, grid=c["grid"], points=c["points"],
                                  title=title, legend=legend)
        c["seen"] = [v.detach().clone() for v in t.model.state_dict().values()]
        c["look"] = look
    return c["spec"]


def confusion_spec(matrix: list[list[int]], size: int = 220) -> Spec:
    """Counts of (true, predicted) on validation, numbers written in the cells."""
    rows = [{"true": i, "predicted": j, "count": c}
            for i, row in enumerate(matrix) for j, c in enumerate(row)]
    half = max((r["count"] for r in rows), default=0) / 2
    enc = {"x": {"field": "predicted", "type": "ordinal", "title": "predicted class",
                 "axis": {"labelAngle": 0}},
           "y": {"field": "true", "type": "ordinal", "title": "true class"}}
    heat = {"mark": {"type": "rect"},
            "encoding": {**enc, "color": {"field": "count", "type": "quantitative",
                                          "scale": {"scheme": style.SEQUENTIAL},
                                          "legend": None}}}
    # viridis runs from dark to light: dark text on the light (high) cells
    text = {"mark": {"type": "text", "fontSize": 15},
            "encoding": {**enc, "text": {"field": "count", "type": "quantitative"},
                         "color": {"condition": {"test": f"datum.count > {half!r}",
                                                 "value": "black"}, "value": "white"}}}
    return {"autosize": PAD, "config": style.chart_config(),
            "layer": [{"data": {"values": rows}, "layer": [heat, text]}],
            "width": size, "height": size, "title": "Confusion matrix (validation)"}


def per_class_accuracy(matrix: list[list[int]]) -> list[float | None]:
    """Recall per true class: the diagonal over the row total (None for an empty class)."""
    return [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]
