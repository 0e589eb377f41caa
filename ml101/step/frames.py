"""One recorded step cut into frames the player walks through, and what each frame shows.

Five stages, in the order of the loop: `zero_grad()` (two frames: the gradients left
over, then after zeroing), the forward pass (a frame per layer), the loss, `backward()`
(a frame per node, in the engine's order) and `step()` (the update, then the new
weights). A `Scene` says, for one frame, which tensor each block of the picture holds:
every value comes from the `StepRecord`, nothing is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import torch

from ml101.inputs import fmt_shape
from ml101.step.record import StepRecord


class Stage(Enum):
    ZERO_GRAD = "zero_grad()"
    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward()"
    STEP = "step()"


STAGES = tuple(Stage)
GRAD = "∇"  # a block holding a gradient is named GRAD + the name of what it is for


class Band(Enum):
    """The picture's rows: parameters (their gradients beside them) above the
    activations, the activations' gradients below."""

    PARAM = "param"
    ACT = "act"
    ACT_GRAD = "act_grad"
    PARAM_GRAD = "param_grad"


@dataclass(frozen=True)
class Block:
    """One tensor's place in the picture: its name, band, and drawn size (rows, cols)."""

    name: str
    band: Band
    rows: int
    cols: int
    column: str  # the activation column it stands over or under (its own, for activations)


@dataclass(frozen=True)
class Frame:
    stage: Stage
    part: str  # left, zeroed, layer, loss, node, update, new
    index: int = 0  # the layer pass or node run it shows


@dataclass(frozen=True)
class Shown:
    """What one block holds in one frame; `values` None means empty, `note` says why."""

    title: str
    values: torch.Tensor | None
    note: str = ""
    about: str = ""  # the PyTorch expression behind it, for tooltips


@dataclass(frozen=True)
class Scene:
    frame: Frame
    title: str
    shown: dict[str, Shown]
    lit: frozenset[str]


def frames(record: StepRecord) -> list[Frame]:
    """Every frame of the step, in order."""
    return ([Frame(Stage.ZERO_GRAD, "left"), Frame(Stage.ZERO_GRAD, "zeroed")]
            + [Frame(Stage.FORWARD, "layer", i) for i in range(len(record.layers))]
            + [Frame(Stage.LOSS, "loss")]
            + [Frame(Stage.BACKWARD, "node", i) for i in range(len(record.nodes))]
            + [Frame(Stage.STEP, "update"), Frame(Stage.STEP, "new")])


def first_frame(record: StepRecord, stage: Stage) -> int:
    return next(i for i, f in enumerate(frames(record)) if f.stage is stage)


def _linears(record: StepRecord) -> list[int]:
    """The numbers (1, 2, ...) of the Linear layers."""
    return [int(p.name[1:]) for p in record.layers if p.kind == "Linear"]


def blocks(record: StepRecord) -> list[Block]:
    """The picture's blocks, left to right: the batch x, each layer's output, the targets,
    the per-sample losses, L; each activation's gradient below it. Above each Linear's
    output stand its W.T and b, and beside them, over the next column, their gradients."""
    b = len(record.batch.x)
    columns = ["x", *(p.name for p in record.layers), "y", "ℓ", "L"]
    out = [Block("x", Band.ACT, b, record.batch.x.shape[1], "x")]
    for p in record.layers:
        width = p.output.shape[1]
        if p.kind == "Linear":
            n, beside = p.name[1:], columns[columns.index(p.name) + 1]
            out += [Block(f"W{n}.T", Band.PARAM, p.input.shape[1], width, p.name),
                    Block(f"b{n}", Band.PARAM, 1, width, p.name),
                    Block(f"{GRAD}W{n}.T", Band.PARAM_GRAD, p.input.shape[1], width, beside),
                    Block(f"{GRAD}b{n}", Band.PARAM_GRAD, 1, width, beside)]
        out += [Block(p.name, Band.ACT, b, width, p.name),
                Block(GRAD + p.name, Band.ACT_GRAD, b, width, p.name)]
    out += [Block("y", Band.ACT, b, 1, "y"), Block("ℓ", Band.ACT, b, 1, "ℓ"),
            Block("L", Band.ACT, 1, 1, "L"), Block(GRAD + "L", Band.ACT_GRAD, 1, 1, "L")]
    return out


def _column(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(-1, 1).float()


def scene(record: StepRecord, k: int) -> Scene:
    """What the picture holds at frame `k`."""
    frame = frames(record)[k]
    stage_no = STAGES.index(frame.stage)
    shown: dict[str, Shown] = {}
    position = {p.name: p.position for p in record.layers}

    params = record.params_after if frame.part == "new" else record.params_before
    for n in _linears(record):
        at = position[f"z{n}"]
        when = "after step()" if frame.part == "new" else ""
        shown[f"W{n}.T"] = Shown(f"W{n}.T", params[f"W{n}"].T,
                                 about=f"model[{at}].weight.T {when}".strip())
        shown[f"b{n}"] = Shown(f"b{n}", params[f"b{n}"].reshape(1, -1),
                               about=f"model[{at}].bias {when}".strip())
    for n in _linears(record):
        for name, drawn in ((f"W{n}", lambda t: t.T), (f"b{n}", lambda t: t.reshape(1, -1))):
            shown[GRAD + name + (".T" if name[0] == "W" else "")] = _param_grad(
                record, frame, name, drawn, position[f"z{n}"])

    x_about = "the batch the DataLoader served"
    shown["x"] = Shown("x", record.batch.x, about=x_about)
    shown["y"] = Shown("y", _column(record.batch.y), about="the batch's targets")
    done_layers = (len(record.layers) if stage_no > 1
                   else frame.index + 1 if frame.stage is Stage.FORWARD else 0)
    for i, p in enumerate(record.layers):
        shown[p.name] = (Shown(p.name, p.output, about=f"model[{p.position}] output")
                         if i < done_layers else Shown(p.name, None, "not yet"))
    if stage_no >= 2:
        shown["ℓ"] = Shown("ℓ", _column(record.loss_terms), about="each sample's loss")
        shown["L"] = Shown("L", torch.tensor([[record.loss]]), about="loss = mean of ℓ")
    else:
        shown["ℓ"] = Shown("ℓ", None, "not yet")
        shown["L"] = Shown("L", None, "not yet")
    if frame.part == "new":
        shown["L"] = Shown("L after", torch.tensor([[record.loss_after]]),
                           about="the same batch through the updated model")

    ran = (len(record.nodes) if stage_no > 3
           else frame.index + 1 if frame.stage is Stage.BACKWARD else 0)
    arrived = {r.makes: r.arriving for r in record.nodes[:ran]
               if r.makes and r.param is None and not r.makes.endswith(".T")}
    for p in record.layers:
        g = arrived.get(p.name)
        shown[GRAD + p.name] = (Shown(GRAD + p.name, g, about=f"∂L/∂{p.name}, arriving at "
                                      f"model[{p.position}]'s output")
                                if g is not None else Shown(GRAD + p.name, None, "not yet"))
    g = arrived.get("L")
    shown[GRAD + "L"] = (Shown(GRAD + "L", g.reshape(1, 1), about="∂L/∂L: backward() starts "
                               "from 1") if g is not None else Shown(GRAD + "L", None, "not yet"))

    return Scene(frame, title(record, k), shown, frozenset(_lit(record, frame)))


def _param_grad(record: StepRecord, frame: Frame, name: str, drawn, position: int) -> Shown:
    """The block under a parameter: its .grad (None, arriving, stored) or its update."""
    is_w = name[0] == "W"
    label = GRAD + name + (".T" if is_w else "")
    pt = f"model[{position}].{'weight' if is_w else 'bias'}"
    if frame.stage is Stage.STEP:
        return Shown("Δ" + name + (".T" if is_w else ""), drawn(record.update(name)),
                     about=f"{pt} after step() minus before")
    if frame.part == "left":
        g = record.grads_left[name]
        return (Shown(label, drawn(g), about=f"{pt}.grad left by the last backward()")
                if g is not None else Shown(label, None, "None", f"{pt}.grad is None"))
    if frame.stage is Stage.BACKWARD:
        runs = record.nodes[:frame.index + 1]
        if any(r.param == name for r in runs):
            return Shown(label, drawn(record.grads[name]), about=f"{pt}.grad")
        if is_w:
            on_way = next((r.arriving for r in runs if r.makes == f"{name}.T"), None)
            if on_way is not None:
                return Shown(label, on_way, "", f"∂L/∂{name}.T, on its way to {pt}.grad "
                             "through TBackward0")
    zeroed = record.grads_zeroed[name]
    if zeroed is not None:  # zero_grad(set_to_none=False) would leave zeros
        return Shown(label, drawn(zeroed), about=f"{pt}.grad")
    return Shown(label, None, "None", f"{pt}.grad is None")


def _lit(record: StepRecord, frame: Frame) -> set[str]:
    params = {f"{k}{n}" for n in _linears(record) for k in ("W", "b")}
    grad_blocks = {GRAD + p + (".T" if p[0] == "W" else "") for p in params}
    if frame.stage is Stage.ZERO_GRAD:
        return grad_blocks
    if frame.stage is Stage.FORWARD:
        p = record.layers[frame.index]
        source = record.layers[frame.index - 1].name if frame.index else "x"
        if p.kind == "Linear":
            n = p.name[1:]
            return {source, f"W{n}.T", f"b{n}", p.name}
        return {source, p.name}
    if frame.stage is Stage.LOSS:
        return {record.layers[-1].name, "y", "ℓ", "L"}
    if frame.stage is Stage.BACKWARD:
        r = record.nodes[frame.index]
        if r.param is not None:
            return {GRAD + r.param + (".T" if r.param[0] == "W" else "")}
        if r.makes.endswith(".T"):
            return {GRAD + r.makes}
        return {GRAD + r.makes} if r.makes else {"ℓ", "L"}
    if frame.part == "update":
        return grad_blocks
    return {f"W{n}.T" for n in _linears(record)} | {f"b{n}" for n in _linears(record)} | {"L"}


def title(record: StepRecord, k: int) -> str:
    """A frame's one-line caption, e.g. 'model[0]: z1 = x @ W1.T + b1'."""
    frame = frames(record)[k]
    if frame.part == "left":
        return ("Before zero_grad(): each .grad still holds what the last backward() left"
                if any(g is not None for g in record.grads_left.values())
                else "Before zero_grad(): a fresh model's .grad is None")
    if frame.part == "zeroed":
        return "optimizer.zero_grad(): every .grad is None again"
    if frame.stage is Stage.FORWARD:
        p = record.layers[frame.index]
        source = record.layers[frame.index - 1].name if frame.index else "x"
        shape = fmt_shape(tuple(p.output.shape))
        if p.kind == "Linear":
            n = p.name[1:]
            return f"model[{p.position}] Linear: {p.name} = {source} @ W{n}.T + b{n}, {shape}"
        return f"model[{p.position}] {p.kind}: {p.name} = {p.kind.lower()}({source}), {shape}"
    if frame.stage is Stage.LOSS:
        return f"The loss: L = mean(ℓ) = {record.loss:.4f}"
    if frame.stage is Stage.BACKWARD:
        r = record.nodes[frame.index]
        of = f"node {frame.index + 1} of {len(record.nodes)}"
        if r.param is not None:
            return f"{of}: AccumulateGrad writes {r.param}.grad"
        if r.makes:
            return f"{of}: {r.kind}, gradient arriving at {r.makes}"
        return f"{of}: {r.kind}, inside the loss"
    if frame.part == "update":
        return "optimizer.step(): the update Δ each parameter gets"
    return (f"optimizer.step(): the new weights; this batch's loss {record.loss:.4f} → "
            f"{record.loss_after:.4f}")
