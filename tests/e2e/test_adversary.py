"""Exactly one session per resource against what users really do: two CI jobs with the
same stack names, an outage longer than a create can wait, a killed ``up`` followed by a
cancel and a destroy, ``pulumi state delete``, ``retain_on_delete`` replacements.

The emulator's sessions are the oracle: after each story, every live session is held
by a state (or ended by the stack's leftover sweeper), and no state holds a session
another state holds.

The stories run through both front doors (the ``front_door`` fixture), except two that
end at a destroy of a state holding no Session: a plugin is called by no method at such
a destroy, so only the dynamic provider's sweeper resource ends their leftovers there
(docs/plugin.md#leftovers). A killed ``up`` of a stack that holds a Session is the
plugin's version of that story.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_qpu.identity import STALE_AFTER, is_creating_tag
from tests.support.cli import RealEngine, find_cli, live_sessions, qpu_leftovers
from tests.support.emulator import RunningEmulator
from tests.support.front_door import FrontDoor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

PROGRAM = "tests.e2e.programs:fleet"


def wait_for(condition: Callable[[], bool], run: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        if run is not None:
            assert run.poll() is None, run.communicate()[0]
        time.sleep(0.1)


def held(engine: RealEngine, stack: Any) -> set[str]:
    """Ids of the sessions the stack's state holds."""
    return {r["id"] for r in engine.resources(stack)}


@pytest.fixture
def second_job(
    cli_dir: Path, qpu: RunningEmulator, tmp_path: Path, front_door: FrontDoor
) -> Iterator[RealEngine]:
    """Another CI job: its own file backend, the same emulator, project and credentials."""
    real = RealEngine(find_cli(), qpu, tmp_path / "second-job")
    front_door.prepare(real, tmp_path / "second-job" / "plugins")
    yield real
    real.cleanup()


def test_two_ci_jobs_with_the_same_stack_names_each_own_their_session(
    front_door: FrontDoor, engine: RealEngine, second_job: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    # Job A's session is still starting when job B's up begins.
    qpu.configure(start_delay=6)
    stack_a = engine.stack(fleet, config={"count": "1"})
    stack_b = second_job.stack(fleet, config={"count": "1"})
    run_a = engine.start_detached(stack_a, "up", PROGRAM)
    wait_for(lambda: len(qpu.sessions()) == 1, run_a)
    printed: list[str] = []
    stack_b.up(on_output=printed.append)
    output_a = run_a.communicate()[0]
    assert run_a.returncode == 0, output_a

    a, b = held(engine, stack_a), held(second_job, stack_b)
    assert len(a) == len(b) == 1
    assert not a & b, "both states hold one session"
    assert {s["id"] for s in live_sessions(qpu)} == a | b
    assert "being created by another run" in "\n".join(printed)

    # Job A's destroy ends A's session only.
    stack_a.destroy()
    assert {s["id"] for s in live_sessions(qpu)} == b


def test_an_outage_longer_than_the_create_can_wait_is_reported_truly_and_destroy_ends_all(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    # Dynamic only: every create fails, so the state holds no Session, only the sweeper.
    from tests.e2e.programs import fleet

    qpu.configure(start_delay=60)
    stack = engine.stack(fleet, config={"count": "2", "create_timeout": "3s"})
    printed: list[str] = []
    failure: list[BaseException] = []

    def up() -> None:
        try:
            stack.up(on_output=printed.append)
        except BaseException as exc:  # the up is expected to fail: keep it for the test
            failure.append(exc)

    runner = threading.Thread(target=up)
    runner.start()
    wait_for(lambda: len(qpu.sessions()) == 2)
    # The API goes down for longer than the create's timeout and every retry.
    qpu.set_faults(error_rate=1.0)
    runner.join(timeout=300)
    qpu.set_faults()
    assert failure, "up succeeded although the API was down"
    text = "\n".join(printed) + str(failure[0])
    assert "could NOT be terminated" in text
    assert "terminated so that nothing is left running" not in text
    assert len(live_sessions(qpu)) == 2, "the sessions the outage left still run"

    # Once the API answers, destroy ends what no state holds: the stack's sweeper.
    stack.destroy()
    assert live_sessions(qpu) == []


def test_up_killed_mid_create_then_cancel_then_destroy_leaves_nothing_running(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    # Dynamic only: the state holds no Session, only the sweeper resource.
    from tests.e2e.programs import fleet

    qpu.configure(start_delay=60)
    stack = engine.stack(fleet, config={"count": "3"})
    run = engine.start_detached(stack, "up", PROGRAM)
    wait_for(lambda: len(qpu.sessions()) == 3, run)
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate()
    engine.pulumi(stack, "cancel", "--yes")
    assert engine.resources(stack) == []
    assert len(live_sessions(qpu)) == 3

    # refresh names them; destroy ends them.
    printed: list[str] = []
    stack.refresh(clear_pending_creates=True, on_output=printed.append)
    assert "carry this stack's creating tag" in "\n".join(printed)
    destroyed: list[str] = []
    stack.destroy(on_output=destroyed.append)
    assert live_sessions(qpu) == [], "\n".join(destroyed)


def creating_tags(qpu: RunningEmulator) -> dict[str, list[str]]:
    """The creating tags of every live session, by id."""
    return {s["id"]: [t for t in s["tags"] if is_creating_tag(t)] for s in live_sessions(qpu)}


def test_up_killed_mid_create_stops_its_provider_and_destroy_ends_what_it_left(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    from tests.e2e.programs import fleet

    stack = engine.stack(fleet, config={"count": "1"})
    stack.up()
    held_first = held(engine, stack)
    # Two more Sessions, whose creates wait for `running` when the whole run is killed.
    qpu.configure(start_delay=60)
    stack.set_config("count", auto.ConfigValue("3"))
    run = engine.start_detached(stack, "up", PROGRAM)
    wait_for(lambda: len(qpu.sessions()) == 3, run)
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate()

    # The provider exits with its engine: no create renews its creating tag any more.
    time.sleep(3)  # the watchdog looks every second
    beating = creating_tags(qpu)
    assert sum(bool(tags) for tags in beating.values()) == 2, beating
    time.sleep(STALE_AFTER + 1)
    assert creating_tags(qpu) == beating, "a create of the killed run is still beating"

    engine.pulumi(stack, "cancel", "--yes")
    assert held(engine, stack) == held_first
    printed: list[str] = []
    stack.destroy(on_output=printed.append)
    assert live_sessions(qpu) == [], "\n".join(printed)
    assert "left running by an interrupted create of this stack" in "\n".join(printed)


def test_state_delete_then_up_names_the_session_left_running(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    stack = engine.stack(fleet, config={"count": "1"})
    first = stack.up().outputs["ids"].value["s000"]
    urn = engine.resources(stack)[0]["urn"]
    engine.pulumi(stack, "state", "delete", urn, "--yes")
    printed: list[str] = []
    second = stack.up(on_output=printed.append).outputs["ids"].value["s000"]
    assert second != first
    text = "\n".join(printed)
    assert first in text
    command = f"qpu-leftovers --end --force --session {first}"
    assert command in text
    assert {s["id"] for s in live_sessions(qpu)} == {first, second}

    # The command named ends it; without --force it is refused (no tag: a state may hold it).
    refused = qpu_leftovers(engine, "--end", "--session", first)
    assert refused.returncode == 2
    assert f"{first}: not ended: it carries no creating tag" in refused.stdout
    ended = qpu_leftovers(engine, *command.split()[1:])
    assert ended.returncode == 0, ended.stdout + ended.stderr
    assert {s["id"] for s in live_sessions(qpu)} == {second}
    assert held(engine, stack) == {second}


def test_retained_replacements_never_block_the_next_up(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    stack = engine.stack(fleet, config={"count": "1", "retain": "true"})
    ids = [stack.up().outputs["ids"].value["s000"]]
    urn = engine.resources(stack)[0]["urn"]
    # Each replacement leaves the old session running (retain_on_delete) on the chain of
    # this resource's deduplication ids: more than the 5 steps the walk used to allow.
    for _ in range(6):
        ids.append(stack.up(replace=[urn]).outputs["ids"].value["s000"])
    assert len(set(ids)) == len(ids)
    assert {s["id"] for s in live_sessions(qpu)} == set(ids)
    assert held(engine, stack) == {ids[-1]}
