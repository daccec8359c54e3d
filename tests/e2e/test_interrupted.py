"""Runs killed with SIGKILL midway (an ``up`` amid creates, one amid replacements, a
``destroy`` amid deletes), then run again.

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
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator
from tests.support.front_door import FrontDoor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

COUNT = 6


def under_way(door: FrontDoor) -> int:
    """Creates (or deletes) that wait at once: the dynamic host's 4, or all of the plugin's."""
    return door.concurrent_creates or COUNT


PROGRAM = "tests.e2e.programs:fleet"
OTHER_PLATFORM = "EMU-AER-H100"


def kill_when(run: subprocess.Popen[str], condition: Callable[[], bool]) -> str:
    """SIGKILL ``run``'s process group once ``condition()`` holds; its output."""
    deadline = time.monotonic() + 120
    while not condition() and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    return run.communicate()[0]


def statuses(qpu: RunningEmulator) -> list[str]:
    return [s["status"] for s in qpu.sessions()]


def test_up_killed_during_creates_then_up_again_ends_with_one_session_each(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    # Slow starts, so that the kill lands while every create waits for `running`.
    waiting = under_way(front_door)
    qpu.configure(start_delay=30)
    stack = engine.stack(fleet, config={"count": str(COUNT)})
    run = engine.start_detached(stack, "up", "tests.e2e.programs:fleet")
    deadline = time.monotonic() + 120
    while len(qpu.sessions()) < waiting and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0]
    made = qpu.sessions()
    assert [s["status"] for s in made] == ["starting"] * waiting, output
    # The file backend's lock outlives the killed CLI: `pulumi cancel` removes it.
    engine.pulumi(stack, "cancel", "--yes")
    # The engine recorded a pending create for each create it began (the 4 in the host
    # and those queued for a worker), and no session.
    snapshot = engine.exported(stack)
    pending = [op["type"] for op in snapshot.get("pending_operations", [])]
    assert set(pending) == {"creating"}
    assert waiting <= len(pending) <= COUNT
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


def test_replacement_killed_midway_ends_with_one_session_each_on_the_new_platform(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    from tests.e2e.programs import fleet

    stack = engine.stack(fleet, config={"count": str(COUNT)})
    old = set(stack.up().outputs["ids"].value.values())
    # Moving platform replaces every Session (create the new one, then end the old); the
    # creates wait for running, so the kill lands amid them.
    qpu.configure(start_delay=8)
    stack.set_config("platform", auto.ConfigValue(OTHER_PLATFORM))
    run = engine.start_detached(stack, "up", PROGRAM)
    waiting = under_way(front_door)
    output = kill_when(run, lambda: len(qpu.sessions()) >= COUNT + waiting)
    assert len(qpu.sessions()) <= COUNT + waiting, output
    # Create-before-delete: nothing was lost meanwhile, every old session still runs.
    assert old <= {s["id"] for s in live_sessions(qpu)}
    engine.pulumi(stack, "cancel", "--yes")

    qpu.configure(start_delay=0.5)
    new = set(stack.up().outputs["ids"].value.values())
    assert {s["id"] for s in live_sessions(qpu)} == new
    assert len(new) == COUNT
    assert not new & old
    platform = qpu.admin.get("/qaas/v1alpha1/platforms", params={"name": OTHER_PLATFORM})
    by_id: dict[str, Any] = {s["id"]: s for s in qpu.sessions()}
    assert {by_id[i]["platform_id"] for i in new} == {platform.json()["platforms"][0]["id"]}
    # Each resource made exactly one replacement: the POSTs of the killed run were taken back.
    assert len(by_id) == 2 * COUNT
    assert not [r for r in engine.resources(stack) if r.get("delete")], "a delete left pending"


def test_destroy_killed_midway_leaks_nothing_and_the_next_destroy_finishes(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    batch = front_door.concurrent_creates or 0
    count = 2 * (batch or 4)
    stack = engine.stack(fleet, config={"count": str(count)})
    stack.up()
    # Deletes wait for stopped (2 s): the dynamic host ends 4 at a time, and the kill
    # lands once the first 4 are done and the next 4 are stopping; the plugin ends all
    # at once, and the kill lands while all are stopping.
    qpu.configure(stop_delay=2)
    run = engine.start_detached(stack, "destroy", PROGRAM)

    def deletes_in_flight() -> bool:
        now = statuses(qpu)
        if batch:  # the first batch done, the next stopping
            ready = now.count("stopped") >= batch and "stopping" in now
        else:  # every delete stopping at once
            ready = now.count("stopping") == count
        if not ready:
            return False
        time.sleep(0.5)  # the engine's checkpoints of the first batch's deletes
        return True

    output = kill_when(run, deletes_in_flight)
    engine.pulumi(stack, "cancel", "--yes")
    left = {r["id"] for r in engine.resources(stack)}
    assert (0 < len(left) < count) if batch else (len(left) == count), output
    stopping = [s for s in qpu.sessions() if s["id"] in left and s["status"] == "stopping"]
    assert stopping, "no delete was in flight at the kill"
    # Nothing left the state while it still ran: every live session is still in state.
    assert {s["id"] for s in live_sessions(qpu)} <= left

    stack.destroy()
    assert engine.resources(stack) == []
    assert live_sessions(qpu) == []
    assert len(qpu.sessions()) == count
