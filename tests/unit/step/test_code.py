"""The exported script reaches the same step and prints the very tensors the page shows."""

from __future__ import annotations

import re

import pytest
import torch

from ml101.step.code import code_for
from ml101.step.record import StepRecord
from tests.app.contract import run_script
from tests.unit.step.helpers import SETTINGS, recorded

_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def printed(out: str) -> list[tuple[str, str]]:
    """(label, value text) per printed statement; a tensor's continuation lines join it."""
    entries: list[list[str]] = []
    for line in out.splitlines():
        if line[:1].isspace() and entries:
            entries[-1][1] += " " + line.strip()
        elif " = " in line:
            label, value = line.split(" = ", 1)
            entries.append([label, value])
        else:
            entries.append([line, ""])
    return [(a, b) for a, b in entries]


def numbers(text: str) -> list[float]:
    body = text.split("tensor(", 1)[-1]
    return [float(t) for t in _NUM.findall(body.split("grad_fn")[0])]


def same(text: str, expected: torch.Tensor | float | None) -> bool:
    if expected is None:
        return text.strip() == "None"
    want = torch.as_tensor(expected, dtype=torch.float64).reshape(-1).tolist()
    got = numbers(text)
    return len(got) == len(want) and all(abs(a - b) <= 6e-7 + 1e-5 * abs(b)
                                         for a, b in zip(got, want, strict=True))


def expected(rec: StepRecord) -> list[tuple[str, object]]:
    """Every statement the script prints, in order, with the page's value for it."""
    out: list[tuple[str, object]] = [("x", rec.batch.x), ("y", rec.batch.y)]
    out += [(f"{n}.grad before zero_grad()", g) for n, g in rec.grads_left.items()]
    out += [(f"{n}.grad after zero_grad()", g) for n, g in rec.grads_zeroed.items()]
    out += [(f"model[{p.position}] {p.kind}: {p.name}", p.output) for p in rec.layers]
    out.append(("L", rec.loss))
    for r in rec.nodes:
        kind = f"AccumulateGrad -> {r.param}.grad" if r.param else r.kind
        out.append((f"backward {kind}: gradient arriving", r.arriving))
    out += [(f"{n}.grad", g) for n, g in rec.grads.items()]
    for n in rec.params_after:
        out += [(f"{n} before step()", rec.params_before[n]), (f"{n} update", rec.update(n)),
                (f"{n} after step()", rec.params_after[n])]
        out += [(f"optimizer.state[{n}][{k!r}]", v) for k, v in rec.state_after[n].items()]
    out.append(("L after the step", rec.loss_after))
    return out


@pytest.mark.parametrize(("name", "done"), [("lesson", 7), ("moons-adam", 4),
                                            ("blobs-ce-momentum", 3),
                                            ("circles-focal-adamw", 5),
                                            ("spiral-rmsprop-one", 2)])
def test_the_script_prints_the_pages_numbers(name: str, done: int) -> None:
    rec = recorded(name, done)
    lines = printed(run_script(code_for(SETTINGS[name], done)))
    assert lines[0] == (f"step {done + 1}", "")
    want = expected(rec)
    assert [label for label, _ in lines[1:]] == [label for label, _ in want]
    for (label, text), (_, value) in zip(lines[1:], want, strict=True):
        assert same(text, value), (label, text, value)


def test_the_script_is_plain_pytorch() -> None:
    code = code_for(SETTINGS["lesson"], 3)
    assert "ml101" not in code
    assert "nn.Sequential(\n    nn.Linear(2, 4),\n    nn.ReLU(),\n    nn.Linear(4, 1),\n" \
           "    nn.Sigmoid(),\n)" in code
    assert "torch.optim.SGD(model.parameters(), lr=0.5)" in code
    assert "for _ in range(3):" in code and "import math" not in code
    assert "for _ in range(" not in code_for(SETTINGS["lesson"], 0)
