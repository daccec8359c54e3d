"""Bookable platforms: booking_demand validation, quotas, and the booked lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.emulator.helpers import create, emulated_now, platform_id
from tests.support.emulator import RunningEmulator

# QPU-GARNET-20PQ rules (platforms.json): 15 min to 4 h, booked 1 h to 30 days ahead,
# 2 per day, 5 per week.


_now = emulated_now


def _demand(start: datetime, hours: float = 1) -> dict[str, str]:
    return {
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(hours=hours)).isoformat(),
        "description": "calibration run",
        "time_zone": "Europe/Paris",
    }


def _book(client: httpx.Client, project: str, demand: dict[str, Any]) -> httpx.Response:
    garnet = platform_id("QPU-GARNET-20PQ")
    return client.post(
        "/sessions", json={"project_id": project, "platform_id": garnet, "booking_demand": demand}
    )


def _only(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    (detail,) = response.json()["details"]
    return detail["argument_name"], detail["reason"]


def test_booking_on_a_non_bookable_platform_is_400(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    start = _now(emulator) + timedelta(days=1)
    response = client.post(
        "/sessions",
        json={
            "project_id": emulator.project_id,
            "platform_id": platform_id("EMU-AER-H100"),
            "booking_demand": _demand(start),
        },
    )
    assert _only(response) == ("booking_demand", "constraint")


def test_booked_session_waits_for_its_slot_then_ends_when_it_closes(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.configure(stop_delay=0)
    start = _now(emulator) + timedelta(hours=2)
    session = _book(client, emulator.project_id, _demand(start)).json()
    assert session["status"] == "starting"
    assert session["booking_id"]
    assert "Waiting for the booking slot on QPU-GARNET-20PQ" in session["progress_message"]
    emulator.advance(2 * 3600 - 60)
    assert client.get(f"/sessions/{session['id']}").json()["status"] == "starting"
    emulator.advance(120)
    running = client.get(f"/sessions/{session['id']}").json()
    assert running["status"] == "running"
    assert datetime.fromisoformat(running["started_at"].replace("Z", "+00:00")) == start
    emulator.advance(3600)
    stopped = client.get(f"/sessions/{session['id']}").json()
    assert stopped["status"] == "stopped"
    assert stopped["progress_message"] == "Session stopped: booking slot closed"
    assert (session["max_duration"], session["max_idle_duration"]) == ("3600s", "3600s")


def test_booking_shorter_than_the_platform_minimum_is_400(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    start = _now(emulator) + timedelta(days=1)
    response = _book(client, emulator.project_id, _demand(start, hours=0.1))
    assert _only(response) == ("booking_demand.finished_at", "constraint")


def test_booking_longer_than_the_platform_maximum_is_400(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    start = _now(emulator) + timedelta(days=1)
    response = _book(client, emulator.project_id, _demand(start, hours=5))
    assert _only(response) == ("booking_demand.finished_at", "constraint")


def test_booking_too_soon_is_400(client: httpx.Client, emulator: RunningEmulator) -> None:
    start = _now(emulator) + timedelta(minutes=10)
    assert _only(_book(client, emulator.project_id, _demand(start))) == (
        "booking_demand.started_at",
        "constraint",
    )


def test_booking_too_far_ahead_is_400(client: httpx.Client, emulator: RunningEmulator) -> None:
    start = _now(emulator) + timedelta(days=31)
    assert _only(_book(client, emulator.project_id, _demand(start))) == (
        "booking_demand.started_at",
        "constraint",
    )


def test_booking_without_dates_is_400_required(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    response = _book(client, emulator.project_id, {"description": "x"})
    assert response.status_code == 400
    assert {d["argument_name"] for d in response.json()["details"]} == {
        "booking_demand.started_at",
        "booking_demand.finished_at",
    }


def test_booking_ending_before_it_starts_is_400(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    start = _now(emulator) + timedelta(days=1)
    demand = _demand(start, hours=-1)
    assert _only(_book(client, emulator.project_id, demand)) == (
        "booking_demand.finished_at",
        "constraint",
    )


def test_booking_timestamp_without_zone_is_400_format(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    start = (_now(emulator) + timedelta(days=1)).replace(tzinfo=None)
    demand = {"started_at": start.isoformat(), "finished_at": start.isoformat()}
    response = _book(client, emulator.project_id, demand)
    assert response.status_code == 400
    assert response.json()["details"][0]["reason"] == "format"


def test_third_booking_on_one_day_is_403_quotas_exceeded(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    day = (_now(emulator) + timedelta(days=2)).replace(hour=8, minute=0, second=0)
    for hour in (0, 2):
        response = _book(client, emulator.project_id, _demand(day + timedelta(hours=hour)))
        assert response.status_code == 200, response.text
    third = _book(client, emulator.project_id, _demand(day + timedelta(hours=4)))
    assert third.status_code == 403
    assert third.json()["type"] == "quotas_exceeded"
    assert third.json()["details"] == [{"resource": "bookings_per_day", "quota": 2, "current": 2}]


def test_cancelled_booking_no_longer_counts_against_the_quota(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    day = (_now(emulator) + timedelta(days=2)).replace(hour=8, minute=0, second=0)
    first = _book(client, emulator.project_id, _demand(day)).json()
    _book(client, emulator.project_id, _demand(day + timedelta(hours=2)))
    client.post(f"/sessions/{first['id']}/terminate", json={})
    again = _book(client, emulator.project_id, _demand(day + timedelta(hours=4)))
    assert again.status_code == 200


def test_retried_booked_create_with_deduplication_id_returns_the_same_session(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    garnet = platform_id("QPU-GARNET-20PQ")
    demand = _demand(_now(emulator) + timedelta(hours=1, minutes=5))
    first = create(
        client, emulator.project_id, garnet, booking_demand=demand, deduplication_id="b1"
    )
    emulator.advance(600)  # the demand is now too close to "now" for a new booking
    again = create(
        client, emulator.project_id, garnet, booking_demand=demand, deduplication_id="b1"
    )
    assert again["id"] == first["id"]


def test_bookable_platform_without_booking_starts_on_demand(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.configure(start_delay=0)
    session = create(client, emulator.project_id, platform_id("QPU-GARNET-20PQ"))
    assert session["status"] == "running"
    assert session["booking_id"] is None


def test_platform_in_maintenance_refuses_sessions_with_412(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    response = client.post(
        "/sessions",
        json={
            "project_id": emulator.project_id,
            "platform_id": platform_id("QPU-ASCELLA-6PQ"),
        },
    )
    assert response.status_code == 412
    # Scaleway's shape: a precondition its clients know, the reason in help_message.
    body = response.json()
    assert body["precondition"] == "unknown_precondition"
    assert body["help_message"] == (
        "platform QPU-ASCELLA-6PQ is in maintenance; try another platform"
    )


def test_now_helper_is_utc(emulator: RunningEmulator) -> None:
    assert _now(emulator).tzinfo == timezone.utc


def test_cancelling_a_booking_inside_the_cancellation_window_is_412(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    session = _book(client, emulator.project_id, _demand(_now(emulator) + timedelta(hours=3)))
    session = session.json()
    emulator.advance(2 * 3600 + 60)  # the slot opens in 59 minutes; the window is 1 h
    for response in (
        client.post(f"/sessions/{session['id']}/terminate", json={}),
        client.delete(f"/sessions/{session['id']}"),
    ):
        assert response.status_code == 412
        assert response.json()["precondition"] == "unknown_precondition"
        assert "can be cancelled up to" in response.json()["help_message"]
    emulator.advance(3600)  # the slot is open: ending the session early is allowed
    assert client.delete(f"/sessions/{session['id']}").status_code == 204


def test_cancelling_a_booking_before_the_window_is_allowed(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    session = _book(client, emulator.project_id, _demand(_now(emulator) + timedelta(hours=3)))
    response = client.post(f"/sessions/{session.json()['id']}/terminate", json={})
    assert response.status_code == 200
    assert response.json()["status"] in ("stopping", "stopped")
