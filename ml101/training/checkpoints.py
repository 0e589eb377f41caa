"""Saving and loading runs as `.pt` bytes, safely.

Downloads: the bare `state_dict`, or a full checkpoint (model, optimizer, epoch,
history, config, RNG states) that resumes the run exactly. Uploads are untrusted:
the size is capped before reading, and `torch.load(..., weights_only=True)` is the
only loader, so a pickle that tries to run code is refused, not executed. Whatever
goes wrong becomes a `CheckpointError` that says what was found and what was expected.
"""

from __future__ import annotations

import io
import pickle  # only for the UnpicklingError type; nothing is unpickled here
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

MAX_UPLOAD_BYTES = 8 * 2**20


class CheckpointError(ValueError):
    """An upload that cannot be used, with a message fit to show the learner."""


@dataclass
class Mismatch:
    """How a state dict differs from what a model expects."""

    missing: list[str]
    unexpected: list[str]
    wrong_shape: list[tuple[str, tuple[int, ...], tuple[int, ...]]]  # key, file, model

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.wrong_shape)

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append("missing from the file: " + ", ".join(self.missing))
        if self.unexpected:
            parts.append("in the file but not in this model: " + ", ".join(self.unexpected))
        if self.wrong_shape:
            parts.append("wrong shape: " + ", ".join(
                f"{k} is {list(a)} in the file, {list(b)} here" for k, a, b in self.wrong_shape))
        return "; ".join(parts)


def to_bytes(obj: Any) -> bytes:
    """`torch.save` into memory: what a download button serves."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def load_bytes(data: bytes) -> Any:
    """`torch.load` an upload with the size capped and weights_only=True, never code."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CheckpointError(f"The file is {len(data) / 2**20:.1f} MiB; uploads are capped at "
                              f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB.")
    if not data:
        raise CheckpointError("The file is empty.")
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = _unpickler_detail(str(exc))
        if "GLOBAL" in detail or "global" in detail:
            raise CheckpointError(
                "Refused: the file is a pickle that asks to import or call Python code "
                f"({detail}). `torch.load(..., weights_only=True)` only rebuilds tensors and "
                "plain containers, so nothing in it was run. If you made it with "
                "`torch.save(model)`, save `model.state_dict()` instead.") from None
        raise CheckpointError(
            f"Refused: the file is a pickle that the safe loader does not accept ({detail}). "
            "Save it with torch.save(model.state_dict(), path) and upload that.") from None
    except Exception as exc:  # untrusted bytes: any failure at all means "not a checkpoint"
        first = (str(exc).splitlines() or [""])[0][:160]
        raise CheckpointError(
            "This is not a PyTorch checkpoint: torch.load could not read it "
            f"({type(exc).__name__}{': ' + first if first else ''}). Upload a .pt file "
            "made with torch.save.") from None


def _unpickler_detail(text: str) -> str:
    """The useful line of a weights_only refusal (the rest is generic advice)."""
    lines = [ln.strip() for ln in text.replace("WeightsUnpickler error:", "\n").splitlines()]
    for word in ("GLOBAL", "global", "Unsupported", "operand"):
        hit = next((ln for ln in lines if word in ln and "weights_only" not in ln), None)
        if hit:
            return hit[:300]
    return (lines[0] if lines else text)[:300]


def as_state_dict(obj: Any) -> dict[str, torch.Tensor]:
    """The model weights in an upload: a bare state_dict or a checkpoint's."""
    if isinstance(obj, dict) and isinstance(obj.get("model_state_dict"), dict):
        obj = obj["model_state_dict"]
    if not isinstance(obj, dict) or not obj:
        raise CheckpointError(
            f"The file holds a {type(obj).__name__}, not a state dict (a dict of parameter "
            "names to tensors) nor a checkpoint with 'model_state_dict'.")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f"Not a state dict: {len(bad)} entries are not "
                              f"name -> tensor (first: {bad[0]!r}).")
    return obj


def compare(model: nn.Module, sd: dict[str, torch.Tensor]) -> Mismatch:
    """What `load_state_dict` would complain about, found before trying."""
    mine = model.state_dict()
    return Mismatch(
        missing=[k for k in mine if k not in sd],
        unexpected=[k for k in sd if k not in mine],
        wrong_shape=[(k, tuple(sd[k].shape), tuple(v.shape)) for k, v in mine.items()
                     if k in sd and sd[k].shape != v.shape],
    )


def load_weights(model: nn.Module, sd: dict[str, torch.Tensor]) -> None:
    """Load weights into `model` only if every key and shape matches; else explain."""
    diff = compare(model, sd)
    if not diff.ok:
        raise CheckpointError("These weights are for another architecture: " + diff.describe()
                              + ". Your current run is unchanged.")
    model.load_state_dict(sd)


def is_full_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == "ml101-checkpoint-v1"


def whole_model_demo(model: nn.Module) -> dict[str, str]:
    """What happens to the lesson's `torch.save(model)` on PyTorch 2.6 and later.

    Saving pickles the model's class by reference; loading with the new default
    weights_only=True refuses to import that class. Returns the real error text and
    proof that the state_dict round trip works."""
    blob = to_bytes(model)
    try:
        torch.load(io.BytesIO(blob), weights_only=True)
        whole = "loaded (this PyTorch still allows it)"
    except pickle.UnpicklingError as exc:
        whole = _unpickler_detail(str(exc))
    sd_blob = to_bytes(model.state_dict())
    sd = torch.load(io.BytesIO(sd_blob), weights_only=True)
    same = all(torch.equal(sd[k], v) for k, v in model.state_dict().items())
    return {"torch": torch.__version__, "whole_model_error": whole,
            "whole_bytes": str(len(blob)), "state_dict_bytes": str(len(sd_blob)),
            "state_dict_roundtrip": "identical" if same else "different"}
