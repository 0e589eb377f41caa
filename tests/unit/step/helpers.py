"""Runs the step tests share: a few settings that cover every loss, optimizer and shape."""

from __future__ import annotations

import functools

from ml101.step.record import StepRecord
from ml101.step.run import Run
from ml101.step.settings import StepSettings

SETTINGS = {
    "lesson": StepSettings(),
    "moons-adam": StepSettings(dataset="moons", n_samples=10, hidden=(3,), loss="bce_logits",
                               optimizer="adam", lr=0.05, batch_size=4),
    "blobs-ce-momentum": StepSettings(dataset="blobs", n_samples=12, hidden=(5,),
                                      activation="Tanh", loss="cross_entropy",
                                      optimizer="momentum", lr=0.1, batch_size=5),
    "circles-focal-adamw": StepSettings(dataset="circles", n_samples=9, hidden=(3, 2),
                                        activation="GELU", loss="focal", optimizer="adamw",
                                        lr=0.05, batch_size=3, shuffle=False, seed=7),
    "spiral-rmsprop-one": StepSettings(dataset="spiral", n_samples=8, hidden=(), loss="bce_logits",
                                       optimizer="rmsprop", lr=0.01, batch_size=1, seed=3),
    "xor-nesterov": StepSettings(hidden=(4,), activation="LeakyReLU", optimizer="nesterov",
                                 lr=0.1, batch_size=3),
    "xor-adagrad": StepSettings(hidden=(2,), activation="Sigmoid", optimizer="adagrad",
                                lr=0.3, batch_size=2, seed=11),
}


@functools.cache
def recorded(name: str, done: int = 2) -> StepRecord:
    """Step done + 1 of a named run (cached: records are never changed)."""
    return Run(SETTINGS[name]).go_to(done)
