"""Every example's flows through the real Pulumi CLI, against the emulator.

Each example's ``__main__.py`` runs as an Automation API inline program (see
tests/support/cli.py for why), on a local file backend.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.identity import adopted_tag, visible_tags
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_basic_preview_up_change_destroy(engine: RealEngine, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    stack = engine.example("basic", team="alpha")
    preview = stack.preview()
    # The stack, the session and the stack's leftover sweeper.
    assert preview.change_summary.get("create") == 3
    assert qpu.sessions() == []

    up = stack.up()
    assert up.outputs["status"].value == "running"
    assert [s["id"] for s in live_sessions(qpu)] == [up.outputs["session_id"].value]

    stack.set_config("team", auto.ConfigValue("beta"))
    again = stack.up()
    assert again.summary.resource_changes.get("update") == 1
    assert live_sessions(qpu)[0]["tags"] == ["team:beta", "example:basic"]

    stack.destroy()
    assert live_sessions(qpu) == []


def test_fleet_update_and_replace(engine: RealEngine, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    stack = engine.example("fleet")
    first = stack.up()
    assert len(live_sessions(qpu)) == 2
    stack.set_config("tags", auto.ConfigValue('["fleet", "v2"]'))
    assert stack.up().summary.resource_changes.get("update") == 2
    stack.set_config(
        "fleet",
        auto.ConfigValue(
            '{"aer": {"platform": "EMU-AER-H100"}, "qsim": {"platform": "EMU-QSIM-L40S"}}'
        ),
    )
    replaced = stack.up()
    assert replaced.summary.resource_changes.get("replace") == 1
    assert replaced.outputs["session_ids"].value["aer"] != first.outputs["session_ids"].value["aer"]
    stack.destroy()
    assert live_sessions(qpu) == []


def test_booking_books_a_future_slot(engine: RealEngine, qpu: RunningEmulator) -> None:
    now = datetime.fromisoformat(qpu.advance(0).replace("Z", "+00:00"))
    start = (now + timedelta(hours=2)).replace(microsecond=0).isoformat()
    stack = engine.example("booking", slotStart=start)
    up = stack.up()
    assert up.outputs["status"].value == "starting"
    assert up.outputs["booking_id"].value
    stack.destroy()
    assert live_sessions(qpu) == []


def test_booking_without_a_slot_fails_before_anything_is_created(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.example("booking")
    with pytest.raises(auto.CommandError, match="slotStart"):
        stack.up()
    assert qpu.sessions() == []


def test_lookup_adopts_an_existing_session(engine: RealEngine, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        platform = client.find_platform("EMU-AER-16C-128M")
        existing = client.create_session(platform_id=platform.id, name="by-hand")
        stopped = client.create_session(platform_id=platform.id, name="ended")
        client.terminate_session(stopped.id)
    qpu.advance(60)  # the ended one stopped, the other running
    stack = engine.example("lookup")
    outputs = stack.up().outputs
    # Only what can be adopted is listed, with its name and status; the rest is counted.
    assert outputs["live_sessions"].value == {existing.id: {"name": "by-hand", "status": "running"}}
    assert outputs["session_counts"].value == {"running": 1, "stopped": 1}
    stack.set_config("adoptSessionId", auto.ConfigValue(existing.id))
    assert stack.up().outputs["adopted_name"].value == "by-hand"
    assert [s["id"] for s in qpu.sessions()] == [existing.id, stopped.id]
    (tags,) = [s["tags"] for s in live_sessions(qpu)]
    # The declared tags, and the hidden adoption tag (docs/provider.md, Adoption).
    assert visible_tags(tags) == ["adopted"]
    assert [tag for tag in tags if tag not in visible_tags(tags)] == [
        adopted_tag({"resource_key": engine.resources(stack)[0]["inputs"]["resource_key"]})
    ]
    assert set(stack.up().summary.resource_changes) == {"same"}  # adopted, then left alone
    stack.destroy()
    assert [s["status"] for s in qpu.sessions()] == ["stopped", "stopped"]
