"""The emulator restarted on its state file: between an up and a destroy, and in the
middle of an up (the requests in flight cut, new ones refused for a moment).

Each test has an emulator of its own (a restart would disturb the shared one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.programs import fleet
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import EmulatorFactory, RunningEmulator
from tests.support.front_door import FrontDoor

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

MAX_RUNS = 3


@pytest.fixture
def persistent(emulator_factory: EmulatorFactory, tmp_path: Path) -> RunningEmulator:
    """A dedicated emulator on a state file, so that a restart loses nothing."""
    return emulator_factory(state_file=tmp_path / "qaas.sqlite", start_delay=0.3, stop_delay=0.1)


@pytest.fixture
def engine_on(
    engine_for: Callable[[RunningEmulator], RealEngine], persistent: RunningEmulator
) -> RealEngine:
    """Stacks run by the real CLI against ``persistent``."""
    return engine_for(persistent)


def test_emulator_restart_between_up_and_destroy_loses_nothing(
    front_door: FrontDoor, engine_on: RealEngine, persistent: RunningEmulator
) -> None:
    count = 3
    stack = engine_on.stack(fleet, config={"count": str(count)})
    stack.up()
    before = sorted(s["id"] for s in live_sessions(persistent))
    persistent.restart()
    assert sorted(s["id"] for s in live_sessions(persistent)) == before
    # The Sessions, the stack (and the dynamic provider's sweeper).
    assert stack.preview().change_summary == {"same": count + 1 + front_door.helpers}
    stack.refresh(expect_no_changes=True)
    stack.destroy()
    assert live_sessions(persistent) == []
    assert len(persistent.sessions()) == count


def test_emulator_restart_in_the_middle_of_an_up_converges_to_one_session_each(
    front_door: FrontDoor, engine_on: RealEngine, persistent: RunningEmulator
) -> None:
    from pulumi import automation as auto

    count = 12
    stack = engine_on.stack(fleet, config={"count": str(count)})
    made_at_restart: list[int] = []

    def restart_amid_creates() -> None:
        deadline = time.monotonic() + 60
        while len(persistent.sessions()) < count // 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        made_at_restart.append(len(persistent.sessions()))
        persistent.restart()

    restarter = threading.Thread(target=restart_amid_creates, daemon=True)
    restarter.start()
    failed_runs = 0
    try:
        for _ in range(MAX_RUNS):  # a failed run is run again, as a user would
            try:
                ids = set(stack.up().outputs["ids"].value.values())
                break
            except auto.CommandError:
                failed_runs += 1
        else:
            raise AssertionError(f"did not converge in {MAX_RUNS} runs")
    finally:
        restarter.join(timeout=60)
    print(f"restart at {made_at_restart} sessions, failed runs {failed_runs}")
    assert made_at_restart, "the restart never came"
    assert made_at_restart[0] < count, "the restart came after the up"
    assert {s["id"] for s in live_sessions(persistent)} == ids
    assert len(ids) == count
    if not failed_runs:
        assert len(persistent.sessions()) == count, "a session was made twice"
