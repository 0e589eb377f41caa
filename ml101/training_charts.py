"""Altair pictures of a training run: curves, the decision boundary, the confusion matrix.

Pure functions of a `Trainer` (or its numbers), so benches can time them and tests
can read their data. The boundary is evaluated on a grid in one batched forward pass.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import torch
from torch import nn

from ml101.losses import class_probabilities
from ml101.trainer import Trainer

GRID = 48
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f"]


def history_frame(t: Trainer) -> pd.DataFrame:
    cols = t.history_columns()
    return pd.DataFrame({k: cols[k] for k in ("epoch", "train_loss", "val_loss", "val_acc")})


def curves_chart(t: Trainer, at_epoch: int | None = None, height: int = 230) -> alt.Chart:
    """Train and validation loss, validation accuracy; the best epoch as a green rule,
    the rewind position (if any) as a grey one."""
    df = history_frame(t)
    if df.empty:
        df = pd.DataFrame({"epoch": [0], "train_loss": [None], "val_loss": [None],
                           "val_acc": [None]})
    long = df.melt("epoch", ["train_loss", "val_loss"], var_name="curve", value_name="loss")
    long["curve"] = long["curve"].map({"train_loss": "train loss", "val_loss": "val loss"})
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=0))
    loss = alt.Chart(long).mark_line().encode(
        x, alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        alt.Color("curve:N", scale=alt.Scale(range=["#1f77b4", "#ff7f0e"]),
                  legend=alt.Legend(orient="top", title=None)),
        tooltip=["epoch", "curve", alt.Tooltip("loss:Q", format=".4f")],
    )
    acc = alt.Chart(df).mark_line(color="#2ca02c").encode(
        x, alt.Y("val_acc:Q", title="val accuracy", scale=alt.Scale(domain=[0, 1])),
        tooltip=["epoch", alt.Tooltip("val_acc:Q", format=".1%")],
    )
    marks = []
    if t.best_epoch:
        marks.append(pd.DataFrame({"epoch": [t.best_epoch], "what": ["best"]}))
    if at_epoch is not None:
        marks.append(pd.DataFrame({"epoch": [at_epoch], "what": ["shown"]}))
    layers_loss: list[alt.Chart] = [loss]
    layers_acc: list[alt.Chart] = [acc]
    if marks:
        rules = alt.Chart(pd.concat(marks)).mark_rule(strokeDash=[4, 3]).encode(
            x="epoch:Q",
            color=alt.Color("what:N", scale=alt.Scale(domain=["best", "shown"],
                                                      range=["#2ca02c", "#555"]), legend=None),
            tooltip=["what", "epoch"],
        )
        layers_loss.append(rules)
        layers_acc.append(rules)
    return alt.hconcat(
        alt.layer(*layers_loss).properties(height=height, width=320, title="Loss"),
        alt.layer(*layers_acc).properties(height=height, width=240,
                                          title="Validation accuracy"),
    )


def decision_grid(t: Trainer, model: nn.Module | None = None, res: int = GRID) -> pd.DataFrame:
    """Class probabilities on a res x res grid covering the data, for 2-D inputs."""
    m = model or t.model
    X = torch.cat([t.X_train, t.X_val])
    lo, hi = X.min(0).values, X.max(0).values
    pad = 0.1 * (hi - lo) + 1e-3
    xs = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), res)
    ys = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), res)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    was_training = m.training
    m.eval()
    with torch.no_grad():
        probs = class_probabilities(m(pts), t.spec.sigmoid_head)
    m.train(was_training)
    conf, cls = probs.max(dim=1)
    step_x, step_y = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    return pd.DataFrame({
        "x": pts[:, 0].numpy(), "y": pts[:, 1].numpy(),
        "x2": pts[:, 0].numpy() + step_x, "y2": pts[:, 1].numpy() + step_y,
        "cls": cls.numpy(), "p1": probs[:, 1].numpy(), "conf": conf.numpy(),
    })


def points_frame(t: Trainer) -> pd.DataFrame:
    tr = pd.DataFrame({"x": t.X_train[:, 0].numpy(), "y": t.X_train[:, 1].numpy(),
                       "cls": t.y_train.reshape(-1).long().numpy(), "set": "train"})
    if t.cfg.val_fraction == 0:
        return tr
    va = pd.DataFrame({"x": t.X_val[:, 0].numpy(), "y": t.X_val[:, 1].numpy(),
                       "cls": t.labels_val.numpy(), "set": "validation"})
    return pd.concat([tr, va], ignore_index=True)


def boundary_chart(t: Trainer, model: nn.Module | None = None, size: int = 320) -> alt.Chart:
    """The model's predicted class as a shaded map, with the data on top
    (filled: training points, hollow: validation points)."""
    k = t.cfg.n_classes
    grid = decision_grid(t, model)
    colors = PALETTE[:k]
    domain = list(range(k))
    if k == 2:
        heat = alt.Chart(grid).mark_rect(opacity=0.55).encode(
            x=alt.X("x:Q", title="x₁"), x2="x2", y=alt.Y("y:Q", title="x₂"), y2="y2",
            color=alt.Color("p1:Q", scale=alt.Scale(domain=[0, 1], range=[colors[0], "#ffffff",
                                                                           colors[1]]),
                            title="P(class 1)"),
        )
    else:
        heat = alt.Chart(grid).mark_rect().encode(
            x=alt.X("x:Q", title="x₁"), x2="x2", y=alt.Y("y:Q", title="x₂"), y2="y2",
            color=alt.Color("cls:N", scale=alt.Scale(domain=domain, range=colors),
                            title="predicted"),
            opacity=alt.Opacity("conf:Q", scale=alt.Scale(domain=[1 / k, 1], range=[0.1, 0.7]),
                                legend=None),
        )
    pts = alt.Chart(points_frame(t)).mark_point(size=28, strokeWidth=1.2).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("cls:N", scale=alt.Scale(domain=domain, range=colors), title="class"),
        fill=alt.condition(alt.datum.set == "train", alt.Color("cls:N", legend=None),
                           alt.value("white")),
        shape=alt.Shape("set:N", legend=alt.Legend(title=None)),
        tooltip=["set", "cls", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".2f")],
    )
    return alt.layer(heat, pts).properties(width=size, height=size,
                                            title="Decision boundary")


def confusion_chart(matrix: list[list[int]]) -> alt.Chart:
    rows = [{"true": i, "predicted": j, "count": c}
            for i, row in enumerate(matrix) for j, c in enumerate(row)]
    df = pd.DataFrame(rows)
    base = alt.Chart(df).encode(x=alt.X("predicted:O", title="predicted class"),
                                y=alt.Y("true:O", title="true class"))
    heat = base.mark_rect().encode(color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"),
                                                   legend=None))
    text = base.mark_text(fontSize=15).encode(
        text="count:Q",
        color=alt.condition(alt.datum.count > df["count"].max() / 2, alt.value("white"),
                            alt.value("black")))
    return alt.layer(heat, text).properties(width=220, height=220,
                                            title="Confusion matrix (validation)")


def per_class_accuracy(matrix: list[list[int]]) -> list[float | None]:
    """Recall per true class: the diagonal over the row total (None for an empty class)."""
    return [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]
