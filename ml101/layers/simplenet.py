"""The lesson's SimpleNet from a spec such as "2-4-1", written twice: as an nn.Module
subclass and as nn.Sequential. Same layers, different names for the same weights;
copy one into the other and the outputs are identical, bit for bit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from ml101.inputs import InputError
from ml101.runtime import seeded

HIDDEN_ACTS: tuple[str, ...] = ("ReLU", "Tanh", "Sigmoid", "LeakyReLU")
OUTPUT_ACTS: tuple[str, ...] = ("Sigmoid", "none")
MAX_LAYERS = 6  # sizes in a spec, input and output included
MAX_WIDTH = 512


class SpecError(InputError):
    """A network spec that cannot be built."""

    allowed = (f"2 to {MAX_LAYERS} widths from input to output, each a whole number from 1 "
               f"to {MAX_WIDTH}, joined by dashes, such as 2-4-1")


def parse_spec(text: str) -> tuple[int, ...]:
    """'2-4-1' -> (2, 4, 1): layer widths from input to output, or SpecError saying why not."""
    if len(text) > 100:
        raise SpecError(f"the text is {len(text)} characters; the limit is 100")
    parts = [p.strip() for p in text.strip().replace(",", "-").replace(" ", "-").split("-")]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        raise SpecError("a network needs at least an input and an output width")
    if len(parts) > MAX_LAYERS:
        raise SpecError(f"{len(parts)} widths are too many")
    sizes = []
    for p in parts:
        if not (p.isascii() and p.isdigit()):
            raise SpecError(f"`{p[:20]}` is not a whole number")
        n = int(p)
        if not 1 <= n <= MAX_WIDTH:
            raise SpecError(f"a width of {n:,} is out of range")
        sizes.append(n)
    return tuple(sizes)


def act_attr(act: str) -> str:
    """The attribute the class keeps its hidden activation under: nn.ReLU -> self.relu."""
    return act.lower()


class SimpleNet(nn.Module):
    """The lesson's class, generalised: fc1..fcN, one hidden activation, optional sigmoid."""

    def __init__(self, sizes: tuple[int, ...], hidden: str = "ReLU", output: str = "Sigmoid"):
        super().__init__()
        self.n_linear = len(sizes) - 1
        self.hidden_name = act_attr(hidden)
        self.has_output_act = output != "none"
        for i in range(self.n_linear):
            setattr(self, f"fc{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))
            if i == 0 and self.n_linear > 1:
                setattr(self, self.hidden_name, getattr(nn, hidden)())
        if self.has_output_act:
            self.sigmoid = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = getattr(self, self.hidden_name, None)
        for i in range(1, self.n_linear + 1):
            x = getattr(self, f"fc{i}")(x)
            if i < self.n_linear:
                x = act(x)
        return self.sigmoid(x) if self.has_output_act else x


def sequential(sizes: tuple[int, ...], hidden: str = "ReLU", output: str = "Sigmoid"
               ) -> nn.Sequential:
    """The same network as one nn.Sequential: Linear, act, Linear, ..., Sigmoid."""
    mods: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            mods.append(getattr(nn, hidden)())
    if output != "none":
        mods.append(nn.Sigmoid())
    return nn.Sequential(*mods)


def name_map(n_linear: int) -> dict[str, str]:
    """Module-class parameter name -> Sequential parameter name ('fc2.weight' -> '2.weight')."""
    return {f"fc{i + 1}.{p}": f"{2 * i}.{p}" for i in range(n_linear) for p in ("weight", "bias")}


@dataclass
class Comparison:
    """Both forms of one network, fed the same batch before and after sharing weights."""

    sizes: tuple[int, ...]
    hidden: str
    output: str
    seed: int
    net: SimpleNet
    seq: nn.Sequential
    x: torch.Tensor
    out_net: torch.Tensor
    out_seq_before: torch.Tensor  # Sequential with its own random weights
    out_seq: torch.Tensor  # after copying the class's weights in
    n_params: int

    @property
    def diff_before(self) -> float:
        return float((self.out_net - self.out_seq_before).abs().max())

    @property
    def diff_after(self) -> float:
        return float((self.out_net - self.out_seq).abs().max())

    @property
    def equal_before(self) -> bool:
        return torch.equal(self.out_net, self.out_seq_before)

    @property
    def equal_after(self) -> bool:
        return torch.equal(self.out_net, self.out_seq)


def compare(sizes: tuple[int, ...], hidden: str, output: str, seed: int, n_samples: int = 5
            ) -> Comparison:
    """Build both, feed the same batch, copy weights across, feed it again.

    The order of random draws matches `code.code_for`: the class first, then the input,
    then the Sequential, all after `torch.manual_seed(seed)`."""
    with seeded(seed), torch.no_grad():
        net = SimpleNet(sizes, hidden, output)
        x = torch.randn(n_samples, sizes[0])
        seq = sequential(sizes, hidden, output)
        out_net = net(x)
        before = seq(x)
        mapping = name_map(net.n_linear)
        seq.load_state_dict({mapping[k]: v for k, v in net.state_dict().items()})
        after = seq(x)
    n = sum(p.numel() for p in net.parameters())
    return Comparison(sizes, hidden, output, seed, net, seq, x, out_net, before, after, n)


def count_terms(sizes: tuple[int, ...]) -> str:
    """'2·4 + 4 + 4·1 + 1': the count written out, one Linear at a time."""
    return " + ".join(f"{i}·{o} + {o}" for i, o in itertools.pairwise(sizes))
