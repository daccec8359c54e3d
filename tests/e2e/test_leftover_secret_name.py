"""An up killed while creating a Session whose name is secret, then ``pulumi destroy``
(found by the random walk).

The stack's leftover sweeper ends the session the killed create left, as it should, and
says so. The name was declared with ``pulumi.Output.secret``, and the engine prints
provider lines as they are: the line used to name the session (``qpu: ended leftover
session <id> (<its name>)``), so the secret was in the CLI's output in clear (W3 in
docs/reliability.md). It now names the id only.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.walk.program import PROGRAM, SECRET, declare, program
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NAME = "leftover-name-that-must-stay-secret"


def test_destroy_after_a_killed_up_never_prints_the_secret_name_of_the_leftover_it_ends(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(program, project="qpu-walk", name="ci")
    resources = {"s": {"platform_name": "EMU-AER-16C-128M", "name": {SECRET: "name"}}}
    declare(stack, resources, {"name": NAME})
    # A slow start, so that the kill lands while the create waits for `running`.
    qpu.configure(start_delay=30)
    run = engine.start_detached(stack, "up", PROGRAM)
    deadline = time.monotonic() + 120
    while not qpu.sessions() and time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)
    killed_output = run.communicate()[0]
    assert NAME not in killed_output
    engine.pulumi(stack, "cancel", "--yes")

    printed: list[str] = []
    stack.destroy(on_output=printed.append)
    assert live_sessions(qpu) == [], "the sweeper ends the leftover"
    output = "\n".join(printed)
    assert NAME not in output, "the secret name is in the CLI's output in clear"
