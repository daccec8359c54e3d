"""Deduplication: one live session per project and deduplication_id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.emulator.helpers import api, create, platform_id
from tests.support.emulator import RunningEmulator


def test_create_with_the_id_of_a_live_session_returns_it_unchanged(
    emulator: RunningEmulator,
) -> None:
    with api(emulator) as client:
        first = create(client, emulator.project_id, name="a", deduplication_id="shared")
        again = create(client, emulator.project_id, name="b", tags=["t"], deduplication_id="shared")
    assert again == first
    assert len(emulator.sessions()) == 1


def test_dedup_returns_the_running_session_as_it_is_now(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        first = create(client, emulator.project_id, deduplication_id="d")
        emulator.advance(60)
        again = create(client, emulator.project_id, deduplication_id="d")
    assert again["id"] == first["id"]
    assert again["status"] == "running"


def test_dedup_id_of_a_stopped_session_can_be_used_again(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        first = create(client, emulator.project_id, deduplication_id="d")
        client.post(f"/sessions/{first['id']}/terminate", json={})
        second = create(client, emulator.project_id, deduplication_id="d")
    assert second["id"] != first["id"]
    assert second["status"] == "starting"


def test_dedup_id_of_a_deleted_session_can_be_used_again(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        first = create(client, emulator.project_id, deduplication_id="d")
        client.delete(f"/sessions/{first['id']}")
        assert create(client, emulator.project_id, deduplication_id="d")["id"] != first["id"]


def test_dedup_is_scoped_to_the_project(emulator: RunningEmulator) -> None:
    with api(emulator) as mine, api(emulator, emulator.other_secret_key) as theirs:
        a = create(mine, emulator.project_id, deduplication_id="d")
        b = create(theirs, emulator.other_project_id, platform_id(), deduplication_id="d")
    assert a["id"] != b["id"]


def test_sessions_without_dedup_id_are_never_merged(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        ids = {create(client, emulator.project_id)["id"] for _ in range(3)}
    assert len(ids) == 3


def test_concurrent_creates_with_one_dedup_id_store_one_session(
    emulator: RunningEmulator,
) -> None:
    platform = platform_id()

    def one(_: int) -> str:
        # A client per thread: each create arrives on its own connection, concurrently.
        with api(emulator) as own:
            response = own.post(
                "/sessions",
                json={
                    "project_id": emulator.project_id,
                    "platform_id": platform,
                    "deduplication_id": "race",
                },
            )
            return str(response.json()["id"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = set(pool.map(one, range(32)))
    assert len(ids) == 1
    assert len(emulator.sessions()) == 1
