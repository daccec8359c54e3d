"""Sessions no state holds, found and ended with ``qpu-leftovers`` as a user runs it (the
console script, the credentials in the environment); the emulator's records are the
oracle.

A `pulumi up` SIGKILLed while its creates wait for `running` (its process group: the
provider host, in a group of its own, exits with its engine), then `pulumi cancel`: the
state holds pending creates and no session, the sessions made keep a creating tag that
no longer changes. ``qpu-leftovers`` lists them; ``--end`` ends them. (``pulumi state
delete`` and ``--end --force``: tests/e2e/test_adversary.py.)
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.identity import CREATING_TAG, new_run, obtain_session, stack_hash
from tests.support.cli import RealEngine, live_sessions, qpu_leftovers
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

COUNT = 6
UNDER_WAY = 4  # the provider host runs 4 creates at once: the kill finds 4 waiting
PLATFORM = "EMU-AER-16C-128M"


def tagged(qpu: RunningEmulator) -> set[str]:
    return {
        s["id"]
        for s in live_sessions(qpu)
        if any(tag.startswith(CREATING_TAG) for tag in s["tags"] or ())
    }


def test_up_killed_mid_create_then_cancelled_leaves_sessions_qpu_leftovers_lists_and_ends(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from tests.e2e.programs import fleet

    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        platform = client.find_platform(PLATFORM)
        # Not this stack's: a session a state holds, and another stack's leftover.
        kept = client.create_session(platform_id=platform.id, name="kept")
        inputs = {
            "platform_id": platform.id,
            "project_id": qpu.project_id,
            "resource_key": "organization/qpu-test/other/s",
        }
        request = {"platform_id": platform.id, "project_id": qpu.project_id}
        other = obtain_session(client, request, inputs, lambda _line: None, run=new_run())

    # Slow starts, so that the kill lands while every create waits for `running`.
    qpu.configure(start_delay=30)
    stack = engine.stack(fleet, config={"count": str(COUNT)})
    run = engine.start_detached(stack, "up", "tests.e2e.programs:fleet")
    deadline = time.monotonic() + 120
    while len(qpu.sessions()) < 2 + UNDER_WAY and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0]
    engine.pulumi(stack, "cancel", "--yes")
    assert engine.resources(stack) == [], "no state holds what the killed run made"
    made = tagged(qpu) - {other.id}
    assert len(made) == UNDER_WAY, output
    name = engine.pulumi(stack, "stack", "--show-name", "-Q").stdout.strip()
    assert name == "organization/qpu-test/test"

    # Dry run: every tagged session the killed run made, and nothing ended.
    dry = qpu_leftovers(engine, "--stack", name, "--json")
    assert dry.returncode == 1, dry.stderr
    document = json.loads(dry.stdout)
    assert {row["session_id"] for row in document["leftovers"]} == made
    assert {row["stack"] for row in document["leftovers"]} == {stack_hash(name)}
    assert {row["platform_name"] for row in document["leftovers"]} == {PLATFORM}
    assert tagged(qpu) == made | {other.id}

    # Without --stack, the other stack's leftover is listed too; the held session never.
    everything = qpu_leftovers(engine)
    assert everything.returncode == 1, everything.stderr
    for session_id in made | {other.id}:
        assert session_id in everything.stdout
    assert kept.id not in everything.stdout

    ended = qpu_leftovers(engine, "--end", "--stack", name)
    assert ended.returncode == 0, ended.stdout + ended.stderr
    assert f"ended {UNDER_WAY} of {UNDER_WAY}" in ended.stdout
    assert {s["id"] for s in live_sessions(qpu)} == {kept.id, other.id}
    assert qpu_leftovers(engine, "--stack", name).returncode == 0, "nothing of it is left"
    assert qpu.secret_key not in dry.stdout + dry.stderr + ended.stdout + ended.stderr
