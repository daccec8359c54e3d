"""``pulumi state delete`` of a Session that was replaced once, then ``up`` (found by the
random walk).

After ``pulumi state delete``, the next ``up`` names the live session it leaves, and the
command that ends it (issue 15, #8; tests/e2e/test_adversary.py). It finds that session
on its walk of the derived deduplication ids: the root id, then the one ``after`` each
live session it meets. A Session replaced once holds the session made ``after`` the
first, and the first has ended since: the root id is free, the create makes a session
there, never meets the one the state forgot, and says nothing. Until that is fixed this
test is a strict xfail.
"""

from __future__ import annotations

import pytest

from tests.e2e.walk.program import declare, program
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

URN = "urn:pulumi:ci::qpu-walk::pulumi-python:dynamic/qpu:Session::s"


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="#8: only a session met on the walk is named"
)
def test_state_delete_of_a_replaced_session_then_up_names_the_session_left_running(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(program, project="qpu-walk", name="ci")
    resources = {"s": {"platform_name": "EMU-AER-16C-128M"}}
    declare(stack, resources)
    stack.up()
    stack.up(replace=[URN])
    (forgotten,) = [r["id"] for r in engine.resources(stack)]
    engine.pulumi(stack, "state", "delete", URN, "--yes")

    printed: list[str] = []
    stack.up(on_output=printed.append)
    live = {s["id"] for s in live_sessions(qpu)}
    assert forgotten in live, "the session the state forgot still runs"
    assert forgotten in "\n".join(printed), "the up says nothing of the session it leaves"
