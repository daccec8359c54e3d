"""Bad requests get 400 invalid_arguments in the API's format, never a framework 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import create, platform_id
from tests.support.emulator import RunningEmulator

NIL = "00000000-0000-0000-0000-000000000000"


def _details(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "invalid_arguments"
    assert body["message"].startswith("invalid argument(s)")
    details: list[dict[str, Any]] = body["details"]
    return details


def _only(response: httpx.Response) -> tuple[str, str]:
    (detail,) = _details(response)
    assert detail["help_message"]
    return detail["argument_name"], detail["reason"]


def test_malformed_json_is_400_body_format(client: httpx.Client) -> None:
    response = client.post(
        "/sessions", content=b'{"project_id": ', headers={"Content-Type": "application/json"}
    )
    assert _only(response) == ("body", "format")


def test_a_body_that_is_not_an_object_is_400(client: httpx.Client) -> None:
    assert _only(client.post("/sessions", json=["a"])) == ("body", "format")


def test_an_empty_create_body_is_400_body_required(client: httpx.Client) -> None:
    assert _only(client.post("/sessions", content=b"")) == ("body", "required")


def test_missing_project_and_platform_are_both_required(client: httpx.Client) -> None:
    details = _details(client.post("/sessions", json={}))
    assert {(d["argument_name"], d["reason"]) for d in details} == {
        ("project_id", "required"),
        ("platform_id", "required"),
    }


def test_malformed_project_id_is_400_format(client: httpx.Client) -> None:
    body = {"project_id": "my-project", "platform_id": platform_id()}
    assert _only(client.post("/sessions", json=body)) == ("project_id", "format")


def test_malformed_platform_id_is_400_format(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    body = {"project_id": emulator.project_id, "platform_id": "EMU-AER-H100"}
    assert _only(client.post("/sessions", json=body)) == ("platform_id", "format")


def test_malformed_model_id_is_400_format(client: httpx.Client, emulator: RunningEmulator) -> None:
    body = {"project_id": emulator.project_id, "platform_id": platform_id(), "model_id": "m"}
    assert _only(client.post("/sessions", json=body)) == ("model_id", "format")


def test_unknown_platform_is_404_platform(client: httpx.Client, emulator: RunningEmulator) -> None:
    response = client.post(
        "/sessions", json={"project_id": emulator.project_id, "platform_id": NIL}
    )
    assert response.status_code == 404
    assert (response.json()["resource"], response.json()["resource_id"]) == ("platform", NIL)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1h", "format"),
        ("3600", "format"),
        ("s", "format"),
        ("-5s", "format"),
        ("Nones", "format"),
        (3600, "format"),
        ("0s", "constraint"),
        ("0.0s", "constraint"),
        ("604801s", "constraint"),
    ],
)
@pytest.mark.parametrize("field", ["max_duration", "max_idle_duration"])
def test_bad_durations_are_400_with_reason(
    client: httpx.Client, emulator: RunningEmulator, field: str, value: object, reason: str
) -> None:
    body = {"project_id": emulator.project_id, "platform_id": platform_id(), field: value}
    assert _only(client.post("/sessions", json=body)) == (field, reason)


def test_bad_duration_in_patch_is_400(client: httpx.Client, emulator: RunningEmulator) -> None:
    session = create(client, emulator.project_id)
    response = client.patch(f"/sessions/{session['id']}", json={"max_duration": "soon"})
    assert _only(response) == ("max_duration", "format")


@pytest.mark.parametrize(
    ("fields", "argument"),
    [
        ({"name": "n" * 256}, "name"),
        ({"tags": ["t"] * 51}, "tags"),
        ({"tags": [""]}, "tags.0"),
        ({"tags": ["ok", "x" * 129]}, "tags.1"),
        ({"deduplication_id": "d" * 129}, "deduplication_id"),
        ({"parameters": "p" * (64 * 1024 + 1)}, "parameters"),
    ],
)
def test_length_limits_are_400_constraint(
    client: httpx.Client, emulator: RunningEmulator, fields: dict[str, Any], argument: str
) -> None:
    body = {"project_id": emulator.project_id, "platform_id": platform_id(), **fields}
    assert _only(client.post("/sessions", json=body)) == (argument, "constraint")


def test_limits_themselves_are_accepted(client: httpx.Client, emulator: RunningEmulator) -> None:
    session = create(
        client,
        emulator.project_id,
        name="n" * 255,
        tags=["x" * 128] * 50,
        deduplication_id="d" * 128,
        max_duration="604800s",
    )
    assert len(session["tags"]) == 50


def test_wrong_json_types_are_400_format(client: httpx.Client, emulator: RunningEmulator) -> None:
    body = {"project_id": emulator.project_id, "platform_id": platform_id(), "tags": "a"}
    assert _only(client.post("/sessions", json=body)) == ("tags", "format")


def test_unknown_create_field_is_400_naming_it(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    body = {"project_id": emulator.project_id, "platform_id": platform_id(), "colour": "r"}
    assert _only(client.post("/sessions", json=body)) == ("colour", "constraint")


def test_malformed_session_id_in_path_is_400_format(client: httpx.Client) -> None:
    assert _only(client.get("/sessions/abc")) == ("session_id", "format")
    assert _only(client.delete("/sessions/abc")) == ("session_id", "format")
    assert _only(client.patch("/sessions/abc", json={"name": "x"})) == ("session_id", "format")
    assert _only(client.post("/sessions/abc/terminate", json={})) == ("session_id", "format")


def test_unknown_session_is_404(client: httpx.Client) -> None:
    response = client.get(f"/sessions/{NIL}")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_list_without_project_id_is_400_required(client: httpx.Client) -> None:
    assert _only(client.get("/sessions")) == ("project_id", "required")


def test_list_with_malformed_project_id_is_400_format(client: httpx.Client) -> None:
    assert _only(client.get("/sessions", params={"project_id": "p"})) == ("project_id", "format")


def test_list_with_malformed_platform_filter_is_400_format(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    params = {"project_id": emulator.project_id, "platform_id": "x"}
    assert _only(client.get("/sessions", params=params)) == ("platform_id", "format")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"order_by": "newest"}, ("order_by", "constraint")),
        ({"page_size": "101"}, ("page_size", "constraint")),
        ({"page_size": "-1"}, ("page_size", "constraint")),
        ({"page_size": "ten"}, ("page_size", "format")),
        ({"page": "-1"}, ("page", "constraint")),
        ({"page": "1.5"}, ("page", "format")),
    ],
)
def test_bad_list_parameters_are_400(
    client: httpx.Client,
    emulator: RunningEmulator,
    params: dict[str, str],
    expected: tuple[str, str],
) -> None:
    response = client.get("/sessions", params={"project_id": emulator.project_id, **params})
    assert _only(response) == expected
    assert _only(client.get("/platforms", params=params)) == expected


def test_unknown_route_is_404_and_wrong_method_is_405(client: httpx.Client) -> None:
    assert client.get("/jobs").status_code == 404
    assert client.put("/sessions").status_code == 405


def test_a_timestamp_before_year_one_in_utc_is_400_format(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    # Found by the fuzzing: converting it to UTC overflowed, and the emulator answered 500.
    demand = {"started_at": "0001-01-01T00:00:01+01:00", "finished_at": "2000-01-01T00:00:00Z"}
    body = {"project_id": emulator.project_id, "platform_id": platform_id()}
    response = client.post("/sessions", json={**body, "booking_demand": demand})
    assert _only(response) == ("booking_demand.started_at", "format")
