"""The client under every fault the emulator injects.

For each fault kind (5xx, 429 with Retry-After, latency, connection reset,
commit-then-drop): the client succeeds where retrying is allowed, never makes a
duplicate session — the emulator's own records (``emulator.sessions()``) are the oracle —
and raises the right typed error where it must not retry.
"""

from __future__ import annotations

import time

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import (
    ConnectionFailedError,
    RequestTimeoutError,
    ServerError,
    TransientStateError,
)
from pulumi_qpu.models import SessionStatus
from pulumi_qpu.retry import RetryPolicy, Timeouts
from tests.client.conftest import ClientFactory, FakeTime, many_attempts
from tests.support.emulator import RunningEmulator

CREATE = "POST /qaas/v1alpha1/sessions"
GET = "GET /qaas/v1alpha1/sessions/{session_id}"
PATCH = "PATCH /qaas/v1alpha1/sessions/{session_id}"
TERMINATE = "POST /qaas/v1alpha1/sessions/{session_id}/terminate"
DELETE = "DELETE /qaas/v1alpha1/sessions/{session_id}"


def script(
    emulator: RunningEmulator, kind: str, route: str, count: int = 1, **extra: object
) -> None:
    emulator.set_faults(script=[{"kind": kind, "route": route, "count": count, **extra}])


def live_sessions(emulator: RunningEmulator) -> list[dict[str, object]]:
    return [s for s in emulator.sessions() if not s.get("deleted_at")]


# --- 5xx ----------------------------------------------------------------------------


def test_5xx_on_a_read_is_retried_until_it_succeeds(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "error", GET, count=2)
    assert client.get_session(session.id).id == session.id
    assert emulator.counters()[GET] == 3


def test_5xx_on_create_with_deduplication_id_is_retried_to_one_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "error", CREATE, count=2, status=502)
    client.create_session(platform_id=platform_id, deduplication_id="once")
    assert len(emulator.sessions()) == 1


def test_5xx_on_create_without_deduplication_id_is_raised_at_once(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "error", CREATE)
    with pytest.raises(ServerError):
        client.create_session(platform_id=platform_id)
    assert emulator.counters()[CREATE] == 1


def test_5xx_that_never_ends_is_raised_after_the_last_attempt(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=4))
    session = client.create_session(platform_id=platform_id)
    emulator.set_faults(error_rate=1.0)
    with pytest.raises(ServerError) as info:
        client.get_session(session.id)
    assert (info.value.attempts, emulator.counters()[GET]) == (4, 4)


def test_retries_back_off_with_jitter_between_attempts(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "error", GET, count=3)
    client.get_session(session.id)
    bounds = [0.25, 0.5, 1.0]  # initial_backoff doubling
    assert all(0 <= s <= b for s, b in zip(fake_time.sleeps, bounds, strict=True))


# --- 409 transient_state ------------------------------------------------------------


def test_transient_state_on_terminate_is_retried(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "error", TERMINATE, status=409, type="transient_state")
    assert client.terminate_session(session.id).status is not SessionStatus.STARTING


def test_transient_state_on_create_without_deduplication_id_is_raised(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "error", CREATE, status=409, type="transient_state")
    with pytest.raises(TransientStateError):
        client.create_session(platform_id=platform_id)


# --- 429 ----------------------------------------------------------------------------


def test_429_waits_the_retry_after_the_server_gives(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "throttle", GET, retry_after=7)
    client.get_session(session.id)
    assert fake_time.sleeps == [7.0]


def test_429_on_create_without_deduplication_id_is_retried_to_one_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    # A 429 is refused before processing, so even a plain create may try again.
    script(emulator, "throttle", CREATE, count=2)
    client.create_session(platform_id=platform_id)
    assert (len(emulator.sessions()), emulator.counters()[CREATE]) == (1, 3)


def test_retry_after_longer_than_the_deadline_is_raised_without_waiting(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    client = make_client(retry=RetryPolicy(deadline=5.0))
    session = client.create_session(platform_id=platform_id)
    script(emulator, "throttle", GET, retry_after=30)
    with pytest.raises(Exception, match="429"):
        client.get_session(session.id)
    assert fake_time.sleeps == []


# --- latency ------------------------------------------------------------------------


def test_latency_under_the_read_timeout_is_tolerated(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(timeouts=Timeouts(read=2.0))
    session = client.create_session(platform_id=platform_id)
    emulator.set_faults(latency=0.2)
    assert client.get_session(session.id).id == session.id


def test_latency_over_the_read_timeout_is_a_request_timeout(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(timeouts=Timeouts(read=0.05), retry=RetryPolicy(max_attempts=2))
    session = client.create_session(platform_id=platform_id)
    emulator.set_faults(latency=0.3)
    with pytest.raises(RequestTimeoutError) as info:
        client.get_session(session.id)
    assert info.value.attempts == 2


def test_read_timeout_on_create_without_deduplication_id_is_not_retried(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(timeouts=Timeouts(read=0.05))
    emulator.set_faults(latency=0.3)
    with pytest.raises(RequestTimeoutError):
        client.create_session(platform_id=platform_id)
    settle(emulator, attempts=1, latency=0.3)  # so nothing lands in the next test
    assert emulator.counters()[CREATE] == 1


def test_read_timeouts_on_create_with_deduplication_id_never_make_two_sessions(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    # Every attempt times out client-side; whether the server still carries one out
    # (a real one might; the emulator drops work whose client left) the retries of a
    # deduplicated create cannot add a second session.
    client = make_client(timeouts=Timeouts(read=0.1), retry=RetryPolicy(max_attempts=3))
    emulator.set_faults(latency=0.3)
    with pytest.raises(RequestTimeoutError):
        client.create_session(platform_id=platform_id, deduplication_id="slow")
    settle(emulator, attempts=3, latency=0.3)
    assert len(emulator.sessions()) <= 1


def settle(emulator: RunningEmulator, *, attempts: int, latency: float) -> None:
    """Wait (bounded) until the emulator has finished the requests the client gave up on."""
    deadline = time.monotonic() + 5.0
    while emulator.counters().get(CREATE, 0) < attempts and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(latency + 0.2)


# --- connection reset ---------------------------------------------------------------


def test_reset_on_a_read_is_retried_until_it_succeeds(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "reset", GET, count=2)
    assert client.get_session(session.id).id == session.id


def test_reset_on_create_without_deduplication_id_is_raised(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "reset", CREATE)
    with pytest.raises(ConnectionFailedError):
        client.create_session(platform_id=platform_id)
    assert emulator.counters()[CREATE] == 1


def test_reset_on_create_with_deduplication_id_is_retried_to_one_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "reset", CREATE, count=2)
    client.create_session(platform_id=platform_id, deduplication_id="reset")
    assert len(emulator.sessions()) == 1


# --- commit-then-drop ---------------------------------------------------------------


def test_dropped_create_with_deduplication_id_returns_the_committed_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "drop", CREATE)
    session = client.create_session(platform_id=platform_id, deduplication_id="dropped")
    assert [s["id"] for s in emulator.sessions()] == [session.id]


def test_dropped_create_without_deduplication_id_is_raised_not_repeated(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    script(emulator, "drop", CREATE)
    with pytest.raises(ConnectionFailedError):
        client.create_session(platform_id=platform_id)
    assert (len(emulator.sessions()), emulator.counters()[CREATE]) == (1, 1)


def test_every_create_dropped_still_makes_one_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    emulator.set_faults(drop_create_rate=1.0)
    with pytest.raises(ConnectionFailedError):
        client.create_session(platform_id=platform_id, deduplication_id="always-dropped")
    assert len(emulator.sessions()) == 1


def test_dropped_delete_is_retried_and_its_404_counts_as_done(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "drop", DELETE)
    client.delete_session(session.id)
    assert (live_sessions(emulator), emulator.counters()[DELETE]) == ([], 2)


def test_dropped_terminate_is_retried(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "drop", TERMINATE)
    assert client.terminate_session(session.id).status in (
        SessionStatus.STOPPING,
        SessionStatus.STOPPED,
    )


def test_dropped_update_is_retried_with_the_same_result(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session = client.create_session(platform_id=platform_id)
    script(emulator, "drop", PATCH)
    assert client.update_session(session.id, name="renamed").name == "renamed"


# --- everything at once -------------------------------------------------------------


def test_fault_storm_never_makes_a_duplicate(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(retry=many_attempts())
    emulator.set_faults(error_rate=0.2, reset_rate=0.1, throttle_rate=0.1, drop_create_rate=0.3)
    for index in range(20):
        client.create_session(platform_id=platform_id, deduplication_id=f"storm-{index}")
    dedup_ids = sorted(str(s["deduplication_id"]) for s in emulator.sessions())
    assert dedup_ids == sorted(f"storm-{index}" for index in range(20))
