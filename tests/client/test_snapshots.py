"""read_session: many sessions of a project read with one listing (pulumi_qpu/snapshots.py)."""

from __future__ import annotations

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import NotFoundError
from pulumi_qpu.retry import SNAPSHOT_FRESH_SECONDS
from tests.client.conftest import ClientFactory, FakeTime
from tests.support.emulator import RunningEmulator

LIST = "GET /qaas/v1alpha1/sessions"


GET = "GET /qaas/v1alpha1/sessions/{session_id}"


def _gets(emulator: RunningEmulator) -> int:
    return emulator.counters().get(GET, 0)


def test_thirty_sessions_are_read_with_one_listing(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    ids = [client.create_session(platform_id=platform_id, name=f"s{i}").id for i in range(30)]
    emulator.reset_counters()
    read = [client.read_session(i, project_id=emulator.project_id) for i in ids]
    assert [s.id for s in read] == ids
    assert [s.name for s in read] == [f"s{i}" for i in range(30)]
    assert emulator.counters().get(LIST) == 1
    assert _gets(emulator) == 0


def test_a_listing_older_than_its_freshness_is_taken_again(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator, fake_time: FakeTime
) -> None:
    client = make_client()
    created = client.create_session(platform_id=platform_id)
    client.read_session(created.id, project_id=emulator.project_id)
    # Someone else ends it; the old listing would say it is starting.
    make_client().terminate_session(created.id)
    fake_time.now += SNAPSHOT_FRESH_SECONDS + 0.1
    emulator.reset_counters()
    again = client.read_session(created.id, project_id=emulator.project_id)
    assert again.status in ("stopping", "stopped")
    assert emulator.counters().get(LIST) == 1


def test_a_session_this_client_changed_is_read_again(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    created = client.create_session(platform_id=platform_id, name="before")
    client.read_session(created.id, project_id=emulator.project_id)
    client.update_session(created.id, name="after")
    assert client.read_session(created.id, project_id=emulator.project_id).name == "after"


def test_a_session_the_listing_does_not_hold_is_read_with_a_get(
    client: QaasClient, emulator: RunningEmulator
) -> None:
    emulator.reset_counters()
    missing = "11111111-2222-3333-4444-555555555555"
    try:
        client.read_session(missing, project_id=emulator.project_id)
    except NotFoundError:
        pass
    else:
        raise AssertionError("a session that does not exist was read")
    assert (
        emulator.counters().get(f"GET /qaas/v1alpha1/sessions/{missing}", 0) + _gets(emulator) >= 1
    )


def test_a_project_the_key_cannot_list_falls_back_to_a_get(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client()
    created = client.create_session(platform_id=platform_id)
    other_project = "99999999-2222-3333-4444-555555555555"
    # Listing a project the key cannot read is refused; the GET of the session still works.
    emulator.reset_counters()
    assert client.read_session(created.id, project_id=other_project).id == created.id
    assert emulator.counters() == {LIST: 1, GET: 1}
