"""The lesson's SimpleNet from a spec such as "2-4-1", written twice: as an nn.Module
subclass and as nn.Sequential. Same layers, different names for the same weights;
copy one into the other and the outputs are identical, bit for bit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from ml101.runtime import seeded

HIDDEN_ACTS: tuple[str, ...] = ("ReLU", "Tanh", "Sigmoid", "LeakyReLU")
OUTPUT_ACTS: tuple[str, ...] = ("Sigmoid", "none")
MAX_LAYERS = 6  # sizes in a spec, input and output included
MAX_WIDTH = 512


class SpecError(ValueError):
    """A network spec that cannot be built; the message says what is allowed."""


def parse_spec(text: str) -> tuple[int, ...]:
    """'2-4-1' -> (2, 4, 1): layer widths from input to output, or SpecError saying why not."""
    if len(text) > 100:
        raise SpecError("That spec is too long: write widths like 2-4-1.")
    parts = [p.strip() for p in text.strip().replace(",", "-").replace(" ", "-").split("-")]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        raise SpecError("Give at least an input and an output width, like 2-4-1.")
    if len(parts) > MAX_LAYERS:
        raise SpecError(f"At most {MAX_LAYERS} widths (input, hidden..., output); "
                        f"you gave {len(parts)}.")
    sizes = []
    for p in parts:
        if not (p.isascii() and p.isdigit()):
            raise SpecError(f"'{p[:20]}' is not a whole number: write widths like 2-4-1.")
        n = int(p)
        if not 1 <= n <= MAX_WIDTH:
            raise SpecError(f"Each width must be between 1 and {MAX_WIDTH}; got {n:,}.")
        sizes.append(n)
    return tuple(sizes)


def _act_attr(act: str) -> str:
    return act.lower()


class SimpleNet(nn.Module):
    """The lesson's class, generalised: fc1..fcN, one hidden activation, optional sigmoid."""

    def __init__(self, sizes: tuple[int, ...], hidden: str = "ReLU", output: str = "Sigmoid"):
        super().__init__()
        self.n_linear = len(sizes) - 1
        self.hidden_name = _act_attr(hidden)
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


def compare(sizes: tuple[int, ...], hidden: str, output: str, seed: int, n_samples: int = 5
            ) -> Comparison:
    """Build both, feed the same batch, copy weights across, feed it again.

    The order of random draws matches `code_for`: the class first, then the input, then
    the Sequential, all after `torch.manual_seed(seed)`."""
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
    return Comparison(net, seq, x, out_net, before, after, n)


def count_terms(sizes: tuple[int, ...]) -> str:
    """'2·4 + 4 + 4·1 + 1': the count written out, one Linear at a time."""
    return " + ".join(f"{i}·{o} + {o}" for i, o in itertools.pairwise(sizes))


def code_for(sizes: tuple[int, ...], hidden: str, output: str, seed: int,
             n_samples: int = 5) -> str:
    """The class written out for this spec, the Sequential, the weight copy and the proof."""
    n = len(sizes) - 1
    act = _act_attr(hidden)
    init = [f"        self.fc1 = nn.Linear({sizes[0]}, {sizes[1]})"]
    if n > 1:
        init.append(f"        self.{act} = nn.{hidden}()")
    init += [f"        self.fc{i + 1} = nn.Linear({sizes[i]}, {sizes[i + 1]})" for i in range(1, n)]
    if output != "none":
        init.append("        self.sigmoid = nn.Sigmoid()")
    fwd = [f"        x = self.{act}(self.fc{i}(x))" for i in range(1, n)]
    last = f"self.fc{n}(x)"
    ret = f"self.sigmoid({last})" if output != "none" else last
    fwd.append(f"        return {ret}")
    seq = []
    for i in range(n):
        seq.append(f"    nn.Linear({sizes[i]}, {sizes[i + 1]}),")
        if i < n - 1:
            seq.append(f"    nn.{hidden}(),")
    if output != "none":
        seq.append("    nn.Sigmoid(),")
    mapping = ", ".join(f'"{k}": "{v}"' for k, v in name_map(n).items())
    return "\n".join([
        "import torch",
        "from torch import nn",
        "",
        "",
        "class SimpleNet(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        "    def forward(self, x):",
        *fwd,
        "",
        "",
        f"torch.manual_seed({seed})",
        "net = SimpleNet()",
        f"x = torch.randn({n_samples}, {sizes[0]})",
        "seq = nn.Sequential(",
        *seq,
        ")",
        "print(net)",
        "print(seq)",
        "for name, p in net.named_parameters():",
        "    print(name, tuple(p.shape))",
        'print("parameters:", sum(p.numel() for p in net.parameters()))',
        "",
        "with torch.no_grad():",
        "    out_net = net(x)",
        '    print("before copying:", (out_net - seq(x)).abs().max().item())',
        f"    names = {{{mapping}}}",
        "    seq.load_state_dict({names[k]: v for k, v in net.state_dict().items()})",
        "    out_seq = seq(x)",
        '    print("after copying:", (out_net - out_seq).abs().max().item())',
        '    print("identical:", torch.equal(out_net, out_seq))',
        "    print(out_net.squeeze(-1).tolist())",
    ]) + "\n"
