"""Uploads: weights_only loading, size cap, malicious pickles refused, wrong shapes listed."""

from __future__ import annotations

import io
import os
import pickle

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ml101.models import ModelSpec, build_model
from ml101.training import checkpoints as ck

CALLED: list[str] = []


def _record() -> str:
    CALLED.append("ran")
    return "ran"


class Harmless:
    """A pickle payload: unpickling it would call _record (something harmless)."""

    def __reduce__(self) -> tuple:
        return (_record, ())


def test_a_pickle_with_code_is_refused_and_never_runs() -> None:
    payload = ck.to_bytes({"weights": torch.zeros(2), "evil": Harmless()})
    torch.load(io.BytesIO(payload), weights_only=False)  # in a test only: proof it would run
    assert CALLED == ["ran"]
    with pytest.raises(ck.CheckpointError, match="import or call Python code"):
        ck.load_bytes(payload)
    assert CALLED == ["ran"], "weights_only=True must not have run the payload"


def test_os_system_payload_is_refused() -> None:
    class Evil:
        def __reduce__(self) -> tuple:
            return (os.getcwd, ())

    with pytest.raises(ck.CheckpointError, match="GLOBAL"):
        ck.load_bytes(ck.to_bytes({"x": Evil()}))


@given(st.binary(max_size=400) | st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b))
@example(b"")
@example(b"hello, not a checkpoint")
@settings(max_examples=80, deadline=None)
def test_garbage_gets_a_clear_message(data: bytes) -> None:
    """Any bytes at all, zip-looking ones too, end in CheckpointError and nothing else."""
    with pytest.raises(ck.CheckpointError):
        ck.load_bytes(data)


def test_upload_size_is_capped_before_reading() -> None:
    with pytest.raises(ck.CheckpointError, match="capped"):
        ck.load_bytes(b"0" * (ck.MAX_UPLOAD_BYTES + 1))


def test_other_architecture_lists_every_difference() -> None:
    small = build_model(ModelSpec(2, (4,), 1))
    other = build_model(ModelSpec(2, (8, 3), 1))
    diff = ck.compare(small, other.state_dict())
    assert ("network.0.weight", (8, 2), (4, 2)) in diff.wrong_shape
    assert "network.4.weight" in diff.unexpected
    before = [p.clone() for p in small.parameters()]
    with pytest.raises(ck.CheckpointError, match="another architecture"):
        ck.load_weights(small, other.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(before, small.parameters(), strict=True))


def test_state_dict_and_full_checkpoint_round_trip() -> None:
    m = build_model(ModelSpec(2, (4,), 1))
    sd = ck.as_state_dict(ck.load_bytes(ck.to_bytes(m.state_dict())))
    fresh = build_model(ModelSpec(2, (4,), 1))
    ck.load_weights(fresh, sd)
    assert all(torch.equal(a, b) for a, b in zip(m.parameters(), fresh.parameters(),
                                                 strict=True))
    with pytest.raises(ck.CheckpointError, match="not a state dict"):
        ck.as_state_dict(ck.load_bytes(ck.to_bytes([1, 2, 3])))


def test_whole_model_save_fails_on_load_and_says_why() -> None:
    demo = ck.whole_model_demo(build_model(ModelSpec(2, (4,), 1)))
    assert "MLP" in demo["whole_model_error"]
    assert demo["state_dict_roundtrip"] == "identical"
    with pytest.raises(pickle.UnpicklingError):
        torch.load(io.BytesIO(ck.to_bytes(build_model(ModelSpec(2, (4,), 1)))))
