"""An ``up`` killed with SIGKILL while creates are under way, then ``up`` again.

The whole process group goes (the CLI, the language server, the provider host), as when
a machine is lost. The state then holds pending creates and no record of the sessions
already made, and the file backend's lock. As the README says: ``pulumi cancel`` removes
the lock, the next ``up`` ends with exactly one live session per resource (it gets back
the sessions already made), and ``pulumi refresh --clear-pending-creates`` then clears
the engine's warning about the pending creates.
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
UNDER_WAY = 4  # the provider host runs 4 operations at once: the kill finds 4 creates waiting


def test_up_killed_during_creates_then_up_again_ends_with_one_session_each(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    # Slow starts, so that the kill lands while every create waits for `running`.
    qpu.configure(start_delay=30)
    stack = engine.stack(fleet, config={"count": str(COUNT)})
    run = engine.start_detached(stack, "up", "tests.e2e.programs:fleet")
    deadline = time.monotonic() + 120
    while len(qpu.sessions()) < UNDER_WAY and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0]
    made = qpu.sessions()
    assert [s["status"] for s in made] == ["starting"] * UNDER_WAY, output
    # The file backend's lock outlives the killed CLI: `pulumi cancel` removes it.
    engine.pulumi(stack, "cancel", "--yes")
    # The engine recorded a pending create for each create it began (the 4 in the host
    # and those queued for a worker), and no session.
    snapshot = engine.exported(stack)
    pending = [op["type"] for op in snapshot.get("pending_operations", [])]
    assert set(pending) == {"creating"}
    assert UNDER_WAY <= len(pending) <= COUNT
    assert engine.resources(stack) == []

    qpu.configure(start_delay=0.5)
    printed: list[str] = []
    again = stack.up(on_output=printed.append)
    ids = sorted(again.outputs["ids"].value.values())
    assert sorted(s["id"] for s in live_sessions(qpu)) == ids
    assert {s["id"] for s in made} <= set(ids), "the re-run got back the sessions made"
    assert len(qpu.sessions()) == COUNT, "nothing made twice"
    assert "pending" in "\n".join(printed).lower()

    # The sessions are recorded; the pending creates are stale: clearing them is safe.
    stack.refresh(clear_pending_creates=True)
    assert engine.exported(stack).get("pending_operations", []) == []
    assert len(engine.resources(stack)) == COUNT
    stack.destroy()
    assert live_sessions(qpu) == []
