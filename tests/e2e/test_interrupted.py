"""An ``up`` killed with SIGKILL while creates are under way, then ``up`` again.

The whole process group goes (the CLI, the language server, the provider host), as when
a machine is lost. The state then holds pending creates and no record of the sessions
already made; the next ``up`` must end with exactly one live session per resource, and
``pulumi refresh --clear-pending-creates`` clears the engine's warning, as the README says.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

COUNT = 6


def test_up_killed_during_creates_then_up_again_ends_with_one_session_each(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    # Slow starts, so that the kill lands while every create waits for `running`.
    qpu.configure(start_delay=30)
    stack = engine.stack(fleet, config={"count": str(COUNT)})
    run = engine.start_detached(stack, "up", "tests.e2e.programs:fleet")
    deadline = time.monotonic() + 120
    while len(qpu.sessions()) < COUNT and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    made = qpu.sessions()
    assert len(made) == COUNT, "the kill must land after every POST"
    assert all(s["status"] == "starting" for s in made)
    # The engine recorded a pending create for each, and no session.
    snapshot = engine.exported(stack)
    assert [op["type"] for op in snapshot.get("pending_operations", [])] == ["creating"] * COUNT
    assert engine.resources(stack) == []

    qpu.configure(start_delay=0.5)
    printed: list[str] = []
    again = stack.up(on_output=printed.append)
    ids = sorted(again.outputs["ids"].value.values())
    assert sorted(s["id"] for s in live_sessions(qpu)) == ids
    assert sorted(s["id"] for s in made) == ids, "the re-run got back the sessions made"
    assert len(qpu.sessions()) == COUNT, "nothing made twice"
    assert "pending" in "\n".join(printed).lower()

    # The sessions are recorded; the pending creates are stale: clearing them is safe.
    stack.refresh(clear_pending_creates=True)
    assert engine.exported(stack).get("pending_operations", []) == []
    assert len(engine.resources(stack)) == COUNT
    stack.destroy()
    assert live_sessions(qpu) == []
