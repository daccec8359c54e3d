"""Every kind of reply the emulator gives validates against schema/qaas-sessions.openapi.yml.

The validator is openapi-core's (see ``contract.py``); every test client checks every
reply already, and this file makes sure each endpoint and each error status is met.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI

from tests.emulator.contract import SCHEMA, check_reply
from tests.emulator.helpers import api, create, emulated_now, platform_id
from tests.support.emulator import RunningEmulator


class Checked:
    """Calls the emulator and checks each reply (and each request it expects to pass)."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.client = api(emulator)

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == expect, response.text
        # What the tests send when they expect success must fit the schema too.
        check_reply(response, check_request=response.is_success)
        return response


@pytest.fixture
def checked(emulator: RunningEmulator) -> Iterator[Checked]:
    emulator.configure(start_delay=0, stop_delay=0)
    checker = Checked(emulator)
    yield checker
    checker.client.close()


def test_schema_itself_is_valid_openapi() -> None:
    OpenAPI.from_file_path(str(SCHEMA))  # raises on an invalid document


def test_a_reply_breaking_the_contract_is_caught() -> None:
    request = httpx.Request("GET", "http://emulator/qaas/v1alpha1/platforms/x")
    broken = httpx.Response(404, json={"type": "not_found", "message": "m"}, request=request)
    with pytest.raises(Exception, match="resource"):
        check_reply(broken)


def test_platform_replies_match_schema(checked: Checked) -> None:
    listed = checked.call("GET", "/platforms", 200, params={"order_by": "type_desc"}).json()
    first = listed["platforms"][0]["id"]
    checked.call("GET", f"/platforms/{first}", 200)
    checked.call("GET", "/platforms/00000000-0000-0000-0000-000000000000", 404)
    checked.call("GET", "/platforms/not-a-uuid", 400)
    checked.call("GET", "/platforms", 400, params={"order_by": "sideways"})


def test_session_replies_match_schema(checked: Checked, emulator: RunningEmulator) -> None:
    project = emulator.project_id
    platform = platform_id()
    body = {"project_id": project, "platform_id": platform, "tags": ["a"], "name": "s"}
    session = checked.call("POST", "/sessions", 200, json=body).json()
    sid = session["id"]
    checked.call("GET", f"/sessions/{sid}", 200)
    checked.call("GET", "/sessions", 200, params={"project_id": project, "tags": ["a"]})
    checked.call("PATCH", f"/sessions/{sid}", 200, json={"name": "t", "max_duration": "60s"})
    checked.call("PATCH", f"/sessions/{sid}", 400, json={"platform_id": platform})
    checked.call("POST", f"/sessions/{sid}/terminate", 200, json={})
    checked.call("DELETE", f"/sessions/{sid}", 204)
    checked.call("GET", f"/sessions/{sid}", 404)


def test_error_replies_match_schema(checked: Checked, emulator: RunningEmulator) -> None:
    project = emulator.project_id
    checked.call("GET", "/sessions", 400, params={})
    checked.call(
        "GET", "/sessions", 401, params={"project_id": project}, headers={"X-Auth-Token": "nope"}
    )
    checked.call("GET", "/sessions", 403, params={"project_id": emulator.other_project_id})
    ascella = platform_id("QPU-ASCELLA-6PQ")
    checked.call("POST", "/sessions", 412, json={"project_id": project, "platform_id": ascella})
    checked.call("POST", "/sessions", 400, content=b"{not json")


def test_booking_replies_match_schema(checked: Checked, emulator: RunningEmulator) -> None:
    garnet = platform_id("QPU-GARNET-20PQ")
    start = emulated_now(emulator) + timedelta(days=1)
    demand = {
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(hours=1)).isoformat(),
    }
    for _ in range(2):  # the platform allows two bookings a day
        create(checked.client, emulator.project_id, garnet, booking_demand=demand)
    checked.call(
        "POST",
        "/sessions",
        403,
        json={"project_id": emulator.project_id, "platform_id": garnet, "booking_demand": demand},
    )


def test_injected_fault_replies_match_schema(checked: Checked, emulator: RunningEmulator) -> None:
    emulator.set_faults(script=[{"kind": "throttle"}, {"kind": "error", "status": 503}])
    response = checked.call("GET", "/platforms", 429)
    assert response.headers["Retry-After"] == "1"
    checked.call("GET", "/platforms", 503)
