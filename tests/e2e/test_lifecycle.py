"""Refresh and destroy as the real engine drives them, against the emulator.

Refresh after changes made by hand (tags, terminated, deleted; a healthy stack's
``refresh --expect-no-changes`` is in test_identity.py), destroy with each
``on_delete`` mode, ``retain_on_delete`` and ``protect``; Sessions that ended by
themselves, replaced and destroyed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_qpu.client import QaasClient
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator
from tests.support.front_door import FrontDoor, session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def one_session(**options: Any) -> Callable[[], None]:
    """A program with one Session ``s`` (extra inputs or ``opts=`` in ``options``)."""
    opts = options.pop("opts", None)

    def program() -> None:
        declared = session("s", platform_name="EMU-AER-16C-128M", tags=["a"], opts=opts, **options)
        pulumi.export("id", declared.id)
        pulumi.export("tags", declared.tags)
        pulumi.export("status", declared.status)

    return program


def client_of(qpu: RunningEmulator) -> QaasClient:
    """A client on the emulator, as someone working by hand would use."""
    return QaasClient(secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id)


def by_id(qpu: RunningEmulator, session_id: str) -> dict[str, Any]:
    """The emulator's record of one session (deleted ones included)."""
    return next(s for s in qpu.sessions() if s["id"] == session_id)


def test_refresh_shows_tags_changed_by_hand(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session())
    session_id = stack.up().outputs["id"].value
    with client_of(qpu) as client:
        client.update_session(session_id, tags=["changed-by-hand"])
    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes.get("update") == 1
    assert engine.resources(stack)[0]["outputs"]["tags"] == ["changed-by-hand"]
    # The program still says ["a"]: the next up puts it back, in place.
    again = stack.up()
    assert again.summary.resource_changes.get("update") == 1
    assert by_id(qpu, session_id)["tags"] == ["a"]


def up_then_end_by_hand(
    engine: RealEngine, qpu: RunningEmulator, *, delete: bool
) -> tuple[Any, str]:
    """A stack of one session, up; then the session terminated (and deleted) by hand."""
    stack = engine.stack(one_session())
    first = stack.up().outputs["id"].value
    with client_of(qpu) as client:
        client.terminate_session(first)
        qpu.advance(5)
        if delete:
            client.delete_session(first)
    return stack, first


def test_refresh_records_a_session_terminated_by_hand_and_up_replaces_it(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack, first = up_then_end_by_hand(engine, qpu, delete=False)
    stack.refresh()
    assert engine.resources(stack)[0]["outputs"]["status"] == "stopped"
    again = stack.up()
    assert again.summary.resource_changes.get("replace") == 1
    assert [s["id"] for s in live_sessions(qpu)] == [again.outputs["id"].value]
    assert again.outputs["id"].value != first


def test_refresh_drops_a_session_deleted_by_hand_and_up_creates_it_again(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack, _ = up_then_end_by_hand(engine, qpu, delete=True)
    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes.get("delete") == 1
    assert engine.resources(stack) == []
    again = stack.up()
    assert again.summary.resource_changes.get("create") == 1
    assert [s["id"] for s in live_sessions(qpu)] == [again.outputs["id"].value]


@pytest.mark.parametrize(
    ("on_delete", "remaining"),
    [("terminate", "stopped"), ("terminate_and_delete", None)],
)
def test_destroy_with_each_on_delete_mode(
    front_door: FrontDoor,
    engine: RealEngine,
    qpu: RunningEmulator,
    on_delete: str,
    remaining: str | None,
) -> None:
    stack = engine.stack(one_session(on_delete=on_delete))
    session_id = stack.up().outputs["id"].value
    stack.destroy()
    with client_of(qpu) as client:
        listed = {s.id: s.status for s in client.list_sessions()}
    assert listed.get(session_id) == remaining
    assert live_sessions(qpu) == []


def test_destroy_of_a_retained_session_leaves_it_running(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session(opts=pulumi.ResourceOptions(retain_on_delete=True)))
    session_id = stack.up().outputs["id"].value
    stack.destroy()
    assert engine.resources(stack) == []
    assert [s["id"] for s in live_sessions(qpu)] == [session_id]


def test_destroy_of_a_protected_session_fails_and_leaves_it_running(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(one_session(opts=pulumi.ResourceOptions(protect=True)))
    session_id = stack.up().outputs["id"].value
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
    assert [s["id"] for s in live_sessions(qpu)] == [session_id]
    # `pulumi state unprotect`, as the engine's message says, and the stack can go.
    urn = engine.resources(stack)[0]["urn"]
    engine.pulumi(stack, "state", "unprotect", urn, "--yes")
    stack.destroy()
    assert live_sessions(qpu) == []


DURATIONS: dict[str, dict[str, Any]] = {
    "idle": {"max_idle_duration": "10m", "max_duration": "2h"},
    "total": {"max_idle_duration": "1h", "max_duration": "20m"},
    "lasting": {"max_idle_duration": "2h", "max_duration": "2h"},
}


def ending_by_themselves() -> None:
    """One Session ending by idleness, one by total duration, one that outlives both."""
    for name, durations in DURATIONS.items():
        declared = session(name, platform_name="EMU-AER-16C-128M", **durations)
        pulumi.export(name, declared.id)


def test_sessions_that_ended_by_themselves_are_replaced_and_destroyable(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(ending_by_themselves)
    first = {k: v.value for k, v in stack.up().outputs.items()}
    qpu.advance(20 * 60 + 1)  # past idle's 10 min and total's 20 min, not lasting's 2 h
    assert {s["id"]: s["stop_reason"] for s in qpu.sessions() if s["stop_reason"]} == {
        first["idle"]: "max_idle_duration reached",
        first["total"]: "max_duration reached",
    }
    # Preview tells the truth without --refresh, and changes nothing.
    # "same": the lasting session, the stack (and the dynamic provider's sweeper).
    assert stack.preview().change_summary == {"replace": 2, "same": 2 + front_door.helpers}
    assert len(qpu.sessions()) == 3

    second = {k: v.value for k, v in stack.up().outputs.items()}
    assert second["lasting"] == first["lasting"]
    assert second["idle"] != first["idle"]
    assert second["total"] != first["total"]
    assert sorted(s["id"] for s in live_sessions(qpu)) == sorted(second.values())
    assert len(qpu.sessions()) == 5  # two replacements, nothing more

    # Everything ends on its own before destroy: destroying stopped sessions succeeds.
    qpu.advance(2 * 3600 + 1)
    assert live_sessions(qpu) == []
    stack.destroy()
    assert engine.resources(stack) == []
    assert len(qpu.sessions()) == 5


def test_shortening_max_duration_below_the_time_run_previews_the_replacement_up_makes(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    long_lived = {"max_idle_duration": "2h"}
    stack = engine.stack(one_session(max_duration="2h", **long_lived))
    first = stack.up().outputs["id"].value
    qpu.advance(30 * 60)  # it has run 30 minutes
    stack.workspace.program = one_session(max_duration="20m", **long_lived)

    printed: list[str] = []
    assert stack.preview(on_output=printed.append).change_summary.get("replace") == 1
    text = "\n".join(printed)
    assert "max_duration" in text, text
    assert "has already run" in text, text
    result = stack.up()
    second = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert second != first
    assert [s["id"] for s in live_sessions(qpu)] == [second]
    assert by_id(qpu, second)["max_duration"] == "1200s"
    assert set(stack.preview().change_summary) == {"same"}


def test_max_duration_shortened_but_above_the_time_run_updates_in_place(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    long_lived = {"max_idle_duration": "2h"}
    stack = engine.stack(one_session(max_duration="2h", **long_lived))
    first = stack.up().outputs["id"].value
    qpu.advance(10 * 60)
    stack.workspace.program = one_session(max_duration="20m", **long_lived)
    assert stack.preview().change_summary.get("update") == 1
    assert stack.up().outputs["id"].value == first
    assert by_id(qpu, first)["status"] == "running"


def test_refresh_of_a_session_that_ended_by_itself_records_it_and_the_next_preview_replaces_it(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    # docs/provider.md, read(): refresh records what it reads and replaces nothing.
    stack = engine.stack(one_session(max_idle_duration="60s"))
    first = stack.up().outputs["id"].value
    qpu.advance(61)
    printed: list[str] = []
    refreshed = stack.refresh(on_output=printed.append, diff=True)
    assert refreshed.summary.resource_changes.get("update") == 1
    text = "\n".join(printed)
    assert re.search(r'~ status\s*: "running" => "stopped"', text), text
    assert [(r["id"], r["outputs"]["status"]) for r in engine.resources(stack)] == [
        (first, "stopped")
    ]
    assert stack.preview().change_summary.get("replace") == 1
