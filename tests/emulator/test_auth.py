"""Authentication (X-Auth-Token) and project scoping between tenants."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.helpers import API, api, create
from tests.support.emulator import EmulatorFactory, RunningEmulator


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "invalid_argument"),
        ({"X-Auth-Token": "b2f8c6a1-0000-4000-8000-000000000000"}, "not_found"),
    ],
)
@pytest.mark.parametrize("path", ["/sessions", "/platforms"])
def test_missing_or_unknown_key_is_401_denied_authentication(
    emulator: RunningEmulator, headers: dict[str, str], reason: str, path: str
) -> None:
    response = httpx.get(
        emulator.url + API + path, params={"project_id": emulator.project_id}, headers=headers
    )
    assert response.status_code == 401
    body = response.json()
    assert (body["type"], body["method"], body["reason"]) == (
        "denied_authentication",
        "api_key",
        reason,
    )


def test_admin_path_needs_a_valid_key(emulator: RunningEmulator) -> None:
    assert httpx.get(emulator.url + "/_emulator/state").status_code == 401


def test_listing_another_project_is_403_permissions_denied(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        response = client.get("/sessions", params={"project_id": emulator.other_project_id})
    assert response.status_code == 403
    assert response.json() == {
        "type": "permissions_denied",
        "message": "insufficient permissions",
        "details": [{"resource": "session", "action": "list"}],
    }


def test_creating_in_another_project_is_403(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        response = client.post(
            "/sessions",
            json={
                "project_id": emulator.other_project_id,
                "platform_id": "3cd822eb-ac66-53d6-91da-09695149edc2",
            },
        )
    assert response.status_code == 403
    assert response.json()["details"] == [{"resource": "session", "action": "create"}]


def test_another_tenants_session_is_404_for_every_operation(emulator: RunningEmulator) -> None:
    with api(emulator) as mine, api(emulator, emulator.other_secret_key) as theirs:
        session = create(mine, emulator.project_id)
        path = f"/sessions/{session['id']}"
        assert theirs.get(path).status_code == 404
        assert theirs.patch(path, json={"name": "x"}).status_code == 404
        assert theirs.post(f"{path}/terminate", json={}).status_code == 404
        assert theirs.delete(path).status_code == 404
        assert mine.get(path).json()["status"] == "starting"


def test_another_tenant_lists_only_its_own_sessions(emulator: RunningEmulator) -> None:
    with api(emulator) as mine, api(emulator, emulator.other_secret_key) as theirs:
        create(mine, emulator.project_id)
        listed = theirs.get("/sessions", params={"project_id": emulator.other_project_id})
    assert listed.json() == {"total_count": 0, "sessions": []}


def test_a_key_with_two_projects_uses_both(emulator_factory: EmulatorFactory) -> None:
    key = "5d7c1f0e-1111-4222-8333-944455556666"
    one, two = "11111111-2222-4333-8444-555566667777", "22222222-3333-4444-8555-666677778888"
    server = emulator_factory(tenant=[f"{key}:{one},{two}"])
    with api(server, key) as client:
        create(client, one)
        create(client, two)
        assert client.get("/sessions", params={"project_id": one}).json()["total_count"] == 1
        assert client.get("/sessions", params={"project_id": two}).json()["total_count"] == 1
        mine = client.get("/sessions", params={"project_id": server.project_id})
    assert mine.status_code == 403
