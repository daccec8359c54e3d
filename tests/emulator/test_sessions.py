"""Sessions CRUD: create, get, update, terminate, delete, as the contract describes them."""

from __future__ import annotations

import re

import pytest

from tests.emulator.helpers import api, create, platform_id
from tests.support.emulator import RunningEmulator

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_create_returns_200_and_a_starting_session_with_defaults(
    emulator: RunningEmulator,
) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
    assert session["status"] == "starting"
    assert session["name"] == "qs-" + session["id"][:8]
    assert (session["max_duration"], session["max_idle_duration"]) == ("3600s", "1800s")
    assert session["deduplication_id"] == ""
    assert session["tags"] == []
    assert session["origin_type"] == "customer"
    assert session["started_at"] is None
    assert session["terminated_at"] is None
    assert TIMESTAMP.match(session["created_at"])
    assert session["waiting_job_count"] == 0


def test_create_keeps_every_given_field_with_canonical_durations(
    emulator: RunningEmulator,
) -> None:
    model = "6170692e-7363-616c-6577-61792e636f6d"
    with api(emulator) as client:
        session = create(
            client,
            emulator.project_id,
            name="bell",
            max_duration="7200.0s",
            max_idle_duration="2.50s",
            tags=["team:a", "env:test"],
            deduplication_id="d-1",
            model_id=model,
            parameters='{"shots": 100}',
        )
    assert session["name"] == "bell"
    assert (session["max_duration"], session["max_idle_duration"]) == ("7200s", "2.5s")
    assert session["tags"] == ["team:a", "env:test"]
    assert session["deduplication_id"] == "d-1"
    assert (session["model_id"], session["parameters"]) == (model, '{"shots": 100}')


def test_get_returns_the_created_session(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id, name="x")
        fetched = client.get(f"/sessions/{session['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == session


def test_patch_changes_the_four_mutable_fields_and_updated_at(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id, name="a", tags=["x"])
        emulator.advance(1)
        patched = client.patch(
            f"/sessions/{session['id']}",
            json={
                "name": "b",
                "tags": ["y", "z"],
                "max_duration": "5400s",
                "max_idle_duration": "60s",
            },
        ).json()
    assert (patched["name"], patched["tags"]) == ("b", ["y", "z"])
    assert (patched["max_duration"], patched["max_idle_duration"]) == ("5400s", "60s")
    assert patched["updated_at"] > session["updated_at"]
    assert patched["created_at"] == session["created_at"]


def test_patch_with_only_some_fields_leaves_the_others(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id, name="a", tags=["keep"])
        patched = client.patch(f"/sessions/{session['id']}", json={"name": "b"}).json()
    assert patched["tags"] == ["keep"]
    assert patched["max_duration"] == session["max_duration"]


def test_patch_with_empty_tags_clears_them(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id, tags=["a"])
        assert client.patch(f"/sessions/{session['id']}", json={"tags": []}).json()["tags"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("platform_id", "6170692e-7363-616c-6577-61792e636f6d"),
        ("project_id", "6170692e-7363-616c-6577-61792e636f6d"),
        ("deduplication_id", "other"),
        ("booking_demand", {}),
        ("model_id", "6170692e-7363-616c-6577-61792e636f6d"),
        ("parameters", "{}"),
        ("status", "stopped"),
    ],
)
def test_patch_of_an_immutable_field_is_400_naming_it(
    emulator: RunningEmulator, field: str, value: object
) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        response = client.patch(f"/sessions/{session['id']}", json={"name": "n", field: value})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid_arguments"
    assert [d["argument_name"] for d in body["details"]] == [field]
    assert "cannot be updated" in body["details"][0]["help_message"]


def test_patch_of_an_unknown_field_is_400_unknown_field(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        response = client.patch(f"/sessions/{session['id']}", json={"colour": "red"})
    assert response.status_code == 400
    assert response.json()["details"][0] == {
        "argument_name": "colour",
        "reason": "constraint",
        "help_message": "unknown field",
    }


def test_patch_to_an_empty_name_is_400(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        response = client.patch(f"/sessions/{session['id']}", json={"name": ""})
    assert response.status_code == 400
    assert response.json()["details"][0]["argument_name"] == "name"


def test_terminate_goes_stopping_then_stopped(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        emulator.advance(10)
        stopping = client.post(f"/sessions/{session['id']}/terminate", json={}).json()
        assert stopping["status"] == "stopping"
        assert stopping["terminated_at"] is None
        emulator.advance(5)
        stopped = client.get(f"/sessions/{session['id']}").json()
    assert stopped["status"] == "stopped"
    assert stopped["terminated_at"] is not None
    assert stopped["progress_message"] == "Session stopped: terminated by user"


def test_terminate_of_a_starting_session_stops_it_without_ever_starting(
    emulator: RunningEmulator,
) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        client.post(f"/sessions/{session['id']}/terminate", json={})
        emulator.advance(60)
        stopped = client.get(f"/sessions/{session['id']}").json()
    assert stopped["status"] == "stopped"
    assert stopped["started_at"] is None


def test_terminate_of_a_stopped_session_returns_it_unchanged(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        client.post(f"/sessions/{session['id']}/terminate", json={})
        emulator.advance(60)
        stopped = client.get(f"/sessions/{session['id']}").json()
        again = client.post(f"/sessions/{session['id']}/terminate", json={})
    assert again.status_code == 200
    assert again.json() == stopped


def test_terminate_without_a_body_is_accepted(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        response = client.post(f"/sessions/{session['id']}/terminate")
    assert response.status_code == 200


def test_terminate_with_a_field_in_the_body_is_400(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        response = client.post(f"/sessions/{session['id']}/terminate", json={"force": True})
    assert response.status_code == 400
    assert response.json()["details"][0]["argument_name"] == "force"


def test_delete_is_204_without_body_then_404(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        deleted = client.delete(f"/sessions/{session['id']}")
        assert deleted.status_code == 204
        assert deleted.content == b""
        after = client.get(f"/sessions/{session['id']}")
    assert after.status_code == 404
    assert after.json() == {
        "type": "not_found",
        "message": "resource is not found",
        "resource": "session",
        "resource_id": session["id"],
    }


def test_delete_twice_is_404_the_second_time(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        client.delete(f"/sessions/{session['id']}")
        assert client.delete(f"/sessions/{session['id']}").status_code == 404


def test_deleted_session_leaves_lists_but_stays_in_the_raw_dump(
    emulator: RunningEmulator,
) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        client.delete(f"/sessions/{session['id']}")
        listed = client.get("/sessions", params={"project_id": emulator.project_id}).json()
    assert listed == {"total_count": 0, "sessions": []}
    (raw,) = emulator.sessions()
    assert raw["id"] == session["id"]
    assert raw["deleted_at"] is not None
    assert raw["wire"]["status"] == "stopped"


def test_other_operations_on_a_deleted_session_are_404(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        client.delete(f"/sessions/{session['id']}")
        path = f"/sessions/{session['id']}"
        assert client.patch(path, json={"name": "x"}).status_code == 404
        assert client.post(f"{path}/terminate", json={}).status_code == 404


def test_sessions_on_every_non_maintenance_platform_can_be_created(
    emulator: RunningEmulator,
) -> None:
    with api(emulator) as client:
        platforms = client.get("/platforms", params={"page_size": 100}).json()["platforms"]
        for platform in platforms:
            if platform["availability"] != "maintenance":
                assert (
                    create(client, emulator.project_id, platform["id"])["platform_id"]
                    == (platform["id"])
                )
        assert platform_id()
