"""Two replicas behind HAProxy (deploy/haproxy.cfg, started by deploy/replicas.py): learners
are spread across replicas, each stays on its own across reruns, reloads and reconnects (its
session, a process's memory, survives), and a deep link opens the same view on either one.

The learners speak Streamlit's websocket protocol (tests/e2e/protocol.py), so the whole
module takes seconds. HAProxy is Debian's package; .ci/run installs it where missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from deploy.replicas import HAPROXY, Hall, hall
from tests.e2e.protocol import Learner, Run, current

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("ML101_REQUIRE_HAPROXY") != "1"
                       and not os.path.exists(HAPROXY),
                       reason="Debian's haproxy is not installed"),
]

# Deep links that set several controls of two pages (URL keys as a presenter bookmarks them).
DEEP_LINKS = {
    "autograd": "ag_expr=y+%3D+sin(x)+*+x**2&ag_vars=x+%3D+1.5&ag_step=2",
    "training": "tr_data=moons&tr_hidden=16%2C8&tr_lr=0.03&tr_seed=7&tr_act=Tanh",
}

DRAWN = {  # what those links set, as the page draws it
    "autograd": {"ag_expr": "y = sin(x) * x**2", "ag_vars": "x = 1.5", "ag_step": [2.0]},
    "training": {"tr_data": "Two moons", "tr_hidden": "16,8", "tr_lr": ["0.03"],
                 "tr_seed": 7.0, "tr_act": "Tanh"},
}


@pytest.fixture(scope="module")
def balancer() -> Iterator[Hall]:
    with hall(2, env={"ML101_TORCH_THREADS": "1"}) as h:
        yield h


def accumulation_demo(learner: Learner) -> Run:
    """Open the autograd page on its gradient-accumulation scene (x.grad in session state)."""
    learner.open("autograd")
    return learner.click("ag_p_accumulate")


def grad_now(run: Run) -> str:
    shown = [t for t in run.texts() if t.startswith("x.grad now")]
    assert shown, "the accumulation demo shows x.grad"
    return re.sub(r"\s+", "", shown[0].split(":", 1)[1])


def view(run: Run) -> dict[str, object]:
    """What the learner sees that a deep link decides: the page's controls and its text."""
    prefix = {"autograd": "ag_", "training": "tr_"}[run.page]
    controls = {k: current(el) for k, el in run.widgets().items() if k.startswith(prefix)}
    return {"controls": {k: v for k, v in controls.items() if v is not None},
            "text": run.texts()}


def test_learners_spread_across_replicas_and_stay_on_theirs(balancer: Hall) -> None:
    alice, bob = Learner(balancer.url), Learner(balancer.url)
    try:
        accumulation_demo(alice)
        accumulation_demo(bob)
        assert {alice.replica, bob.replica} == set(balancer.replicas), \
            "two learners arriving one after the other land on different replicas"
        for learner in (alice, bob):
            assert learner.page_replica == learner.replica, "page and websocket on one replica"
            assert learner.cookies.get("ML101_REPLICA") == learner.replica

        alice.click("ag_bk1")
        assert grad_now(alice.click("ag_bk1")) == "12"
        assert grad_now(bob.click("ag_bk1")) == "6", "bob's session is his own"

        replica, session = alice.replica, alice.session_id
        run = alice.reconnect()  # a network blip: same cookie, resume the session
        assert alice.replica == replica
        assert alice.session_id == session, "the replica resumed alice's session"
        assert grad_now(alice.click("ag_bk1")) == "18", "her gradient kept accumulating"
        assert not run.errors()

        accumulation_demo(alice)  # a reload: a fresh session, the same replica
        assert alice.replica == alice.page_replica == replica
        assert grad_now(alice.click("ag_bk1")) == "6"
    finally:
        alice.close()
        bob.close()


@pytest.mark.parametrize("page", sorted(DEEP_LINKS))
def test_a_deep_link_opens_the_same_view_on_either_replica(balancer: Hall, page: str) -> None:
    views = {}
    for replica in balancer.replicas:
        learner = Learner(balancer.url, cookies={"ML101_REPLICA": replica})
        try:
            run = learner.open(page, DEEP_LINKS[page])
            assert learner.replica == replica, "the cookie chose the replica"
            assert run.errors() == []
            views[replica] = view(run)
        finally:
            learner.close()
    first, second = views.values()
    assert first == second
    assert first["controls"].items() >= DRAWN[page].items(), "the link's settings are shown"
