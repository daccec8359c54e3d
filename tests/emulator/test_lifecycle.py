"""The lifecycle on the emulated clock: start delay, expiry, stop delay, time scale."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx

from tests.emulator.helpers import api, create
from tests.support.emulator import EmulatorFactory, RunningEmulator


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _get(client: httpx.Client, session_id: str) -> dict[str, object]:
    result: dict[str, object] = client.get(f"/sessions/{session_id}").json()
    return result


def test_session_runs_after_the_start_delay_with_started_at_set_then(
    emulator: RunningEmulator,
) -> None:
    emulator.configure(start_delay=30)
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        emulator.advance(29)
        assert _get(client, session["id"])["status"] == "starting"
        emulator.advance(2)
        running = _get(client, session["id"])
    assert running["status"] == "running"
    assert _at(str(running["started_at"])) == _at(session["created_at"]) + timedelta(seconds=30)
    assert running["progress_message"] == "Session is running and ready to receive jobs"


def test_zero_start_delay_creates_running_sessions(emulator: RunningEmulator) -> None:
    emulator.configure(start_delay=0)
    with api(emulator) as client:
        assert create(client, emulator.project_id)["status"] == "running"


def test_starting_progress_message_names_the_platform(emulator: RunningEmulator) -> None:
    with api(emulator) as client:
        session = create(client, emulator.project_id)
    assert session["progress_message"] == "Allocating resources on EMU-AER-16C-128M"


def test_session_ends_itself_at_max_duration(emulator: RunningEmulator) -> None:
    emulator.configure(start_delay=0, stop_delay=10)
    with api(emulator) as client:
        session = create(
            client, emulator.project_id, max_duration="3600s", max_idle_duration="7200s"
        )
        emulator.advance(3599)
        assert _get(client, session["id"])["status"] == "running"
        emulator.advance(2)
        stopping = _get(client, session["id"])
        assert stopping["status"] == "stopping"
        assert stopping["progress_message"] == "Stopping session: max_duration reached"
        emulator.advance(10)
        stopped = _get(client, session["id"])
    assert stopped["status"] == "stopped"
    expected_end = _at(str(stopped["started_at"])) + timedelta(seconds=3610)
    assert _at(str(stopped["terminated_at"])) == expected_end
    assert stopped["progress_message"] == "Session stopped: max_duration reached"


def test_session_ends_itself_at_max_idle_duration_when_shorter(
    emulator: RunningEmulator,
) -> None:
    emulator.configure(start_delay=0, stop_delay=0)
    with api(emulator) as client:
        session = create(client, emulator.project_id, max_idle_duration="600s")
        emulator.advance(601)
        stopped = _get(client, session["id"])
    assert stopped["status"] == "stopped"
    assert stopped["progress_message"] == "Session stopped: max_idle_duration reached"


def test_a_week_long_expiry_passes_in_one_clock_advance(emulator: RunningEmulator) -> None:
    emulator.configure(start_delay=0, stop_delay=0)
    with api(emulator) as client:
        session = create(
            client, emulator.project_id, max_duration="604800s", max_idle_duration="604800s"
        )
        emulator.advance(604801)
        assert _get(client, session["id"])["status"] == "stopped"


def test_patch_extending_max_duration_keeps_the_session_running(
    emulator: RunningEmulator,
) -> None:
    emulator.configure(start_delay=0, stop_delay=0)
    with api(emulator) as client:
        session = create(client, emulator.project_id, max_duration="600s")
        emulator.advance(500)
        client.patch(f"/sessions/{session['id']}", json={"max_duration": "1200s"})
        emulator.advance(200)
        assert _get(client, session["id"])["status"] == "running"
        emulator.advance(600)
        assert _get(client, session["id"])["status"] == "stopped"


def test_patch_shortening_below_elapsed_ends_the_session_now_not_in_the_past(
    emulator: RunningEmulator,
) -> None:
    emulator.configure(start_delay=0, stop_delay=5)
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        emulator.advance(1000)
        patched = client.patch(f"/sessions/{session['id']}", json={"max_duration": "60s"}).json()
    assert patched["status"] == "stopping"
    assert patched["updated_at"] == patched["updated_at"]
    assert _at(patched["updated_at"]) >= _at(session["created_at"]) + timedelta(seconds=1000)


def test_patch_of_a_stopped_session_changes_data_but_does_not_revive_it(
    emulator: RunningEmulator,
) -> None:
    emulator.configure(start_delay=0, stop_delay=0)
    with api(emulator) as client:
        session = create(client, emulator.project_id, max_duration="60s")
        emulator.advance(61)
        patched = client.patch(
            f"/sessions/{session['id']}", json={"max_duration": "86400s", "name": "late"}
        ).json()
    assert (patched["status"], patched["name"]) == ("stopped", "late")


def test_transitions_are_stamped_when_due_not_when_read(emulator: RunningEmulator) -> None:
    emulator.configure(start_delay=10, stop_delay=0)
    with api(emulator) as client:
        session = create(client, emulator.project_id, max_duration="100s")
        emulator.advance(10_000)
        stopped = _get(client, session["id"])
    started = _at(session["created_at"]) + timedelta(seconds=10)
    assert _at(str(stopped["started_at"])) == started
    assert _at(str(stopped["terminated_at"])) == started + timedelta(seconds=100)


def test_clock_refuses_to_go_backwards(emulator: RunningEmulator) -> None:
    response = emulator.admin.post("/_emulator/clock/advance", json={"seconds": -1})
    assert response.status_code == 400


def test_time_scale_makes_emulated_time_run_faster(emulator_factory: EmulatorFactory) -> None:
    # One real millisecond is an emulated hour: the hour-long start delay passes at once.
    server = emulator_factory(time_scale=3_600_000, start_delay=3600)
    with api(server) as client:
        session = create(client, server.project_id)
        deadline = time.monotonic() + 10
        while _get(client, session["id"])["status"] == "starting":
            assert time.monotonic() < deadline, "the time scale had no effect"
            time.sleep(0.01)
    assert server.state()["time_scale"] == 3_600_000


def test_every_reply_is_dated_by_the_emulated_clock(emulator: RunningEmulator) -> None:
    from email.utils import parsedate_to_datetime

    emulator.configure(start_delay=0)
    with api(emulator) as client:
        session = create(client, emulator.project_id)
        now = _at(emulator.advance(3 * 3600))
        reply = client.get(f"/sessions/{session['id']}")
        missing = client.get("/sessions/00000000-0000-4000-8000-000000000000")
    for answered in (reply, missing):
        assert answered.headers.get_list("date") == [answered.headers["date"]]  # only one
        dated = parsedate_to_datetime(answered.headers["date"])
        # Date has whole seconds; the clock moved on a little since the advance.
        assert now - timedelta(seconds=1) <= dated <= now + timedelta(seconds=60)
    assert _at(str(reply.json()["started_at"])) + timedelta(hours=3) <= dated + timedelta(seconds=1)
