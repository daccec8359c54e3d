"""A stack whose credentials change between runs (``qpu:secretKey``, ``qpu:projectId``).

The API answers 404 for a session of a project the key cannot read, exactly as for one
that is gone. Such a session is not "gone": no replacement is planned for it, refresh
keeps it, and a delete of it fails saying where it may still run, instead of reporting a
delete that did not happen. The emulator's records (every tenant's sessions) are the
oracle; its second tenant plays the other credentials.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import EmulatorFactory, RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def one_session() -> None:
    pulumi.export("id", Session("s", platform_name="EMU-AER-16C-128M").id)


def use_key(stack: Any, key: str, project: str | None = None) -> None:
    """Set the stack's credentials, as ``pulumi config set --secret`` would."""
    from pulumi import automation as auto

    stack.set_config("qpu:secretKey", auto.ConfigValue(key, secret=True))
    if project is not None:
        stack.set_config("qpu:projectId", auto.ConfigValue(project))


def live_ids(qpu: RunningEmulator) -> list[str]:
    return sorted(s["id"] for s in live_sessions(qpu))


def test_a_key_that_cannot_see_the_project_plans_no_replacement_and_destroy_fails_saying_so(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(one_session)
    session_id = stack.up().outputs["id"].value
    use_key(stack, qpu.other_secret_key)  # same project, a key that cannot read it

    printed: list[str] = []
    assert set(stack.preview(on_output=printed.append).change_summary) == {"same"}
    text = "\n".join(printed)
    assert "cannot be seen with the current credentials" in text, text
    assert qpu.other_secret_key not in text

    # An up records the new credentials in the provider's state (destroy uses them).
    assert set(stack.up().summary.resource_changes or {}) == {"same"}
    stack.refresh()
    assert [r["id"] for r in engine.resources(stack)] == [session_id]

    with pytest.raises(auto.CommandError) as failure:
        stack.destroy()
    message = str(failure.value)
    assert f"may still run in project {qpu.project_id}" in message, message
    assert "pulumi state delete" in message, message
    assert "--run-program" in message, message
    assert qpu.other_secret_key not in message
    assert live_ids(qpu) == [session_id]
    assert [r["id"] for r in engine.resources(stack)] == [session_id]

    # With the key that can read the project back, destroy does its work (run_program:
    # a plain destroy would use the credentials the last up recorded).
    use_key(stack, qpu.secret_key)
    stack.destroy(run_program=True)
    assert live_ids(qpu) == []


def test_moving_a_stack_to_another_project_never_reports_a_delete_that_did_not_happen(
    engine_for: Callable[[RunningEmulator], RealEngine], emulator_factory: EmulatorFactory
) -> None:
    from pulumi import automation as auto

    old_project, new_project, new_key, both_key = (str(uuid.uuid4()) for _ in range(4))
    qpu = emulator_factory(
        project_id=old_project,
        tenant=[f"{new_key}:{new_project}", f"{both_key}:{old_project},{new_project}"],
        start_delay=0.5,
        stop_delay=0.2,
    )
    engine = engine_for(qpu)
    stack = engine.stack(one_session)
    old = stack.up().outputs["id"].value
    use_key(stack, new_key, new_project)  # the stack moved to a key of the new project

    printed: list[str] = []
    preview = stack.preview(on_output=printed.append)
    assert preview.change_summary.get("replace") == 1
    assert f"project {old_project}" in "\n".join(printed)

    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    message = str(failure.value)
    assert f"may still run in project {old_project}" in message, message
    assert "deleted original" not in message
    assert new_key not in message
    # The old session still runs, and the state still holds it (to be deleted).
    (new,) = [s["id"] for s in live_sessions(qpu) if s["project_id"] == new_project]
    assert live_ids(qpu) == sorted([old, new])
    assert sorted(r["id"] for r in engine.resources(stack)) == sorted([old, new])

    # The fix the message gives: run again with a key that can read the old project.
    use_key(stack, both_key)
    stack.up()
    assert live_ids(qpu) == [new]
    assert [r["id"] for r in engine.resources(stack)] == [new]
    use_key(stack, new_key)
    assert set(stack.preview().change_summary) == {"same"}
