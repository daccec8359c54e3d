"""A create whose wait for ``running`` cannot read the API until its timeout, in the real host.

The fault matrix itself (50 Sessions up, previewed, updated and destroyed under every
fault at once) runs through the real Pulumi CLI:
tests/e2e/test_faults_and_scale.py::test_fifty_sessions_survive_every_fault."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.provider import SessionProvider
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
@pytest.mark.timeout(120)
def test_create_whose_wait_cannot_read_the_api_until_its_timeout_leaves_no_session_running(
    host: ProviderHost, qpu: RunningEmulator, fault: dict[str, Any]
) -> None:
    # The POST succeeds; every poll of the wait for running then fails, past the
    # client's retries (which alone no longer end a wait) and until create_timeout.
    # Create fails, and the engine records nothing: a session left running now would be
    # in no state and bill on.
    qpu.set_faults(script=[{**fault, "route": GET_ONE, "count": 100_000}])
    checked = host.check(
        URN,
        {},
        {
            "__provider": PROVIDER,
            "platform_id": PLATFORM_ID,
            "resource_key": "p/s/r",
            "create_timeout": "3s",
        },
    )
    with pytest.raises(HostCallError, match="the API could not be read for"):
        host.create(URN, checked.inputs)
    assert len(qpu.sessions()) == 1
    assert live_by_name(qpu) == {}, "the failed create left its session running"
