"""Identity under the real engine: replacement, ``--replace``, no-op up, refresh, secrets.

The rows of docs/provider.md's identity table that the host-level tests
(tests/provider/test_identity.py) play in the engine's order, here with the pinned CLI
deciding the order itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator
from tests.support.front_door import FrontDoor, session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLATFORM = "EMU-AER-16C-128M"
OTHER_PLATFORM = "EMU-AER-H100"


def one_session(**inputs: Any) -> Callable[[], None]:
    """A program with one Session ``s``; ``opts=`` goes to its options."""
    opts = inputs.pop("opts", None)
    inputs.setdefault("platform_name", PLATFORM)

    def program() -> None:
        declared = session("s", opts=opts, **inputs)
        pulumi.export("id", declared.id)

    return program


def status_of(qpu: RunningEmulator, session_id: str) -> str:
    return str(next(s["status"] for s in qpu.sessions() if s["id"] == session_id))


def live_ids(qpu: RunningEmulator) -> list[str]:
    return [s["id"] for s in live_sessions(qpu)]


def test_an_input_that_cannot_change_in_place_replaces_with_another_session(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session())
    old = stack.up().outputs["id"].value
    stack.workspace.program = one_session(platform_name=OTHER_PLATFORM)
    result = stack.up()
    new = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert new != old
    assert live_ids(qpu) == [new]
    assert status_of(qpu, old) in ("stopping", "stopped")
    # Create-before-delete: the old session ended only once the new one existed.
    made = {s["id"]: s for s in qpu.sessions()}
    assert made[new]["created_at"] <= made[old]["terminated_at"]
    # Create before delete: the old session ran until the new one did.
    sessions = {s["id"]: s for s in qpu.sessions()}
    assert sessions[old]["terminated_at"] >= sessions[new]["started_at"]


def test_up_with_replace_makes_another_session_and_ends_the_old(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session())
    old = stack.up().outputs["id"].value
    urn = engine.resources(stack)[0]["urn"]
    result = stack.up(replace=[urn])
    new = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert new != old
    assert live_ids(qpu) == [new]


def test_up_with_replace_of_a_given_deduplication_id_ends_the_old_first(
    request: pytest.FixtureRequest, front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    if front_door.name == "plugin":
        # A defect of the plugin: `--replace` skips Diff, so only the resource option
        # can ask for delete-before-replace (the dynamic Session sets it); through the
        # plugin the replacement joins the old session by its given id.
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="plugin: --replace of a given id joins the old")
        )
    stack = engine.stack(one_session(deduplication_id="team"))
    old = stack.up().outputs["id"].value
    urn = engine.resources(stack)[0]["urn"]
    new = stack.up(replace=[urn]).outputs["id"].value
    assert new != old
    assert live_ids(qpu) == [new]


def test_a_session_that_ended_by_itself_is_planned_for_replacement_at_preview(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session(max_idle_duration="60s"))
    old = stack.up().outputs["id"].value
    qpu.advance(61)
    assert stack.preview().change_summary.get("replace") == 1
    new = stack.up().outputs["id"].value
    assert new != old
    assert live_ids(qpu) == [new]


def test_a_no_op_up_shows_no_change_and_keeps_the_stored_inputs(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(one_session(name="n", tags=["t"], max_duration="1h"))
    stack.up()
    before = engine.resources(stack)[0]["inputs"]
    result = stack.up(expect_no_changes=True)
    assert set(result.summary.resource_changes or {}) == {"same"}
    assert engine.resources(stack)[0]["inputs"] == before


@pytest.mark.parametrize(
    "inputs",
    [{}, {"name": "n", "tags": ["t"], "max_idle_duration": "1h"}, {"deduplication_id": "team"}],
    ids=["minimal", "fields", "given-id"],
)
def test_refresh_of_a_healthy_stack_expects_no_changes(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator, inputs: dict[str, Any]
) -> None:
    stack = engine.stack(one_session(**inputs))
    stack.up()
    assert stack.refresh(expect_no_changes=True).summary.result == "succeeded"
    assert set(stack.up().summary.resource_changes or {}) == {"same"}


def test_replace_on_changes_replaces_on_a_field_that_updates_in_place(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    opts = pulumi.ResourceOptions(replace_on_changes=["name"])
    stack = engine.stack(one_session(name="a", opts=opts))
    old = stack.up().outputs["id"].value
    stack.workspace.program = one_session(name="b", opts=opts)
    result = stack.up()
    assert result.summary.resource_changes.get("replace") == 1
    assert result.outputs["id"].value != old


def test_a_secret_name_is_printed_nowhere(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    qpu.configure(start_delay=1.0)  # a wait long enough for progress lines

    def program() -> None:
        # Made inside the program: an Output belongs to the run's event loop.
        session("s", platform_name=PLATFORM, name=pulumi.Output.secret("classified-name"))

    stack = engine.stack(program)
    printed: list[str] = []
    stack.up(on_output=printed.append)
    stack.up(on_output=printed.append, replace=[engine.resources(stack)[0]["urn"]])
    text = "\n".join(printed)
    assert "of s is" in text  # the progress lines did arrive
    assert "classified" not in text
    assert "classified" not in engine.backend_text()


def test_ignore_changes_keeps_the_live_value_and_plans_nothing(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    opts = pulumi.ResourceOptions(ignore_changes=["tags", "platform_name"])
    stack = engine.stack(one_session(tags=["a"], opts=opts))
    session_id = stack.up().outputs["id"].value
    # Both a field that updates in place and one that would replace are ignored.
    stack.workspace.program = one_session(tags=["b"], platform_name=OTHER_PLATFORM, opts=opts)
    assert set(stack.preview().change_summary) == {"same"}
    assert set(stack.up().summary.resource_changes or {}) == {"same"}
    assert live_ids(qpu) == [session_id]
    assert next(s["tags"] for s in qpu.sessions() if s["id"] == session_id) == ["a"]


def test_a_booking_demand_change_books_another_session(
    front_door: FrontDoor, engine: RealEngine, qpu: RunningEmulator
) -> None:
    from datetime import datetime, timedelta

    now = datetime.fromisoformat(qpu.advance(0).replace("Z", "+00:00")).replace(microsecond=0)

    def slot(hours: int) -> dict[str, str]:
        start = now + timedelta(hours=hours)
        return {
            "started_at": start.isoformat(),
            "finished_at": (start + timedelta(hours=1)).isoformat(),
        }

    booked = {"platform_name": "QPU-GARNET-20PQ", "max_duration": "1h"}
    stack = engine.stack(one_session(**booked, booking_demand=slot(2)))
    old = stack.up().outputs["id"].value
    stack.workspace.program = one_session(**booked, booking_demand=slot(3))
    result = stack.up()
    new = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert new != old
    assert live_ids(qpu) == [new]
