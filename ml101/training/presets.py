"""The scenes a presenter opens with one click: the lesson's runs, its practice problems,
and mistakes made on purpose. Each lists only what it changes from `RunConfig()`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ml101.training.config import RunConfig


@dataclass(frozen=True)
class Preset:
    label: str
    cfg: RunConfig
    compare: str = "off"
    speed: int = 5  # epochs per tick; one of trainer.SPEED_OPTIONS
    note: str = ""


# The lesson's XOR: 2-4-1 with ReLU, Sigmoid + BCELoss, SGD lr 0.5, 2000 full-batch
# epochs, validated on the same four points (it has no others).
_XOR = RunConfig(dataset="xor", n_samples=4, noise=0.0, val_fraction=0.0, batch_size=4,
                 hidden=(4,), loss="sigmoid_bce", optimizer="sgd", lr=0.5, epochs=2000,
                 patience=0)
# The lesson's complete pipeline: sum of 10 features, 80/20 split, 64-32 with dropout 0.2,
# Sigmoid + BCELoss, Adam 1e-3, 100 epochs, patience 10.
_PIPELINE = RunConfig(dataset="sum10", n_samples=1000, noise=0.0, val_fraction=0.2,
                      batch_size=32, hidden=(64, 32), dropout=0.2, loss="sigmoid_bce",
                      optimizer="adam", lr=1e-3, epochs=100, patience=10)
UNLUCKY_XOR_SEED = 2  # 50% after 2000 epochs; seed 0 solves XOR

PRESETS: dict[str, Preset] = {
    "overfit": Preset(
        "Overfit, then stop early", RunConfig(restore_best=True), speed=2,
        note="80 noisy training points and a 128-128 network: it memorises the noise, "
             "validation loss turns up, early stopping steps in and loads the best epoch's "
             "weights back."),
    "xor": Preset(
        "Lesson: XOR", _XOR, speed=100,
        note="The lesson's 2-4-1 ReLU network, SGD lr 0.5, 2000 full-batch epochs, checked "
             "on the same four points it trains on. Not every seed solves it: see the next "
             "scene."),
    "xor_unlucky": Preset(
        f"Lesson: XOR, unlucky seed {UNLUCKY_XOR_SEED}",
        replace(_XOR, seed=UNLUCKY_XOR_SEED), speed=100,
        note="The same network and settings from another start. Watch the hidden ReLUs under "
             "the picture: the ones that could bend die or go straight, and the loss stays "
             "at ln 2."),
    "spiral": Preset(
        "Lesson: spiral", RunConfig(
            dataset="spiral", n_samples=400, noise=0.0, val_fraction=0.0, batch_size=32,
            hidden=(64, 32), loss="sigmoid_bce", optimizer="adam", lr=0.01, epochs=50,
            patience=0), speed=5,
        note="The lesson's DataLoader run: 400 spiral points, 64-32, Adam 0.01, batches of "
             "32, 50 epochs (no validation split, as in the lesson)."),
    "pipeline": Preset(
        "Lesson: complete pipeline", replace(_PIPELINE, restore_best=True), speed=5,
        note="The lesson's pipeline: sum of 10 features, 80/20 split, 64-32 with dropout 0.2, "
             "Adam 1e-3, patience 10. The data is exactly linearly separable (label: the "
             "features sum to more than 0), so validation loss only wobbles downwards and "
             "patience runs out well before epoch 100. Then the best epoch's weights are "
             "loaded back, which the lesson's code saves to best_model.pth but never loads."),
    "p1": Preset(
        "Practice 1: Tanh vs LeakyReLU", replace(_XOR, epochs=1000), compare="act", speed=50,
        note="The XOR network twice, same seed, only the activation differs."),
    "p2": Preset(
        "Practice 2: 3-class spiral", RunConfig(
            dataset="spiral_k", n_samples=600, noise=0.03, n_classes=3, val_fraction=0.3,
            batch_size=32, hidden=(64, 64), loss="cross_entropy", lr=0.01, epochs=200,
            patience=25), speed=5,
        note="Three arms, three outputs, nn.CrossEntropyLoss. It takes the raw scores "
             "(logits, shape (N, 3); no softmax layer, it applies log-softmax itself) and the "
             "true classes as int64 indices of shape (N,): float or int32 labels raise an "
             "error."),
    "p3": Preset(
        "Practice 3: with vs without regularisation", RunConfig(epochs=150), compare="reg",
        speed=2,
        note="The overfitting run twice: plain, and with dropout 0.3 + batch norm."),
    "p4": Preset(
        "Practice 4: focal loss on imbalanced data", RunConfig(
            dataset="imbalanced", n_samples=1000, noise=0.7, val_fraction=0.3, batch_size=32,
            hidden=(16,), loss="focal", lr=0.01, epochs=60, patience=0), compare="loss",
        speed=1,
        note="One point in ten is class 1. Plain cross-entropy and a focal loss (gamma 2, "
             "written as an nn.Module) train side by side from the same weights; the lower "
             "chart and the table follow the rare class's recall."),
}
BREAK_PRESETS: dict[str, Preset] = {
    "nan": Preset("Learning rate 10: the loss blows up",
                  RunConfig(optimizer="sgd", lr=10.0, patience=0), speed=1),
    "no_zero_grad": Preset("Forget zero_grad()",
                           RunConfig(optimizer="sgd", lr=0.05, bug="no_zero_grad", patience=0,
                                     epochs=60), speed=2),
    "no_eval": Preset("Forget model.eval()",
                      replace(_PIPELINE, dropout=0.5, bug="no_eval", epochs=40, patience=0),
                      speed=2),
    "logits_to_bce": Preset("Logits into BCELoss",
                            RunConfig(loss="bce_logits", bug="logits_to_bce"), speed=1),
}


def scene_of(cfg: RunConfig, compare: str) -> Preset | None:
    """The scene these settings are, if any: what a deep link to a scene opens."""
    return next((p for p in (*PRESETS.values(), *BREAK_PRESETS.values())
                 if p.cfg == cfg and p.compare == compare), None)
