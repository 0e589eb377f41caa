"""Every page keeps its promise: "Show the code" prints the numbers on this page.

Hypothesis draws settings from the page's own controls, within their ranges, and sets
them one at a time as a learner would; the page runs under AppTest; its script runs in a
fresh interpreter; every number the script prints must be on the screen. Examples are
derandomized, so CI is repeatable; ML101_CONTRACT_EXAMPLES=50 explores further.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from ml101.lesson_map import page_by_url
from tests.app.contract import (
    CODE_TITLE,
    code_panel,
    controls,
    run_script,
    screen,
    set_control,
    unmatched,
    values,
)
from tests.conftest import open_page

EXAMPLES = int(os.environ.get("ML101_CONTRACT_EXAMPLES", "2"))


@dataclass(frozen=True)
class Contract:
    """Where a page's code panel is, and which keys the contract leaves as they are."""

    url_path: str
    query: dict[str, str] = field(default_factory=dict)
    leave: frozenset[str] = frozenset()  # settings whose script would run for minutes
    title: str = CODE_TITLE  # the code panel's expander
    press: tuple[str, ...] = ()  # buttons pressed after the settings (train a little)
    most: int = 3  # controls changed per example

    @property
    def name(self) -> str:
        return self.url_path + "".join(f"-{v}" for v in self.query.values()) + (
            "" if self.title == CODE_TITLE else f"-{self.title.split('(')[-1].rstrip(')')}")


# The benchmark page is not here: its script measures time again, and timings are
# readings, not digits a script can reproduce (tests/app/test_gpu_benchmark.py checks
# that the script measures what the table lists).
CONTRACTS = [
    Contract("tensors"),
    Contract("tensors", {"t_tab": "Operate"}),
    Contract("tensors", {"t_tab": "Reshape & index"}, title="Show the code (reshape)"),
    Contract("tensors", {"t_tab": "Reshape & index"}, title="Show the code (slice)"),
    Contract("tensors", {"t_tab": "NumPy ⇄ PyTorch"}, title="Show the code (shared memory)"),
    Contract("autograd"),
    Contract("one-step"),
    Contract("layers"),
    Contract("layers", {"ly_tab": "SimpleNet: Module vs Sequential"}),
    Contract("numpy-vs-torch", leave=frozenset({"np_ep", "np_n"})),
    # The race's player and views, and its length (a 5,000-step race is a minute of script).
    Contract("optimizers", leave=frozenset({"op_t", "op_steps", "op_speed", "op_insp",
                                            "op_tol"})),
    Contract("dataloader", leave=frozenset({"dl_n", "dl_img", "dl_speed"})),
    # The mistake whose script stops with PyTorch's error on purpose, the player, and sizes
    # that make a script run for minutes.
    Contract("training", leave=frozenset({"tr_speed", "tr_bug", "tr_n", "tr_bs", "tr_ep",
                                          "tr_pat"}), press=("tr_step", "tr_step")),
]


def settle(at: AppTest, limit: int = 60) -> None:
    """Rerun while the page says it is still working (a progress bar), as its ticks do."""
    for _ in range(limit):
        if not at.get("progress"):
            return
        at.run()


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_the_code_prints_the_numbers_on_screen(contract: Contract) -> None:
    prefix = page_by_url(contract.url_path).prefix

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        at = open_page(contract.url_path, **contract.query)
        moves = data.draw(st.integers(0, contract.most), label="how many controls")
        for _ in range(moves):
            choices = controls(at, prefix, contract.leave)
            if not choices:
                break
            c = data.draw(st.sampled_from(choices), label="control")
            set_control(at, c, data.draw(values(c), label=c.key))
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        if at.error:
            return  # a clear refusal of these settings: nothing to reproduce
        for key in contract.press:
            at.button(key=key).click().run()
        settle(at)
        code = code_panel(at, contract.title)
        assert code, f"the page shows its code under {contract.title!r}"
        missing = unmatched(run_script(code), screen(at))
        assert not missing, f"printed but not on screen: {missing[:12]}"

    check()
