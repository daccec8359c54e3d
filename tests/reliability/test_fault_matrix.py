"""A create whose wait for ``running`` fails after its retries, in the real provider host.

The fault matrix itself (50 Sessions up, previewed, updated and destroyed under every
fault at once) runs through the real Pulumi CLI:
tests/e2e/test_faults_and_scale.py::test_fifty_sessions_survive_every_fault."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.provider import SessionProvider
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from tests.reliability.helpers import live_by_name
from tests.support.emulator import RunningEmulator
from tests.support.host import HostCallError, ProviderHost

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PLATFORM_ID = "3cd822eb-ac66-53d6-91da-09695149edc2"  # EMU-AER-16C-128M, stable uuid5
PROVIDER = serialize_provider(SessionProvider())
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
