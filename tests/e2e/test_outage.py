"""The API goes down while ``pulumi up`` waits for its sessions to run, through the real CLI.

An outage longer than one call's retries (the provider's 10 attempts) but shorter than
the wait's ``create_timeout`` must not fail the ``up``: the waits poll on until the API
answers again, and each resource ends up with the one session it started.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_qpu.identity import is_creating_tag
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from tests.e2e.programs import fleet
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import EmulatorFactory, RunningEmulator
from tests.support.front_door import FrontDoor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

COUNT = 3


def longest_retries() -> float:
    """The longest one call of the provider's can spend retrying: every backoff at its bound."""
    policy = dataclasses.replace(PULUMI_RETRY_POLICY, jitter=False)
    return sum(policy.backoff(attempt) for attempt in range(1, policy.max_attempts))


# Longer than any one poll's retries (39.75 s), far shorter than create_timeout (600 s).
OUTAGE = longest_retries() + 5


def test_an_api_outage_longer_than_the_retries_while_sessions_start_still_gives_one_each(
    front_door: FrontDoor,
    emulator_factory: EmulatorFactory,
    engine_for: Callable[[RunningEmulator], RealEngine],
    tmp_path: Path,
) -> None:
    # A state file, so the sessions outlive the outage; a start long enough that the
    # outage begins while every session is still starting.
    qpu = emulator_factory(state_file=tmp_path / "qaas.sqlite", start_delay=15, stop_delay=0.1)
    stack = engine_for(qpu).stack(fleet, config={"count": str(COUNT)})
    at_outage: list[str] = []

    def outage_once_every_session_exists() -> None:
        deadline = time.monotonic() + 60
        while len(qpu.sessions()) < COUNT and time.monotonic() < deadline:
            time.sleep(0.05)
        at_outage.extend(s["status"] for s in qpu.sessions())
        qpu.outage(OUTAGE)

    outage = threading.Thread(target=outage_once_every_session_exists, daemon=True)
    outage.start()
    try:
        up = stack.up()
    finally:
        outage.join(timeout=OUTAGE + 60)
    assert at_outage == ["starting"] * COUNT, "the outage did not come during the waits"
    ids = sorted(up.outputs["ids"].value.values())
    assert sorted(s["id"] for s in live_sessions(qpu)) == ids
    assert len(qpu.sessions()) == COUNT, "a session was made twice, or one was ended"
    assert {s["status"] for s in qpu.sessions()} == {"running"}
    assert not [t for s in qpu.sessions() for t in s["tags"] if is_creating_tag(t)]
