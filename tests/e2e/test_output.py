"""What the real CLI prints: one-line failures, lines on their Session, replacement reasons.

The engine prints, after the progress, a "Diagnostics:" section with one block per
resource (``pulumi-python:dynamic/qpu:Session (s):``); these tests read those blocks as
a user reads them. docs/provider.md, "What the CLI shows", quotes the lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session
from pulumi_qpu.client import QaasClient
from pulumi_qpu.resource import GET_SDK_FLOOR, _sdk_version
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLATFORM = "EMU-AER-16C-128M"
STACK_BLOCK = "pulumi:pulumi:Stack"


def sessions(*names: str, **inputs: Any) -> Callable[[], None]:
    """A program with one Session per name, each with ``inputs``; exports their ids."""

    def program() -> None:
        for name in names:
            pulumi.export(name, Session(name, platform_name=PLATFORM, **inputs).id)

    return program


def client_of(qpu: RunningEmulator) -> QaasClient:
    """A client on the emulator, as someone working by hand would use."""
    return QaasClient(secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id)


def diagnostics(printed: list[str]) -> dict[str, list[str]]:
    """The "Diagnostics:" section: each resource's lines, by the block's heading.

    A heading is ``<type> (<name>)``; a line is a diagnostic's text as printed (its
    continuation lines, if any, kept as separate entries, so a one-line message is one
    entry).
    """
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    inside = False
    for line in "\n".join(printed).splitlines():
        if line.startswith("Diagnostics:"):
            inside = True
            continue
        if not inside:
            continue
        if line and not line.startswith(" "):
            break  # "Outputs:", "Resources:": the section ended
        heading = re.fullmatch(r"  (\S.*\(.*\)):", line)
        if heading:
            current = blocks.setdefault(heading.group(1), [])
        elif line.strip() and current is not None:
            current.append(line.removeprefix("    "))
    return blocks


def session_block(printed: list[str], name: str) -> list[str]:
    """The Diagnostics lines of the Session ``name``."""
    return diagnostics(printed).get(f"pulumi-python:dynamic/qpu:Session ({name})", [])


def stack_block(printed: list[str]) -> list[str]:
    """The Diagnostics lines of the stack itself."""
    blocks = diagnostics(printed)
    return next((lines for heading, lines in blocks.items() if heading.startswith(STACK_BLOCK)), [])


def failing(operation: Callable[..., Any]) -> list[str]:
    """Run ``operation``, which must fail; what the CLI printed."""
    from pulumi import automation as auto

    printed: list[str] = []
    with pytest.raises(auto.CommandError):
        operation(on_output=printed.append)
    return printed


def only_error(printed: list[str], name: str) -> str:
    """The Session's one diagnostic, which must be a one-line error, without "error: "."""
    text = "\n".join(printed)
    assert "Traceback" not in text, text
    block = session_block(printed, name)
    errors = [line for line in block if line.startswith("error: ")]
    assert len(errors) == 1, block
    assert block[-1] == errors[0], f"the error continues on other lines: {block}"
    return errors[0].removeprefix("error: ")


def test_create_update_and_delete_failures_are_one_line_naming_the_fix(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    # Create: the session does not start within create_timeout.
    qpu.configure(start_delay=5)
    stack = engine.stack(sessions("s", create_timeout="1s"))
    line = only_error(failing(stack.up), "s")
    assert re.match(r"session \S+ of s did not reach running: ", line), line
    assert line.endswith("(raise create_timeout or set wait_for_running=False)"), line
    assert live_sessions(qpu) == []

    # Update: the API refuses the PATCH of a new name.
    qpu.configure(start_delay=0.5)
    stack.workspace.program = sessions("s", delete_timeout="1s")
    stack.up()
    stack.workspace.program = sessions("s", delete_timeout="1s", name="renamed")
    route = "PATCH /qaas/v1alpha1/sessions/{session_id}"
    refusal = {"kind": "error", "route": route, "status": 403, "type": "permissions_denied"}
    qpu.set_faults(script=[{**refusal, "count": 5}])
    line = only_error(failing(stack.up), "s")
    qpu.set_faults()
    assert "403 permissions_denied" in line, line
    assert "give its IAM user or application a policy" in line, line

    # Delete: the session takes longer to stop than delete_timeout.
    qpu.configure(stop_delay=5)
    line = only_error(failing(stack.destroy), "s")
    assert re.match(r"session \S+ of s is still stopping after 1s: ", line), line
    assert "(raise delete_timeout; the session was asked to terminate)" in line, line
    qpu.configure(stop_delay=0.2)
    qpu.advance(10)  # it finishes stopping: the fixture's destroy then succeeds


def test_a_check_failure_is_one_line_naming_the_fix(engine: RealEngine) -> None:
    stack = engine.stack(sessions("s", max_duration="1h", max_cost="0.01 EUR"))
    line = only_error(failing(stack.preview), "s")
    assert "exceeds max_cost" in line, line
    assert "raise max_cost to at least 0.90 EUR" in line, line


def test_each_session_gets_one_line_on_its_own_row(engine: RealEngine) -> None:
    names = ("a", "b", "c")
    stack = engine.stack(sessions(*names, max_duration="1h"))
    printed: list[str] = []
    stack.up(on_output=printed.append)
    for name in names:
        worst = f"qpu: session {name}: worst case 0.90 EUR (0.90 EUR/h for its max_duration)"
        assert session_block(printed, name) == [worst]
    assert not [line for line in stack_block(printed) if "qpu" in line]
    # The wait's progress shows on the Session's row while it creates, and is not kept.
    text = "\n".join(printed)
    assert re.search(r"dynamic/qpu:Session a creat.*qpu: session \S+ of a is running", text), text


def test_preview_says_why_a_session_that_ended_is_replaced(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(sessions("by_hand", "idle", max_idle_duration="60s"))
    ids = {name: out.value for name, out in stack.up().outputs.items()}
    with client_of(qpu) as client:
        client.terminate_session(ids["by_hand"])
    qpu.advance(61)  # idle ends by itself; by_hand finishes stopping
    printed: list[str] = []
    assert stack.preview(on_output=printed.append).change_summary.get("replace") == 2
    assert session_block(printed, "by_hand")[0] == (
        f"warning: qpu: session {ids['by_hand']} of by_hand has ended (stopped: Session "
        "stopped: terminated by user): replacing it with a new session"
    )
    assert session_block(printed, "idle")[0] == (
        f"warning: qpu: session {ids['idle']} of idle has ended (stopped: Session stopped: "
        "max_idle_duration reached): replacing it with a new session"
    )


@pytest.mark.skipif(
    _sdk_version() < GET_SDK_FLOOR,
    reason="this pulumi SDK's host cannot read by id: Session.get raises (test_host_adapter.py)",
)
def test_session_get_reads_an_existing_session_and_leaves_it_alone(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    with client_of(qpu) as client:
        made = client.create_session(
            platform_id=str(client.find_platform(PLATFORM).id), name="made-elsewhere"
        )
    wanted = {"id": made.id}

    def program() -> None:
        seen = Session.get("seen", wanted["id"])
        for key in ("name", "platform_id", "project_id", "status", "price_per_hour"):
            pulumi.export(key, getattr(seen, key))
        pulumi.export("id", seen.id)

    stack = engine.stack(program)
    outputs = {key: out.value for key, out in stack.up().outputs.items()}
    with client_of(qpu) as client:
        live = client.get_session(made.id)
    assert outputs == {
        "id": made.id,
        "name": "made-elsewhere",
        "platform_id": str(live.platform_id),
        "project_id": qpu.project_id,
        "status": live.status.value,
        "price_per_hour": "0.90",
    }
    stack.destroy()
    assert [s["id"] for s in live_sessions(qpu)] == [made.id]  # destroy only forgot it

    wanted["id"] = "00000000-0000-0000-0000-000000000000"
    line = only_error(failing(stack.up), "seen")
    assert line.startswith(f"Session.get: no session {wanted['id']} can be read"), line
    with client_of(qpu) as client:
        client.terminate_session(made.id)
