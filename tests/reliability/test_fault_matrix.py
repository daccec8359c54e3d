"""The fault matrix: 50 Sessions up, updated and destroyed through the real provider host
while the emulator injects every fault it has, with its own records as the oracle."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.provider import SessionProvider
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from tests.reliability.faults import FaultLedger
from tests.reliability.helpers import (
    Figures,
    assert_one_live_session_each,
    count_retries,
    fleet,
    gone_on_retry,
    live_by_name,
    logging_env,
    parallel_destroy,
    repeated_names,
    retry_waits,
    static_diffs,
    until_converged,
)
from tests.support.emulator import EmulatorFactory, RunningEmulator
from tests.support.engine import MockEngine, RunResult
from tests.support.host import HostCallError, ProviderHost

COUNT = 50
SEED = 6
RATES = {"error_rate": 0.20, "throttle_rate": 0.10, "reset_rate": 0.05}
DROP_RATE = 0.05
LATENCY = 0.005  # seconds added to every request
RETRY_AFTER = 1  # the emulator's smallest Retry-After that still makes the client wait
NAMES = [f"s{i:03d}" for i in range(COUNT)]
URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PLATFORM_ID = "3cd822eb-ac66-53d6-91da-09695149edc2"  # EMU-AER-16C-128M, stable uuid5
PROVIDER = serialize_provider(SessionProvider())


@pytest.mark.timeout(170)
def test_fifty_sessions_survive_every_fault(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = emulator_factory(seed=SEED, start_delay=0.2, stop_delay=0.1, log_level="info")
    figures = Figures("fault_matrix")
    with ProviderHost(logging_env(emulator, tmp_path)) as host:
        engine = MockEngine(host, tmp_path / "state.json")
        emulator.set_faults(
            **RATES, drop_create_rate=DROP_RATE, retry_after=RETRY_AFTER, latency=LATENCY
        )
        ledger = FaultLedger(emulator, seed=SEED)
        ledger.start(**RATES)
        seen_retries: Counter[str] = Counter()
        seen_gone = seen_static = 0
        made_before = 0

        def record(step: str, runs: int, failures: list[str]) -> None:
            nonlocal seen_retries, seen_gone, seen_static, made_before
            # Counted over the whole log and differenced: stdout and stderr are kept
            # apart by the host fixture, so an offset into their concatenation would drift.
            logs = host.logs()
            retries = count_retries(logs) - seen_retries
            gone, static = gone_on_retry(logs) - seen_gone, static_diffs(logs) - seen_static
            seen_retries += retries
            seen_gone += gone
            seen_static += static
            made = len(emulator.sessions())
            live = live_by_name(emulator)
            faults = ledger.step()
            # The replay of the seed must agree with what the emulator logged.
            assert faults.replies_by_status.get(503, 0) == faults.errors
            assert faults.replies_by_status.get(429, 0) == faults.throttles
            figures.add(
                step,
                runs=runs,
                failed_provider_calls=len(failures),
                failures=failures,
                **faults.as_dict(),
                retries_spent=sum(retries.values()),
                retries_by_cause=dict(retries),
                delete_404_after_dropped_reply=gone,
                static_diffs=static,
                sessions_created=made - made_before,
                live_after=sum(len(ids) for ids in live.values()),
                lost=len([n for n in NAMES if not live.get(n)]) if step != "destroy" else 0,
                duplicated=sum(len(ids) - 1 for ids in live.values() if len(ids) > 1),
            )
            made_before = made
            if not failures:
                # Every fault met cost exactly one retry, except the last fault of a diff's
                # read that gave up (planned from state instead): none got through.
                assert sum(retries.values()) + static == faults.injected

        # --- up: exactly one live session per resource, the one in state -----------
        failures: list[str] = []
        runs = until_converged(lambda: engine.up(fleet(COUNT, tags=["v1"])), failures)
        record("up", runs, failures)
        ids_after_up = assert_one_live_session_each(emulator, engine, NAMES)
        # A failed create may have made (and then ended) one session; nothing else may.
        made_by_up = len(emulator.sessions())
        assert made_by_up <= COUNT + len(failures), repeated_names(emulator)

        # --- preview of the same program: faults never plan a replacement --------------
        failures = []
        plans: list[RunResult] = []
        unchanged = fleet(COUNT, tags=["v1"])
        runs = until_converged(lambda: plans.append(engine.preview(unchanged)), failures)
        record("preview", runs, failures)
        assert len(plans[-1].ops("same")) == COUNT
        assert assert_one_live_session_each(emulator, engine, NAMES) == ids_after_up

        # --- update of all: in place, same sessions, every one changed --------------
        failures = []
        runs = until_converged(lambda: engine.up(fleet(COUNT, tags=["v2"])), failures)
        record("update", runs, failures)
        assert assert_one_live_session_each(emulator, engine, NAMES) == ids_after_up
        by_id = {s["id"]: s["wire"] for s in emulator.sessions()}
        assert all(by_id[id_]["tags"] == ["v2"] for id_ in ids_after_up.values())
        assert len(by_id) == made_by_up  # an update creates nothing

        # --- destroy: nothing live, state empty ---------------------------------------
        failures = []
        runs = until_converged(lambda: parallel_destroy(engine), failures)
        record("destroy", runs, failures)
        assert live_by_name(emulator) == {}
        assert engine.state() == {}
        assert engine.pending_deletes() == []
        assert len(emulator.sessions()) == made_by_up
        logs = host.logs()
        assert emulator.secret_key not in logs
        # Every 429 was waited out for its Retry-After, no less.
        throttled = retry_waits(logs, "429 too_many_requests")
        assert throttled
        assert min(throttled) >= RETRY_AFTER
        figures.add("all", seconds_waited_on_429=round(sum(throttled), 2))
    figures.publish()


GET_ONE = "GET /qaas/v1alpha1/sessions/{session_id}"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "error", "status": 503},
        {"kind": "throttle", "retry_after": 0},
        {"kind": "reset"},
    ],
    ids=["5xx", "429", "reset"],
)
@pytest.mark.timeout(120)  # ten attempts of full-jitter backoff: at most ~40 s
def test_create_whose_wait_fails_after_its_retries_leaves_no_session_running(
    host: ProviderHost, qpu: RunningEmulator, fault: dict[str, Any]
) -> None:
    # The POST succeeds; every poll of the wait for running then fails until the
    # client's retries are spent. Create fails, and the engine records nothing: a
    # session left running now would be in no state and bill on.
    attempts = PULUMI_RETRY_POLICY.max_attempts
    qpu.set_faults(script=[{**fault, "route": GET_ONE, "count": attempts}])
    checked = host.check(
        URN, {}, {"__provider": PROVIDER, "platform_id": PLATFORM_ID, "resource_key": "p/s/r"}
    )
    with pytest.raises(HostCallError):
        host.create(URN, checked.inputs)
    assert len(qpu.sessions()) == 1
    assert live_by_name(qpu) == {}, "the failed create left its session running"
