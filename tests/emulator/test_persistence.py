"""SQLite state: a restart on the same state file loses nothing and keeps time moving on."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant
from pulumi_qpu.emulator.statefile import STATE_FILE_ENV
from tests.emulator.helpers import api, create, emulated_now
from tests.support.emulator import EmulatorFactory


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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


@pytest.mark.parametrize(
    ("max_duration", "downtime", "advance"),
    [
        # The end comes after the restart, by the clock moved on.
        ("60s", 0.0, 61.0),
        # The end falls while the emulator is down: the clock runs at wall time, so the
        # downtime counts (assumptions.RESTART_RESUMES_THE_CLOCK).
        ("1s", 1.5, 0.0),
    ],
)
def test_sessions_keep_expiring_after_a_restart_stamped_with_their_deadline(
    emulator_factory: EmulatorFactory,
    tmp_path: Path,
    max_duration: str,
    downtime: float,
    advance: float,
) -> None:
    server = emulator_factory(state_file=str(tmp_path / "state.db"), start_delay=0, stop_delay=0)
    with api(server) as client:
        session = create(client, server.project_id, max_duration=max_duration)
        assert client.get(f"/sessions/{session['id']}").json()["status"] == "running"
    server.restart(downtime=downtime)
    server.advance(advance)
    with api(server) as client:
        after = client.get(f"/sessions/{session['id']}").json()
    assert after["status"] == "stopped"
    deadline = _time(after["started_at"]) + timedelta(seconds=float(max_duration[:-1]))
    assert _time(after["terminated_at"]) == deadline


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


def test_a_plain_restart_keeps_the_keys_and_the_sessions(
    emulator_factory: EmulatorFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user's `qpu-emulator`, twice: no key, no state option; the default file is moved
    # by its variable, as the user's own folder would hold it.
    state = tmp_path / "user-state" / "emulator.db"
    monkeypatch.setenv(STATE_FILE_ENV, str(state))
    server = emulator_factory(generated_keys=True, ephemeral=False, start_delay=0)
    assert f"# state: {state} (keys and sessions kept across restarts; --ephemeral for none)" in (
        server.output
    )
    key, project = server.secret_key, server.project_id
    with api(server) as client:
        session = create(client, project, name="kept")

    server.restart()

    assert (server.secret_key, server.project_id) == (key, project)
    with api(server, key) as client:
        assert client.get(f"/sessions/{session['id']}").json()["name"] == "kept"


def test_a_second_emulator_on_the_same_state_file_is_refused_naming_the_first(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    path = str(tmp_path / "state.db")
    first = emulator_factory(state_file=path)
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_qpu.emulator", "--state-file", path],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"qpu-emulator: the state file {path} is in use by another qpu-emulator "
        f"(pid {first.pid}, {first.url}). Stop that one, or start this one with "
        "--state-file PATH (a file of its own) or --ephemeral (state in memory).\n"
    )
    # The first one is untouched and, once stopped, leaves the file free.
    first.restart()
    assert first.state()["state_file"] == path
