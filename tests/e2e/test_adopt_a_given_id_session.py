"""Adoption of a session another stack manages under a given ``deduplication_id`` (found by
the random walk).

docs/provider.md refuses at preview the adoption of a session some stack manages, known
by its derived deduplication id, a creating tag or another resource's adoption tag. A
Session with a ``deduplication_id`` of its own makes a session that carries none of
them: another stack's ``session_id=`` then adopts it, both states hold it, and either
destroy ends it under the other, the consequences the refusal exists to prevent. Until
such a session is told apart (W5 in docs/reliability.md), this test is a strict xfail.
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from tests.e2e.walk.program import declare, program
from tests.support.cli import RealEngine
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLATFORM = "EMU-AER-16C-128M"


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="W5: nothing marks a given-id session as managed"
)
def test_a_session_another_stack_manages_under_a_given_deduplication_id_is_not_adopted(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    prod = engine.stack(program, project="qpu-walk", name="prod")
    declare(prod, {"s": {"platform_name": PLATFORM, "deduplication_id": "team-shared"}})
    prod.up()
    (managed,) = [r["id"] for r in engine.resources(prod)]

    dev = engine.stack(program, project="qpu-walk", name="dev")
    declare(dev, {"s": {"platform_name": PLATFORM, "session_id": managed}})
    printed: list[str] = []
    try:
        dev.preview(on_output=printed.append)
        refused = ""
    except auto.CommandError as failure:
        refused = str(failure)
    assert refused, f"preview accepts adopting {managed}, which stack prod manages"
    assert "session_id" in refused
