"""Fault injection: scripted and seeded faults, each kind, never on the admin path."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.helpers import api, create, platform_id
from tests.support.emulator import EmulatorFactory, RunningEmulator

CREATE = "POST /qaas/v1alpha1/sessions"
LIST_PLATFORMS = "GET /qaas/v1alpha1/platforms"


def test_scripted_error_fails_the_next_matching_requests_only(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(script=[{"kind": "error", "route": LIST_PLATFORMS, "count": 2}])
    statuses = [client.get("/platforms").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert emulator.faults()["script"] == []


def test_injected_5xx_has_a_json_error_body(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(script=[{"kind": "error", "status": 502}])
    response = client.get("/platforms")
    assert response.status_code == 502
    assert response.json()["type"] == "internal_error"


def test_scripted_error_can_carry_any_type_and_fields(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    session = create(client, emulator.project_id)
    emulator.set_faults(
        script=[
            {
                "kind": "error",
                "status": 409,
                "type": "transient_state",
                "fields": {
                    "resource": "session",
                    "resource_id": session["id"],
                    "current_state": "starting",
                },
            }
        ]
    )
    response = client.delete(f"/sessions/{session['id']}")
    assert response.status_code == 409
    assert response.json()["current_state"] == "starting"
    assert client.get(f"/sessions/{session['id']}").status_code == 200


def test_throttle_is_429_with_retry_after(client: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.set_faults(script=[{"kind": "throttle", "retry_after": 7}])
    response = client.get("/platforms")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert (body["type"], body["reset_seconds"]) == ("too_many_requests", 7)
    assert body["reset_at"].endswith("Z")


def test_reset_aborts_the_connection_before_any_reply(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(script=[{"kind": "reset", "route": CREATE}])
    with pytest.raises(httpx.TransportError):
        client.post(
            "/sessions",
            json={"project_id": emulator.project_id, "platform_id": platform_id()},
        )
    assert emulator.sessions() == []
    assert emulator.counters()[CREATE] == 1


def test_drop_stores_the_create_but_never_replies(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(script=[{"kind": "drop", "route": CREATE}])
    with pytest.raises(httpx.TransportError):
        client.post(
            "/sessions",
            json={
                "project_id": emulator.project_id,
                "platform_id": platform_id(),
                "name": "x",
            },
        )
    (stored,) = emulator.sessions()
    assert stored["name"] == "x"
    assert stored["deleted_at"] is None


def test_drop_create_rate_one_drops_every_create(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(drop_create_rate=1.0)
    platform = platform_id()  # not a create: answered
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            client.post(
                "/sessions", json={"project_id": emulator.project_id, "platform_id": platform}
            )
    assert len(emulator.sessions()) == 2


def test_latency_delays_replies(client: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.set_faults(latency=0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/platforms", timeout=httpx.Timeout(5.0, read=0.05))
    emulator.set_faults()
    assert client.get("/platforms").status_code == 200


def test_admin_path_never_meets_a_fault(client: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.set_faults(error_rate=1.0, script=[{"kind": "reset", "count": 5}])
    emulator.advance(1)
    assert emulator.counters() == {}
    assert emulator.faults()["script"][0]["count"] == 5


def test_rates_are_reproducible_with_a_seed(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory(seed=42)
    with api(server) as client:

        def statuses() -> list[int]:
            server.set_faults(error_rate=0.3, throttle_rate=0.3)
            return [client.get("/platforms").status_code for _ in range(30)]

        first, second = statuses(), statuses()
    assert first == second
    assert {200, 429, 503} <= set(first)


def test_fault_flags_at_start_apply_and_survive_reset(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory(error_rate=1.0, error_status=500)
    with api(server) as client:
        assert client.get("/platforms").status_code == 500
        server.set_faults()
        assert client.get("/platforms").status_code == 200
        server.reset()
        assert client.get("/platforms").status_code == 500


def test_counters_count_faulted_requests_too(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(script=[{"kind": "error"}])
    client.get("/platforms")
    client.get("/platforms")
    assert emulator.counters() == {LIST_PLATFORMS: 2}


def test_bad_fault_settings_are_400(emulator: RunningEmulator) -> None:
    response = emulator.admin.put("/_emulator/faults", json={"error_rate": 2})
    assert response.status_code == 400
    assert emulator.admin.put("/_emulator/faults", json={"nonsense": 1}).status_code == 400
