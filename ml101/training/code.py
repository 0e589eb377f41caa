"""The code a learner copies: plain PyTorch scripts that print the numbers on the page.

`code_for(what)` writes the script that reproduces `what`: a `RunConfig` gives the
training run, step for step and in the same random order as `Trainer`, so under the same
seed it prints the same losses and accuracies (a test runs it and compares; bugs chosen
on purpose are written into it, marked); a `saving.SaveDemo` gives the three ways to
save a model.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from ml101.datasets import DATASETS, generator_call, generator_source
from ml101.losses import FOCAL_SOURCE, LOSSES, n_outputs
from ml101.models import model_source
from ml101.optimizers import OPTIMIZERS
from ml101.own_data import STANDARDIZE_CODE, reading_code
from ml101.training.config import RunConfig, optimizer_kwargs, run_split
from ml101.training.saving import SaveDemo


@singledispatch
def code_for(what: Any, **options: Any) -> str:
    """The runnable script that reproduces `what` (a RunConfig or a saving.SaveDemo)."""
    raise TypeError(f"no script for a {type(what).__name__}")


def _optimizer(key: str, lr: float, weight_decay: float) -> str:
    extra = "".join(f", {k}={v!r}" for k, v in optimizer_kwargs(key).items())
    return (f"optim.{OPTIMIZERS[key].cls}(model.parameters(), lr={lr!r}, "
            f"weight_decay={weight_decay!r}{extra})")


@code_for.register
def _training_script(cfg: RunConfig, max_epochs: int | None = None) -> str:
    """A runnable script for `cfg`; `max_epochs` caps the epochs (the page passes how far
    the live run got, so the printed numbers are the ones on screen)."""
    spec = cfg.spec()
    epochs = min(cfg.epochs, max_epochs) if max_epochs is not None else cfg.epochs
    n = (DATASETS[cfg.dataset].default_size if cfg.dataset == "xor" else
         len(cfg.own) if cfg.own is not None else cfg.n_samples)
    n_train, n_val = run_split(n, cfg.val_fraction)
    binary = n_outputs(cfg.loss, cfg.n_classes) == 1
    threshold = "0.5" if spec.sigmoid_head else "0.0"
    predict = (f"(out.reshape(-1) > {threshold}).long()" if binary else "out.argmax(dim=1)")
    target = "y.reshape(-1, 1).float()" if binary else "y.reshape(-1).long()"
    criterion = LOSSES[cfg.loss].code
    if cfg.bug == "logits_to_bce":
        criterion = "nn.BCELoss()  # BUG (on purpose): BCELoss wants probabilities, gets logits"
    val_mode = ("model.train()  # BUG (on purpose): should be model.eval()"
                if cfg.bug == "no_eval" else "model.eval()")
    zero = ("# optimizer.zero_grad()  # BUG (on purpose): gradients now pile up"
            if cfg.bug == "no_zero_grad" else "optimizer.zero_grad(set_to_none=True)")
    val_idx = "perm[n_train:]" if n_val else "perm[:n_train]  # validate on the training data"
    imports = ["import math", "", "import torch", "import torch.nn as nn",
               "import torch.optim as optim"]
    if cfg.own is not None:
        imports.insert(2, "import pandas as pd")
        source, data = "", (f"# Data: the file, read as the page read it; then split and "
                            f"shuffled by a generator of its own\n{reading_code(cfg.own)}")
    else:
        source = f"{generator_source(cfg.dataset).rstrip()}\n\n\n"
        data = ("# Data: built by its own generator, then split and shuffled by a second "
                "one\ngenerator = torch.Generator().manual_seed(seed)\n"
                f"X, y = {generator_call(cfg.dataset, n, cfg.noise, cfg.n_classes)}")
    scale = f"\n{STANDARDIZE_CODE}" if cfg.standardize else ""
    if cfg.loss == "focal":
        imports.append("import torch.nn.functional as F")
    skip = ("        if len(xb) < 2:\n"
            "            continue  # BatchNorm cannot normalise a single row\n"
            if cfg.batch_norm else "")
    focal = f"\n\n{FOCAL_SOURCE}\n" if cfg.loss == "focal" else ""
    patience = cfg.patience
    stop = (f"""    else:
        wait += 1
        if wait >= {patience}:
            print(f"early stop: no better validation loss for {patience} epochs")
            break
""" if patience else "")
    return f'''{chr(10).join(imports)}

seed = {cfg.seed}
torch.manual_seed(seed)  # weights and dropout draw from here


{source}{model_source(spec)}
{focal}

{data}
labels = y.reshape(-1).long()
y = {target}
shuffle = torch.Generator().manual_seed(seed + 1)
perm = torch.randperm(len(X), generator=shuffle)
n_train = {n_train}
train_idx, val_idx = perm[:n_train], {val_idx}
X_train, y_train = X[train_idx], y[train_idx]
X_val, y_val, labels_val = X[val_idx], y[val_idx], labels[val_idx]{scale}

model = MLP()
criterion = {criterion}
optimizer = {_optimizer(cfg.optimizer, cfg.lr, cfg.weight_decay)}
print(model)


def evaluate(model):
    """Validation loss and accuracy, in eval mode, without building a graph."""
    model.eval()
    with torch.inference_mode():
        out = model(X_val)
        loss = criterion(out, y_val).item()
        acc = ({predict} == labels_val).float().mean().item()
    return loss, acc


history = []
best_loss, best_epoch, best_state, wait = math.inf, 0, None, 0
blew_up = False
batch_size = {cfg.batch_size}
step = 0
for epoch in range(1, {epochs} + 1):
    model.train()
    order = torch.randperm(n_train, generator=shuffle)  # a fresh shuffle every epoch
    # One gather per epoch, then batches are views into it: no per-sample __getitem__
    batches = zip(X_train[order].split(batch_size), y_train[order].split(batch_size))
    total = 0.0
    for xb, yb in batches:
{skip}        loss = criterion(model(xb), yb)
        if not math.isfinite(loss.item()):
            print(f"step {{step + 1}}: the loss is {{loss.item()}}; training stops here")
            blew_up = True
            break
        {zero}
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        step += 1
    if blew_up:
        break
    train_loss = total / n_train

    {val_mode}
    with torch.inference_mode():  # no graph, no version counters: the cheapest no_grad
        out = model(X_val)
        val_loss = criterion(out, y_val).item()
        val_acc = ({predict} == labels_val).float().mean().item()
    history.append((epoch, train_loss, val_loss, val_acc))
    print(f"epoch {{epoch:4d}}  train loss {{train_loss:.6f}}  "
          f"val loss {{val_loss:.6f}}  val acc {{val_acc:.4f}}")

    if val_loss < best_loss:
        best_loss, best_epoch, wait = val_loss, epoch, 0
        best_state = {{k: v.clone() for k, v in model.state_dict().items()}}
{stop}
if best_state is not None and not blew_up:
    # The lesson saves the best weights but never loads them back. Do it, and measure:
    before = evaluate(model)
    model.load_state_dict(best_state)
    after = evaluate(model)
    print(f"restored epoch {{best_epoch}}: val loss {{before[0]:.6f}} -> {{after[0]:.6f}}, "
          f"val acc {{before[1]:.4f}} -> {{after[1]:.4f}}")
    torch.save(model.state_dict(), "best_model.pt")  # weights only: loads on any PyTorch
'''


@code_for.register
def _saving_script(demo: SaveDemo) -> str:
    """The three ways to save as one script, printing what `saving.three_ways` reports."""
    seed, steps_before, steps_after = demo.seed, demo.steps_before, demo.steps_after
    return f'''import pickle
import tempfile
from pathlib import Path

import torch
from torch import nn


def make_model():
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1))


def train(model, opt, X, y, steps):
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


torch.manual_seed({seed})
model = make_model()
X, y = torch.randn(64, 10), torch.randn(64, 1)
fresh = make_model()
twin, twin2 = make_model(), make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
train(model, opt, X, y, {steps_before})

with tempfile.TemporaryDirectory() as tmp:
    # 1. state_dict: the recommended way
    torch.save(model.state_dict(), Path(tmp) / "model_state.pth")
    fresh.load_state_dict(torch.load(Path(tmp) / "model_state.pth", weights_only=True))
    print("state_dict round trip equal:",
          all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                fresh.state_dict().values())))

    # 2. the whole model: PyTorch >= 2.6 refuses to unpickle it by default
    torch.save(model, Path(tmp) / "model.pth")
    try:
        torch.load(Path(tmp) / "model.pth")
    except pickle.UnpicklingError as exc:
        print("whole-model load refused:", str(exc).splitlines()[0])

    # 3. a checkpoint with the optimizer state
    torch.save({{"epoch": {steps_before}, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": opt.state_dict(),
                "loss": nn.functional.mse_loss(model(X), y).item()}}, Path(tmp) / "checkpoint.pth")
    ckpt = torch.load(Path(tmp) / "checkpoint.pth", weights_only=True)

uninterrupted = train(model, opt, X, y, {steps_after})
twin.load_state_dict(ckpt["model_state_dict"])
opt2 = torch.optim.Adam(twin.parameters(), lr=0.01)
opt2.load_state_dict(ckpt["optimizer_state_dict"])
resumed = train(twin, opt2, X, y, {steps_after})
twin2.load_state_dict(ckpt["model_state_dict"])
fresh_opt = train(twin2, torch.optim.Adam(twin2.parameters(), lr=0.01), X, y, {steps_after})
print("uninterrupted:", uninterrupted)
print("resumed from checkpoint:", resumed)
print("weights only, fresh optimizer:", fresh_opt)
'''
