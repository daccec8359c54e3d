"""Small helpers shared by the emulator tests: an API client and a platform lookup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from pulumi_qpu.emulator.catalogue import platform_id_for
from tests.emulator.contract import check_reply
from tests.support.emulator import RunningEmulator

API = "/qaas/v1alpha1"


def api(emulator: RunningEmulator, secret_key: str | None = None) -> httpx.Client:
    """An httpx client on the emulator's API with a key (the main one by default).

    Every reply it gets is checked against the project's OpenAPI schema.
    """
    return httpx.Client(
        base_url=emulator.url + API,
        headers={"X-Auth-Token": secret_key or emulator.secret_key},
        timeout=10.0,
        event_hooks={"response": [check_reply]},
    )


def platform_id(name: str = "EMU-AER-16C-128M") -> str:
    """The id of a built-in platform: ids are stable (test_platforms checks the API agrees)."""
    return platform_id_for(name)


def create(
    client: httpx.Client, project_id: str, platform: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Create a session (200 expected) and return its JSON."""
    body = {"project_id": project_id, "platform_id": platform or platform_id(), **fields}
    response = client.post("/sessions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def emulated_now(emulator: RunningEmulator) -> datetime:
    """The emulator's current (emulated) time; tests advance it, so it runs ahead of ours."""
    return datetime.fromisoformat(str(emulator.state()["now"]).replace("Z", "+00:00"))
