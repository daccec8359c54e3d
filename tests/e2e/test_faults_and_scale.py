"""The fault matrix and a 200-Session program, through the real CLI.

Under faults (5xx, 429 with Retry-After, connection resets, creates stored but never
answered) an up, an update and a destroy must end with 0 sessions lost, 0 duplicated and
0 left live; a run that fails is run again, as a user would, until it converges.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.e2e.programs import fleet
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e]

FAULTS = {
    "error_rate": 0.15,
    "throttle_rate": 0.05,
    "retry_after": 1,
    "reset_rate": 0.03,
    "drop_create_rate": 0.05,
}
MAX_RUNS = 3


def converge(operation: Any, **kwargs: Any) -> Any:
    """Run ``operation`` until it succeeds (at most MAX_RUNS), as a user re-runs a failure."""
    from pulumi import automation as auto

    for attempt in range(1, MAX_RUNS + 1):
        try:
            return operation(**kwargs)
        except auto.CommandError:
            if attempt == MAX_RUNS:
                raise
    raise AssertionError("unreachable")


@pytest.mark.timeout(600)
def test_twenty_sessions_survive_every_fault(engine: RealEngine, qpu: RunningEmulator) -> None:
    count = 20
    qpu.configure(start_delay=0.2, stop_delay=0.1)
    stack = engine.stack(fleet, config={"count": str(count), "tag": "v1"})
    qpu.set_faults(**FAULTS)

    up = converge(stack.up)
    ids = up.outputs["ids"].value
    live = live_sessions(qpu)
    assert sorted(s["id"] for s in live) == sorted(ids.values()), "one live session each"
    assert len(ids) == count

    from pulumi import automation as auto

    stack.set_config("tag", auto.ConfigValue("v2"))
    converge(stack.up)
    assert sorted(s["id"] for s in live_sessions(qpu)) == sorted(ids.values()), "updated in place"
    assert all(s["tags"] == ["v2"] for s in live_sessions(qpu))

    converge(stack.destroy)
    qpu.set_faults()
    assert live_sessions(qpu) == []
    # Nothing duplicated: every session the API ever made belongs to one resource, and
    # the ones made by lost replies (creates stored but never answered) were got back.
    made = Counter(s["name"] for s in qpu.sessions())
    assert len(qpu.sessions()) == count, f"sessions made: {made}"


@pytest.mark.timeout(900)
def test_two_hundred_sessions_up_no_op_up_and_destroy(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    count = 200
    qpu.configure(start_delay=0.1, stop_delay=0.05)
    stack = engine.stack(fleet, config={"count": str(count)})
    up = stack.up()
    assert up.summary.resource_changes.get("create") == count + 1  # and the stack
    assert len(live_sessions(qpu)) == count

    again = stack.up()
    assert again.summary.resource_changes.get("same") == count + 1
    assert set(again.summary.resource_changes) == {"same"}

    stack.destroy()
    assert live_sessions(qpu) == []
    assert len(qpu.sessions()) == count
