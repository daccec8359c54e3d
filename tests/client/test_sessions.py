"""Session calls against the emulator over loopback: create, get, update, terminate,
delete and the lazy list iterator.
"""

from __future__ import annotations

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import resolve_config
from pulumi_qpu.errors import (
    DeniedAuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionsDeniedError,
)
from pulumi_qpu.models import ListSessionsOrderBy, SessionStatus
from tests.client.conftest import ClientFactory
from tests.support.emulator import RunningEmulator


def test_create_returns_a_starting_session_with_wire_durations(
    client: QaasClient, platform_id: str
) -> None:
    session = client.create_session(
        platform_id=platform_id, name="demo", max_duration="1h30m", max_idle_duration=600
    )
    assert (session.status, session.max_duration, session.max_idle_duration) == (
        SessionStatus.STARTING,
        "5400s",
        "600s",
    )


def test_create_uses_the_default_project(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    assert client.create_session(platform_id=platform_id).project_id == emulator.project_id


def test_create_with_same_deduplication_id_returns_the_same_session(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    first = client.create_session(platform_id=platform_id, deduplication_id="shared")
    second = client.create_session(platform_id=platform_id, deduplication_id="shared")
    assert first.id == second.id
    assert len(emulator.sessions()) == 1


def test_get_returns_the_session(client: QaasClient, platform_id: str) -> None:
    created = client.create_session(platform_id=platform_id, name="get-me")
    assert client.get_session(created.id).name == "get-me"


def test_get_unknown_session_is_not_found_with_its_id(client: QaasClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(NotFoundError) as info:
        client.get_session(missing)
    assert info.value.fields.get("resource_id") == missing


def test_update_changes_name_tags_and_durations(client: QaasClient, platform_id: str) -> None:
    created = client.create_session(platform_id=platform_id, name="old", tags=["a"])
    updated = client.update_session(
        created.id, name="new", tags=["b", "c"], max_duration="2h", max_idle_duration="10m"
    )
    assert (updated.name, updated.tags, updated.max_duration, updated.max_idle_duration) == (
        "new",
        ["b", "c"],
        "7200s",
        "600s",
    )


def test_update_with_empty_tags_clears_them(client: QaasClient, platform_id: str) -> None:
    created = client.create_session(platform_id=platform_id, tags=["a"])
    assert client.update_session(created.id, tags=[]).tags in ([], None)


def test_terminate_stops_the_session(client: QaasClient, platform_id: str) -> None:
    created = client.create_session(platform_id=platform_id)
    assert client.terminate_session(created.id).status in (
        SessionStatus.STOPPING,
        SessionStatus.STOPPED,
    )


def test_delete_removes_the_session(client: QaasClient, platform_id: str) -> None:
    created = client.create_session(platform_id=platform_id)
    client.delete_session(created.id)
    with pytest.raises(NotFoundError):
        client.get_session(created.id)


def test_delete_of_unknown_session_is_not_found(client: QaasClient) -> None:
    with pytest.raises(NotFoundError):
        client.delete_session("00000000-0000-0000-0000-000000000000")


# --- listing ------------------------------------------------------------------------


def create_many(client: QaasClient, platform_id: str, count: int, **fields: object) -> set[str]:
    return {
        client.create_session(platform_id=platform_id, name=f"s-{i:04d}", **fields).id  # type: ignore[arg-type]
        for i in range(count)
    }


def test_list_reads_every_page(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    ids = create_many(client, platform_id, 25)
    emulator.reset_counters()
    listed = {s.id for s in client.list_sessions(page_size=10)}
    assert listed == ids
    assert emulator.counters()["GET /qaas/v1alpha1/sessions"] == 3


def test_list_is_lazy(client: QaasClient, platform_id: str, emulator: RunningEmulator) -> None:
    create_many(client, platform_id, 5)
    emulator.reset_counters()
    sessions = client.list_sessions(page_size=2)
    next(sessions)
    assert emulator.counters().get("GET /qaas/v1alpha1/sessions") == 1


def test_list_filters_by_tags(client: QaasClient, platform_id: str) -> None:
    tagged = client.create_session(platform_id=platform_id, tags=["team-a", "prod"])
    client.create_session(platform_id=platform_id, tags=["team-a"])
    assert [s.id for s in client.list_sessions(tags=["team-a", "prod"])] == [tagged.id]


def test_list_filters_by_platform(client: QaasClient, platform_id: str) -> None:
    other = client.find_platform("EMU-AER-H100").id
    create_many(client, platform_id, 2)
    on_other = client.create_session(platform_id=other)
    assert [s.id for s in client.list_sessions(platform_id=other)] == [on_other.id]


def test_list_orders_as_asked(client: QaasClient, platform_id: str) -> None:
    create_many(client, platform_id, 4)
    names = [s.name for s in client.list_sessions(order_by=ListSessionsOrderBy.NAME_DESC)]
    assert names == sorted(names, reverse=True)


def test_list_rejects_a_non_positive_page_size(client: QaasClient) -> None:
    with pytest.raises(InvalidInputError):
        client.list_sessions(page_size=0)


# --- credentials --------------------------------------------------------------------


def test_unknown_key_is_denied_authentication_and_never_shown(
    make_client: ClientFactory,
) -> None:
    key = "99999999-9999-9999-9999-999999999999"
    with pytest.raises(DeniedAuthenticationError) as info:
        make_client(secret_key=key).get_session("00000000-0000-0000-0000-000000000000")
    assert key not in str(info.value)


def test_other_tenants_project_is_permissions_denied(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    with pytest.raises(PermissionsDeniedError) as info:
        client.create_session(platform_id=platform_id, project_id=emulator.other_project_id)
    assert info.value.hint


def test_client_from_resolved_environment_reaches_the_emulator(
    emulator: RunningEmulator,
) -> None:
    config = resolve_config(environ=emulator.env())
    with QaasClient.from_config(config) as client:
        assert list(client.list_sessions()) == []


def test_server_now_follows_the_api_clock_not_this_machine(
    client: QaasClient, platform_id: str, emulator: RunningEmulator
) -> None:
    from datetime import datetime, timedelta

    emulator.configure(start_delay=0)
    session = client.create_session(platform_id=platform_id)
    emulator.advance(3 * 3600)
    client.get_session(session.id)  # any reply carries the API's Date
    assert session.started_at is not None
    ran = client.server_now() - session.started_at
    # Three hours by the API's clock (Date has whole seconds), whatever this machine says.
    assert timedelta(hours=3) - timedelta(seconds=1) <= ran <= timedelta(hours=3, minutes=1)
    assert client.server_now() - datetime.now(session.started_at.tzinfo) > timedelta(hours=2)
