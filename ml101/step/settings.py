"""What defines a run on the one-step page: data, network, loss, optimizer, batch, seed.

Everything a learner can type or pick is checked here, before anything is allocated, and
refused with a `SettingsError` that says what was wrong and what is allowed. The caps keep
every tensor small enough to draw cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml101 import datasets, losses, models
from ml101.inputs import InputError
from ml101.optimizers import OPTIMIZERS

# The 2-D datasets: their points can be drawn, and a batch of them shown as a tensor.
DATASET_KEYS = ("xor", "xor_noisy", "moons", "circles", "spiral", "blobs", "spiral_k")
# The optimizers whose step the page spells out (L-BFGS needs a closure, NAdam's schedule
# would need a page of its own).
OPTIMIZER_KEYS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad")
MAX_HIDDEN_LAYERS = 3
MAX_WIDTH = 16
MAX_PARAMS = 300  # a few hundred numbers: each still gets its own cell in the picture
MAX_BATCH = 16
MIN_SAMPLES, MAX_SAMPLES = 8, 256
MAX_DONE = 2000  # steps replayed to reach a position: about a second on a busy core
HIDDEN_ALLOWED = (f"up to {MAX_HIDDEN_LAYERS} hidden sizes from 1 to {MAX_WIDTH}, separated "
                  f"by commas (e.g. 4 or 8, 8), at most {MAX_PARAMS} parameters in all")


class SettingsError(InputError):
    """Settings the page cannot run, with what to change."""


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden sizes typed as '4' or '8, 8', within this page's caps (an empty text is a
    network with no hidden layer: logistic regression)."""
    try:
        sizes = models.parse_hidden(text)
    except ValueError:
        raise SettingsError(f"`{text.strip()[:30]}` is not a list of sizes from 1 to {MAX_WIDTH}",
                            allowed=HIDDEN_ALLOWED) from None
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise SettingsError(f"{len(sizes)} hidden layers; this page draws at most "
                            f"{MAX_HIDDEN_LAYERS}", allowed=HIDDEN_ALLOWED)
    if any(s > MAX_WIDTH for s in sizes):
        raise SettingsError(f"a layer of {max(sizes)} units is too wide to draw cell by cell",
                            allowed=HIDDEN_ALLOWED)
    return sizes


@dataclass(frozen=True)
class StepSettings:
    """One run: the same settings give the same numbers, here and in the exported code."""

    dataset: str = "xor"
    n_samples: int = 32  # ignored for XOR, which has exactly its 4 rows
    hidden: tuple[int, ...] = (4,)
    activation: str = "ReLU"
    loss: str = "sigmoid_bce"  # the lesson's Sigmoid head + BCELoss
    optimizer: str = "sgd"
    lr: float = 0.5  # the lesson's XOR learning rate
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    batch_size: int = 4
    shuffle: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_KEYS:
            raise SettingsError(f"unknown dataset {self.dataset!r}",
                                allowed=", ".join(DATASET_KEYS))
        if self.optimizer not in OPTIMIZER_KEYS:
            raise SettingsError(f"unknown optimizer {self.optimizer!r}",
                                allowed=", ".join(OPTIMIZER_KEYS))
        if self.activation not in models.ACTIVATIONS:
            raise SettingsError(f"unknown activation {self.activation!r}",
                                allowed=", ".join(models.ACTIVATIONS))
        try:
            losses.check_loss(self.loss, self.n_classes)
        except ValueError as err:
            raise SettingsError(str(err), allowed="a loss that fits the data's classes") \
                from None
        if len(self.hidden) > MAX_HIDDEN_LAYERS or any(
                not 1 <= h <= MAX_WIDTH for h in self.hidden):
            raise SettingsError(f"hidden sizes {list(self.hidden)}", allowed=HIDDEN_ALLOWED)
        params = models.n_parameters(self.spec())
        if params > MAX_PARAMS:
            raise SettingsError(f"this network has {params} parameters; the page draws each "
                                f"one, so at most {MAX_PARAMS}", allowed=HIDDEN_ALLOWED)
        if not MIN_SAMPLES <= self.n_samples <= MAX_SAMPLES:
            raise SettingsError(f"{self.n_samples} samples",
                                allowed=f"{MIN_SAMPLES} to {MAX_SAMPLES} samples")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise SettingsError(f"a batch of {self.batch_size}",
                                allowed=f"1 to {MAX_BATCH} samples per batch")
        if self.batch_size > self.size:
            raise SettingsError(
                f"a batch of {self.batch_size} asks for more samples than "
                f"{datasets.DATASETS[self.dataset].label} has ({self.size})",
                allowed=f"a batch of 1 to {self.size}, or a larger dataset")
        if not (self.lr > 0 and 0 <= self.momentum < 1
                and all(0 <= b < 1 for b in self.betas)):
            raise SettingsError(f"lr {self.lr}, momentum {self.momentum}, betas {self.betas}",
                                allowed="lr > 0; momentum and betas in [0, 1)")
        if not 0 <= self.seed <= 2**31 - 1:
            raise SettingsError(f"seed {self.seed}", allowed="0 to 2**31 - 1")

    @property
    def size(self) -> int:
        """How many samples the dataset has: XOR's 4 rows, else n_samples."""
        return 4 if self.dataset == "xor" else self.n_samples

    @property
    def n_classes(self) -> int:
        return datasets.DATASETS[self.dataset].n_classes

    @property
    def noise(self) -> float:
        return datasets.DATASETS[self.dataset].default_noise

    @property
    def n_out(self) -> int:
        return losses.n_outputs(self.loss, self.n_classes)

    def spec(self) -> models.ModelSpec:
        """The network: 2 inputs, the hidden layers, one output per score the loss reads."""
        return models.ModelSpec(2, self.hidden, self.n_out, self.activation,
                                sigmoid_head=losses.LOSSES[self.loss].sigmoid_head)

    def hyper(self) -> dict[str, object]:
        """The optimizer's constructor arguments beyond lr (PyTorch's defaults otherwise)."""
        if self.optimizer == "momentum":
            return {"momentum": self.momentum}
        if self.optimizer == "nesterov":
            return {"momentum": self.momentum, "nesterov": True}
        if self.optimizer in ("adam", "adamw"):
            return {"betas": self.betas}
        return {}

    @property
    def optimizer_label(self) -> str:
        return OPTIMIZERS[self.optimizer].label
