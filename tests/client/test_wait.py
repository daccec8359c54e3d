"""wait_for_session against the emulator, with time moved by the client's own sleeps.

The client sleeps through :class:`FakeTime`, which advances the emulator's clock by the
same amount, so a 10 s start takes milliseconds and the number of polls is exact.
"""

from __future__ import annotations

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import (
    ConnectionFailedError,
    DeniedAuthenticationError,
    InvalidInputError,
    ServerError,
    SessionEndedError,
    TooManyRequestsError,
    WaitTimeoutError,
)
from pulumi_qpu.models import Session, SessionStatus
from tests.client.conftest import FakeTime
from tests.support.emulator import RunningEmulator

GET = "GET /qaas/v1alpha1/sessions/{session_id}"


def started(client: QaasClient, platform_id: str, emulator: RunningEmulator, delay: float) -> str:
    emulator.configure(start_delay=delay)
    session_id = client.create_session(platform_id=platform_id).id
    emulator.reset_counters()
    return session_id


def test_wait_returns_the_running_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 2.0)
    assert client.wait_for_session(session_id).status is SessionStatus.RUNNING


def test_wait_polls_at_most_25_times_for_a_10_second_start(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 10.0)
    client.wait_for_session(session_id)
    assert emulator.counters()[GET] <= 25


def test_first_poll_is_immediate_and_the_next_fast(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    session_id = started(client, platform_id, emulator, 1.0)
    client.wait_for_session(session_id)
    assert 0.1 <= fake_time.sleeps[0] <= 0.2


def test_wait_on_a_running_session_makes_one_poll(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    session_id = started(client, platform_id, emulator, 0.5)
    emulator.advance(1.0)
    client.wait_for_session(session_id)
    assert (emulator.counters()[GET], fake_time.sleeps) == (1, [])


def test_on_change_is_called_once_per_status_or_progress_change(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 5.0)
    seen: list[tuple[SessionStatus, str | None]] = []
    client.wait_for_session(
        session_id, on_change=lambda s: seen.append((s.status, s.progress_message))
    )
    assert [status for status, _ in seen] == [SessionStatus.STARTING, SessionStatus.RUNNING]
    assert emulator.counters()[GET] > len(seen)


def test_wait_accepts_a_predicate(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 1.0)
    client.terminate_session(session_id)
    stopped = client.wait_for_session(session_id, until=lambda s: s.status is SessionStatus.STOPPED)
    assert stopped.status is SessionStatus.STOPPED


def test_wait_for_stopped_by_status_set(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 1.0)
    client.terminate_session(session_id)
    assert client.wait_for_session(session_id, until={SessionStatus.STOPPED}).status is (
        SessionStatus.STOPPED
    )


def test_session_terminated_while_waiting_for_running_ends_the_wait(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 30.0)

    def terminate_on_first_sight(session: Session) -> None:
        if session.status is SessionStatus.STARTING:
            client.terminate_session(session.id)

    with pytest.raises(SessionEndedError) as info:
        client.wait_for_session(session_id, on_change=terminate_on_first_sight)
    assert info.value.last_status in ("stopping", "stopped")


def test_session_deleted_while_waiting_ends_the_wait(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 30.0)
    with pytest.raises(SessionEndedError, match="deleted"):
        client.wait_for_session(session_id, on_change=lambda s: client.delete_session(s.id))


def test_waiting_on_a_session_that_never_existed_says_it_does_not_exist(
    client: QaasClient,
) -> None:
    with pytest.raises(SessionEndedError) as info:
        client.wait_for_session("00000000-0000-4000-8000-000000000000")
    assert "does not exist" in str(info.value)
    assert "deleted" not in str(info.value)
    assert info.value.last_status is None


def test_stopped_session_fails_a_predicate_wait(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 0.5)
    client.terminate_session(session_id)
    emulator.advance(5.0)
    with pytest.raises(SessionEndedError):
        client.wait_for_session(session_id, until=lambda s: s.waiting_job_count > 0)


def test_timeout_raises_with_the_last_status(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 1000.0)
    with pytest.raises(WaitTimeoutError) as info:
        client.wait_for_session(session_id, timeout=7.0)
    assert info.value.last_status == "starting"
    assert "starting" in str(info.value)


def test_wait_never_sleeps_past_its_deadline(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    session_id = started(client, platform_id, emulator, 1000.0)
    with pytest.raises(WaitTimeoutError):
        client.wait_for_session(session_id, timeout=7.0)
    assert sum(fake_time.sleeps) == pytest.approx(7.0)


def test_session_ready_at_the_deadline_is_returned(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    # The clipped last sleep lands on the deadline, and that last poll still counts.
    session_id = started(client, platform_id, emulator, 7.0)
    assert client.wait_for_session(session_id, timeout=7.0).status is SessionStatus.RUNNING


# --- an API outage during the wait ----------------------------------------------------

# Three polls' worth of failed attempts: more than one call's retries can absorb.
OUTAGE_FAILURES = 15
# Each failure the retry policy calls transient, and the error a caller then sees.
TRANSIENT = {
    "503": ({"kind": "error", "status": 503}, ServerError),
    "429": ({"kind": "throttle", "retry_after": 1}, TooManyRequestsError),
    "connection-reset": ({"kind": "reset"}, ConnectionFailedError),
}


@pytest.mark.parametrize("fault", [fault for fault, _ in TRANSIENT.values()], ids=list(TRANSIENT))
def test_wait_rides_out_an_outage_longer_than_one_calls_retries(
    client: QaasClient, platform_id: str, emulator: RunningEmulator, fault: dict[str, object]
) -> None:
    session_id = started(client, platform_id, emulator, 2.0)
    emulator.set_faults(script=[{**fault, "route": GET, "count": OUTAGE_FAILURES}])
    assert client.wait_for_session(session_id, timeout=600).status is SessionStatus.RUNNING
    # Every scripted failure was met, and then one poll that succeeded.
    assert emulator.counters()[GET] > OUTAGE_FAILURES > client.retry.max_attempts
    assert emulator.faults()["script"] == []


@pytest.mark.parametrize(("fault", "error"), list(TRANSIENT.values()), ids=list(TRANSIENT))
def test_an_outage_that_outlasts_the_wait_says_how_long_the_api_was_unreachable(
    client: QaasClient,
    platform_id: str,
    emulator: RunningEmulator,
    fake_time: FakeTime,
    fault: dict[str, object],
    error: type[Exception],
) -> None:
    session_id = started(client, platform_id, emulator, 1000.0)

    def outage(_: Session) -> None:
        # The API goes away once the first poll has seen the session (status reported).
        emulator.set_faults(script=[{**fault, "route": GET, "count": 100_000}])

    with pytest.raises(error) as info:
        client.wait_for_session(session_id, timeout=60, on_change=outage)
    text = str(info.value)
    assert "the API could not be read for " in text
    assert f"60s wait for session {session_id} to be running ran out" in text
    assert "last status seen: starting" in text
    assert emulator.counters()[GET] > 1 + client.retry.max_attempts


def test_a_denied_poll_ends_the_wait_at_once(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    session_id = started(client, platform_id, emulator, 2.0)
    emulator.set_faults(
        script=[
            {
                "kind": "error",
                "route": GET,
                "status": 401,
                "type": "denied_authentication",
                "count": 1,
            }
        ]
    )
    with pytest.raises(DeniedAuthenticationError):
        client.wait_for_session(session_id)
    assert emulator.counters()[GET] == 1


def test_unknown_status_name_is_refused(client: QaasClient) -> None:
    with pytest.raises(InvalidInputError):
        client.wait_for_session("any", until={"runing"})  # type: ignore[arg-type]
