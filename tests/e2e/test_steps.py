"""Steps the real engine decides around a Session: delete-before-replace, a replaced
session whose delete failed, a resource removed from the program, a run that fails.

What the provider is asked, and in which order, is the pinned CLI's choice here; the
emulator's records are the oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session
from pulumi_qpu.retry import PULUMI_RETRY_POLICY
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLATFORM = "EMU-AER-16C-128M"
OTHER_PLATFORM = "EMU-AER-H100"
POST = "POST /qaas/v1alpha1/sessions"
TERMINATE = "POST /qaas/v1alpha1/sessions/{session_id}/terminate"


def sessions(*names: str, platform: str = PLATFORM, **options: Any) -> Callable[[], None]:
    """A program of one Session per name on ``platform``; ``opts=`` goes to each."""

    def program() -> None:
        for name in names:
            session = Session(name, platform_name=platform, **options)
            pulumi.export(name, session.id)

    return program


def by_id(qpu: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in qpu.sessions()}


def live_ids(qpu: RunningEmulator) -> list[str]:
    return [s["id"] for s in live_sessions(qpu)]


def test_a_replaced_session_that_failed_to_end_is_ended_by_the_next_up(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(sessions("s"))
    old = stack.up().outputs["s"].value
    refused = {"kind": "error", "route": TERMINATE, "status": 403, "type": "permissions_denied"}
    qpu.set_faults(script=[refused])
    stack.workspace.program = sessions("s", platform=OTHER_PLATFORM)
    with pytest.raises(auto.CommandError, match="permissions_denied"):
        stack.up()
    # The replacement was made and recorded; the old one stays in state to be deleted.
    stored = engine.resources(stack)
    assert sorted((r["id"], bool(r.get("delete"))) for r in stored) == sorted(
        [(old, True), (live_ids(qpu)[-1], False)]
    )
    new = next(r["id"] for r in stored if not r.get("delete"))
    again = stack.up()
    # The engine deletes it first thing (a pending delete), and counts no change for it.
    assert "deleting original" in again.stdout
    assert set(again.summary.resource_changes or {}) == {"same"}
    assert [r["id"] for r in engine.resources(stack)] == [new]
    assert live_ids(qpu) == [new]


def test_delete_before_replace_ends_the_old_session_before_making_the_new(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    opts = pulumi.ResourceOptions(delete_before_replace=True)
    stack = engine.stack(sessions("s", opts=opts))
    old = stack.up().outputs["s"].value
    stack.workspace.program = sessions("s", platform=OTHER_PLATFORM, opts=opts)
    result = stack.up()
    new = result.outputs["s"].value
    assert result.summary.resource_changes.get("replace") == 1
    made = by_id(qpu)
    assert made[old]["terminated_at"] <= made[new]["created_at"]
    assert live_ids(qpu) == [new]


def test_a_resource_removed_from_the_program_is_ended(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(sessions("s", "t"))
    both = stack.up().outputs
    stack.workspace.program = sessions("s")
    result = stack.up()
    assert result.summary.resource_changes.get("delete") == 1
    assert live_ids(qpu) == [both["s"].value]
    assert by_id(qpu)[both["t"].value]["status"] == "stopped"


def test_a_failed_run_reports_every_failure_and_the_next_run_converges(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    # Every create fails once its attempts are spent (429s asking no wait, so it is
    # quick). The engine lets the creates under way finish and reports each failure.
    attempts = PULUMI_RETRY_POLICY.max_attempts
    qpu.set_faults(
        script=[{"kind": "throttle", "retry_after": 0, "route": POST, "count": 3 * attempts}]
    )
    stack = engine.stack(sessions("a", "b", "c"))
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    text = str(failed.value)
    for name in ("a", "b", "c"):
        assert f"qpu:Session ({name}):" in text, text
    assert text.count("too_many_requests") >= 3, text
    assert qpu.sessions() == []
    assert engine.resources(stack) == []
    assert engine.exported(stack).get("pending_operations", []) == []
    stack.up()
    assert len(engine.resources(stack)) == len(live_ids(qpu)) == 3


def test_a_session_renamed_with_an_alias_keeps_its_session_and_takes_its_new_name(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(sessions("old"))
    session_id = stack.up().outputs["old"].value

    def renamed() -> None:
        session = Session(
            "new",
            platform_name=PLATFORM,
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")]),
        )
        pulumi.export("new", session.id)

    stack.workspace.program = renamed
    result = stack.up()
    assert result.outputs["new"].value == session_id
    assert result.summary.resource_changes.get("update") == 1
    assert live_ids(qpu) == [session_id]
    (stored,) = engine.resources(stack)
    # What reads the stored outputs (progress lines, the chain of ids) names it "new".
    assert stored["outputs"]["resource_key"].endswith("/new")
    assert set(stack.up().summary.resource_changes) == {"same"}
