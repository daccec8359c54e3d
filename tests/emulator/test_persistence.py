"""SQLite state: a restart on the same state file loses nothing and keeps time moving on."""

from __future__ import annotations

from pathlib import Path

from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant
from tests.emulator.helpers import api, create, emulated_now
from tests.support.emulator import EmulatorFactory


def test_restart_on_the_same_state_file_keeps_every_session(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory(state_file=str(tmp_path / "state.db"), start_delay=0)
    with api(server) as client:
        kept = create(client, server.project_id, name="kept", tags=["t"], deduplication_id="d")
        gone = create(client, server.project_id, name="gone")
        client.delete(f"/sessions/{gone['id']}")
    before = server.sessions()
    url = server.url

    server.restart()

    assert server.url == url
    assert server.sessions() == before
    with api(server) as client:
        assert client.get(f"/sessions/{kept['id']}").json() == kept
        assert client.get(f"/sessions/{gone['id']}").status_code == 404
        assert create(client, server.project_id, deduplication_id="d")["id"] == kept["id"]


def test_restart_never_moves_the_clock_back(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory(state_file=str(tmp_path / "state.db"))
    server.advance(86400)
    before = emulated_now(server)
    server.restart()
    assert emulated_now(server) >= before


def test_sessions_keep_expiring_after_a_restart(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    server = emulator_factory(state_file=str(tmp_path / "state.db"), start_delay=0, stop_delay=0)
    with api(server) as client:
        session = create(client, server.project_id, max_duration="60s")
    server.restart()
    server.advance(61)
    with api(server) as client:
        assert client.get(f"/sessions/{session['id']}").json()["status"] == "stopped"


def test_generated_keys_are_kept_by_the_state_file(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")

    def start(key: str) -> list[Tenant]:
        options = EmulatorOptions(
            tenants=[Tenant(key, (key,))], state_file=path, tenants_generated=True
        )
        emulator = Emulator(options)
        emulator.store.close()
        return options.tenants

    first = start("first")
    assert start("second") == first


def test_in_memory_state_starts_empty(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory()
    with api(server) as client:
        create(client, server.project_id)
    server.restart(same_port=False)
    assert server.sessions() == []
