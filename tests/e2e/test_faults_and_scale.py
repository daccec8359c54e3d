"""The fault matrix and a 200-Session program, through the real CLI.

Under every fault at once (5xx, 429 with Retry-After, connection resets, creates stored
but never answered) an up, a preview, an update and a destroy of 50 Sessions end with 0
sessions lost, 0 duplicated and 0 left live; a run that fails is run again, as a user
would, until it converges. The emulator's own records are the oracle, and its seeded
fault generator and access log say how many faults each step met
(tests/reliability/faults.py); the figures are in docs/reliability.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.programs import fleet
from tests.reliability.faults import FaultLedger
from tests.reliability.helpers import Figures, logging_env
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import EmulatorFactory, RunningEmulator

pytestmark = [pytest.mark.e2e]

COUNT = 50
SEED = 6
RATES = {"error_rate": 0.20, "throttle_rate": 0.10, "reset_rate": 0.05}
FAULTS = {**RATES, "drop_create_rate": 0.05, "retry_after": 1, "latency": 0.005}
MAX_RUNS = 3
# The CLI prints the host's stderr twice: in the progress lines (after a resource's
# name) and again, alone on an indented line, under "Diagnostics": those are counted.
RETRY_LINE = re.compile(r"^\s+qpu-log pulumi_qpu\.retry ", re.MULTILINE)  # one per retry
# A diff whose live read gave up after its retries, so it planned from state alone.
STATIC_DIFF = re.compile(r"^\s+qpu: could not read session ", re.MULTILINE)
# A poll of a wait that gave up after its retries: the wait polls on, on its schedule.
POLL_GIVEN_UP = re.compile(
    r"^\s+qpu-log pulumi_qpu\.client session \S+: a poll failed after its retries", re.MULTILINE
)


def converge(operation: Callable[..., Any], printed: list[str]) -> tuple[Any, int]:
    """Run ``operation`` until it succeeds (at most MAX_RUNS), as a user re-runs a
    failure; its result and the runs it took. The CLI's output goes to ``printed``."""
    from pulumi import automation as auto

    for attempt in range(1, MAX_RUNS + 1):
        try:
            return operation(on_output=printed.append), attempt
        except auto.CommandError:
            if attempt == MAX_RUNS:
                raise
    raise AssertionError("unreachable")


@pytest.mark.timeout(600)
def test_fifty_sessions_survive_every_fault(
    emulator_factory: EmulatorFactory,
    engine_for: Callable[[RunningEmulator], RealEngine],
    tmp_path: Path,
) -> None:
    from pulumi import automation as auto

    qpu = emulator_factory(seed=SEED, start_delay=0.2, stop_delay=0.1, log_level="info")
    engine = engine_for(qpu)
    # The client's retries are logged in the provider host; the CLI prints its stderr.
    engine.extra_env["PYTHONPATH"] = logging_env(qpu, tmp_path)["PYTHONPATH"]
    stack = engine.stack(fleet, config={"count": str(COUNT), "tag": "v1"})
    qpu.set_faults(**FAULTS)
    ledger = FaultLedger(qpu, seed=SEED)
    ledger.start(**RATES)
    figures = Figures("fault_matrix_real_engine")

    def record(step: str, runs: int, printed: list[str]) -> None:
        text = "\n".join(printed)
        faults = ledger.step()
        live = live_sessions(qpu)
        retries, static = len(RETRY_LINE.findall(text)), len(STATIC_DIFF.findall(text))
        polls_given_up = len(POLL_GIVEN_UP.findall(text))
        figures.add(
            step,
            runs=runs,
            **faults.as_dict(),
            retries_spent=retries,
            static_diffs=static,
            sessions_created=len(qpu.sessions()),
            live_after=len(live),
        )
        # The replay of the seed agrees with what the emulator logged.
        assert faults.replies_by_status.get(503, 0) == faults.errors
        assert faults.replies_by_status.get(429, 0) == faults.throttles
        if runs == 1:
            # Every fault cost exactly one retry, except the last fault of a diff's read
            # that gave up (planned from state instead) and of a wait's poll that gave up
            # (the wait polls on): none got through.
            assert retries + static + polls_given_up == faults.injected, text[-3000:]

    printed: list[str] = []
    up, runs = converge(stack.up, printed)
    record("up", runs, printed)
    ids = up.outputs["ids"].value
    assert sorted(s["id"] for s in live_sessions(qpu)) == sorted(ids.values()), "one each"
    assert len(ids) == COUNT
    made_by_up = len(qpu.sessions())
    if runs == 1:  # a failed create may have made (and ended) a session; nothing else may
        assert made_by_up == COUNT

    printed = []
    plan, runs = converge(stack.preview, printed)
    record("preview", runs, printed)
    # The Sessions, the stack and its leftover sweeper.
    assert plan.change_summary == {"same": COUNT + 2}, "a fault planned a change"

    stack.set_config("tag", auto.ConfigValue("v2"))
    printed = []
    _, runs = converge(stack.up, printed)
    record("update", runs, printed)
    live = live_sessions(qpu)
    assert sorted(s["id"] for s in live) == sorted(ids.values()), "updated in place"
    assert all(s["tags"] == ["v2"] for s in live)
    assert len(qpu.sessions()) == made_by_up

    printed = []
    _, runs = converge(stack.destroy, printed)
    record("destroy", runs, printed)
    assert live_sessions(qpu) == []
    assert engine.resources(stack) == []
    assert len(qpu.sessions()) == made_by_up
    qpu.set_faults()
    figures.publish()


@pytest.mark.timeout(900)
def test_two_hundred_sessions_up_no_op_up_and_destroy(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    count = 200
    qpu.configure(start_delay=0.1, stop_delay=0.05)
    stack = engine.stack(fleet, config={"count": str(count)})
    up = stack.up()
    # And the stack and its leftover sweeper.
    assert up.summary.resource_changes.get("create") == count + 2
    assert len(live_sessions(qpu)) == count

    again = stack.up()
    assert again.summary.resource_changes.get("same") == count + 2
    assert set(again.summary.resource_changes) == {"same"}

    stack.destroy()
    assert live_sessions(qpu) == []
    assert len(qpu.sessions()) == count
