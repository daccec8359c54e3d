"""Adoption (``session_id=``) under the real engine: replaced, ended, refused at preview.

An adopted session carries a hidden tag, ``pulumi-qpu:adopted:<hash of the resource
key>``: a replacement of an adopted Session (``--replace``, the session ended by itself,
an input that cannot change in place) makes a fresh session instead of adopting the same
one again (which the engine's delete would then end), and a session some stack already
manages (a derived deduplication id, a creating tag, another resource's adoption mark) is
refused at preview. The emulator's records are the oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session
from pulumi_qpu.client import QaasClient
from pulumi_qpu.identity import adopted_tag
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PLATFORM = "EMU-AER-16C-128M"
OTHER_PLATFORM = "EMU-AER-H100"


def adopting(session_id: str, **inputs: Any) -> Callable[[], None]:
    """A program with one Session ``s`` that adopts ``session_id``."""
    inputs.setdefault("platform_name", PLATFORM)

    def program() -> None:
        session = Session("s", session_id=session_id, **inputs)
        pulumi.export("id", session.id)
        pulumi.export("tags", session.tags)

    return program


def creating(**inputs: Any) -> Callable[[], None]:
    """A program with one Session ``s`` made by the provider."""
    inputs.setdefault("platform_name", PLATFORM)

    def program() -> None:
        pulumi.export("id", Session("s", **inputs).id)

    return program


def client_of(qpu: RunningEmulator) -> QaasClient:
    """A client on the emulator, as someone working by hand would use."""
    return QaasClient(secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id)


def made_by_hand(qpu: RunningEmulator, platform: str = PLATFORM, **fields: Any) -> str:
    """A running session made outside Pulumi; its id."""
    with client_of(qpu) as client:
        platform_id = client.find_platform(platform).id
        session = client.create_session(platform_id=platform_id, **fields)
    qpu.advance(1)  # past the start delay
    return session.id


def record(qpu: RunningEmulator, session_id: str) -> dict[str, Any]:
    """The emulator's record of one session."""
    return next(s for s in qpu.sessions() if s["id"] == session_id)


def live_ids(qpu: RunningEmulator) -> list[str]:
    return sorted(s["id"] for s in live_sessions(qpu))


def state_id(engine: RealEngine, stack: Any) -> str:
    (resource,) = engine.resources(stack)
    return str(resource["id"])


# --- a replacement of an adopted Session makes a fresh session ------------------------


def test_replace_of_an_adopted_session_creates_a_fresh_one_and_keeps_nothing_stopped_in_state(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    adopted = made_by_hand(qpu)
    stack = engine.stack(adopting(adopted, tags=["a"]))
    assert stack.up().outputs["id"].value == adopted
    assert stack.up().outputs["tags"].value == ["a"]  # the adoption mark is hidden

    result = stack.up(replace=[engine.resources(stack)[0]["urn"]])
    fresh = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert fresh != adopted
    # The state points to a live session; the adopted one was ended by the replacement.
    assert state_id(engine, stack) == fresh
    assert live_ids(qpu) == [fresh]
    assert record(qpu, adopted)["status"] in ("stopping", "stopped")
    # And the stack is healthy: nothing planned, nothing failing.
    assert set(stack.preview().change_summary) == {"same"}
    assert set(stack.up().summary.resource_changes or {}) == {"same"}
    assert live_ids(qpu) == [fresh]


def test_an_adopted_session_that_ended_by_itself_is_replaced_by_a_fresh_one(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    adopted = made_by_hand(qpu, max_idle_duration="600s")
    stack = engine.stack(adopting(adopted))
    stack.up()
    qpu.advance(601)  # idle: the API ends it
    assert record(qpu, adopted)["status"] == "stopped"

    assert stack.preview().change_summary.get("replace") == 1
    result = stack.up()
    fresh = result.outputs["id"].value
    assert fresh != adopted
    assert live_ids(qpu) == [fresh]
    assert set(stack.up().summary.resource_changes or {}) == {"same"}


def test_an_adopted_session_deleted_by_hand_is_replaced_by_a_fresh_one(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    adopted = made_by_hand(qpu)
    stack = engine.stack(adopting(adopted))
    stack.up()
    with client_of(qpu) as client:
        client.terminate_session(adopted)
        qpu.advance(5)
        client.delete_session(adopted)
    # The replacement's Check and Create find nothing at the adopted id: this run's diff
    # planned the replacement, so that is no first adoption of a missing session.
    result = stack.up()
    fresh = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert live_ids(qpu) == [fresh]
    assert set(stack.up().summary.resource_changes or {}) == {"same"}


def test_a_replace_only_input_added_to_an_adopted_session_replaces_it_with_a_fresh_one(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    adopted = made_by_hand(qpu)
    stack = engine.stack(adopting(adopted))
    stack.up()

    stack.workspace.program = adopting(adopted, parameters={"mode": "fast"})
    result = stack.up()
    fresh = result.outputs["id"].value
    assert result.summary.resource_changes.get("replace") == 1
    assert fresh != adopted
    assert live_ids(qpu) == [fresh]
    assert record(qpu, fresh)["parameters"] == '{"mode":"fast"}'
    assert record(qpu, adopted)["status"] in ("stopping", "stopped")
    assert set(stack.up().summary.resource_changes or {}) == {"same"}


def test_an_adoption_whose_run_was_killed_leaves_the_named_session_running_and_says_so(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    # The documented limit: killed between the adoption tag's PATCH and the engine's
    # checkpoint, a run leaves the named session tagged and in no state. Played by
    # tagging it as that run would have.
    adopted = made_by_hand(qpu)
    stack = engine.stack(adopting(adopted))
    key = f"organization/{stack.workspace.project_settings().name}/{stack.name}/s"
    with client_of(qpu) as client:
        client.update_session(adopted, tags=[adopted_tag({"resource_key": key})])
    printed: list[str] = []
    fresh = stack.up(on_output=printed.append).outputs["id"].value
    assert fresh != adopted
    assert f"session {adopted}, named by session_id, was adopted before" in "\n".join(printed)
    assert live_ids(qpu) == sorted([adopted, fresh])  # left running, as documented
    assert f"qpu-leftovers --end --force --session {adopted}" in "\n".join(printed)


def test_changing_session_id_adopts_the_other_session(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    first, second = made_by_hand(qpu), made_by_hand(qpu)
    stack = engine.stack(adopting(first))
    stack.up()
    stack.workspace.program = adopting(second)
    result = stack.up()
    assert result.summary.resource_changes.get("replace") == 1
    assert result.outputs["id"].value == second
    assert live_ids(qpu) == [second]


# --- a session another stack manages is refused at preview ----------------------------


def preview_failure(stack: Any) -> str:
    from pulumi import automation as auto

    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    return str(failure.value)


def test_adopting_a_session_another_stack_manages_fails_at_preview(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    dev = engine.stack(creating(tags=["dev"]), name="dev")
    devs = dev.up().outputs["id"].value
    prod = engine.stack(adopting(devs, tags=["prod"]), name="prod")
    text = preview_failure(prod)
    assert "property session_id value" in text, text
    assert "managed by a Pulumi stack" in text, text
    assert "deduplication id" in text, text
    # Refused at up too, and dev's session is untouched.
    from pulumi import automation as auto

    with pytest.raises(auto.CommandError):
        prod.up()
    assert record(qpu, devs)["tags"] == ["dev"]
    assert live_ids(qpu) == [devs]
    assert set(dev.preview().change_summary) == {"same"}


def test_adopting_a_session_another_resource_adopted_fails_at_preview(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    shared = made_by_hand(qpu)
    first = engine.stack(adopting(shared), name="first")
    first.up()
    second = engine.stack(adopting(shared), name="second")
    text = preview_failure(second)
    assert "property session_id value" in text, text
    assert "adopted by another Pulumi resource" in text, text
    assert live_ids(qpu) == [shared]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"deduplication_id": "pulumi-qpu-0123456789abcdef0123456789abcdef"}, "deduplication id"),
        ({"tags": ["pulumi-qpu:creating:0123456789abcdef"]}, "creating tag"),
    ],
    ids=["derived-id", "creating-tag"],
)
def test_adopting_a_session_marked_as_managed_fails_at_preview_naming_the_mark(
    engine: RealEngine, qpu: RunningEmulator, fields: dict[str, Any], why: str
) -> None:
    marked = made_by_hand(qpu, **fields)
    stack = engine.stack(adopting(marked))
    text = preview_failure(stack)
    assert "property session_id value" in text, text
    assert why in text, text
    assert engine.resources(stack) == []


def test_adopting_a_stopped_session_fails_at_preview(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stopped = made_by_hand(qpu)
    with client_of(qpu) as client:
        client.terminate_session(stopped)
    qpu.advance(5)
    stack = engine.stack(adopting(stopped))
    text = preview_failure(stack)
    assert "property session_id value" in text, text
    assert "is stopped" in text, text
    assert "remove session_id" in text, text


def test_adopting_a_session_on_another_platform_fails_at_preview_naming_both(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    elsewhere = made_by_hand(qpu, platform=OTHER_PLATFORM)
    stack = engine.stack(adopting(elsewhere))
    text = preview_failure(stack)
    assert "property session_id value" in text, text
    assert f"runs on platform {OTHER_PLATFORM}" in text, text
    assert PLATFORM in text, text
    assert live_ids(qpu) == [elsewhere]
    assert record(qpu, elsewhere)["tags"] == []


def test_adopting_a_session_that_does_not_exist_fails_at_preview_without_quoting_the_id(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    missing = "00000000-0000-4000-8000-000000000042"

    def program() -> None:
        Session("s", platform_name=PLATFORM, session_id=pulumi.Output.secret(missing))

    stack = engine.stack(program)
    text = preview_failure(stack)
    assert "the session named by session_id does not exist" in text, text
    assert missing not in text
