"""The test fixture itself: start, reset between tests, counters, clock, raw dump."""

from __future__ import annotations

from tests.emulator.helpers import api, create
from tests.support.emulator import EmulatorFactory, RunningEmulator


def test_emulator_env_points_at_the_running_server(emulator: RunningEmulator) -> None:
    env = emulator.env()
    assert env["SCW_API_URL"] == emulator.url
    assert env["SCW_SECRET_KEY"] == emulator.secret_key
    assert env["SCW_DEFAULT_PROJECT_ID"] == emulator.project_id


def test_fixture_starts_each_test_without_sessions(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        create(client, emulator.project_id)
    assert len(emulator.sessions()) == 1
    emulator.reset()
    assert emulator.sessions() == []


def test_counters_count_requests_per_route(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        client.get("/platforms")
        client.get("/platforms")
    assert emulator.counters() == {"GET /qaas/v1alpha1/platforms": 2}
    emulator.reset_counters()
    assert emulator.counters() == {}


def test_clock_advance_moves_a_session_to_running(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        assert session["status"] == "starting"
        emulator.advance(60)
        assert client.get(f"/sessions/{session['id']}").json()["status"] == "running"


def test_dedicated_emulator_takes_options(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory(start_delay=0)
    with api(server) as client:
        assert create(client, server.project_id)["status"] == "running"


def test_reset_restores_start_up_delays_and_time_scale(emulator: RunningEmulator) -> None:
    emulator.configure(start_delay=0, stop_delay=0, time_scale=50)
    emulator.reset()
    state = emulator.state()
    assert (state["start_delay"], state["stop_delay"], state["time_scale"]) == (3.0, 1.0, 1.0)


def test_reset_never_rewinds_the_clock(emulator: RunningEmulator) -> None:
    later = emulator.advance(3600)
    emulator.reset()
    assert emulator.state()["now"] >= later
