"""The adoption rules alone: which session a Session may adopt, and the tags it hides.

``adoption_refusal`` and ``managed_elsewhere`` are pure functions of a session as the
API returned it and the checked inputs; one table of cases each, no emulator needed.
The whole flows (preview, ``--replace``, ended sessions) are in tests/e2e/test_adoption.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_qpu.checks import InputChecker, adoption_refusal
from pulumi_qpu.identity import (
    adopted_tag,
    derived_deduplication_id,
    hidden_tags,
    managed_elsewhere,
    visible_tags,
)
from pulumi_qpu.models import Session, SessionStatus

PLATFORM = "3cd822eb-ac66-53d6-91da-09695149edc2"
OTHER_PLATFORM = "5dc24b5d-0c0b-4d35-8e7c-2f2b1b52f1a4"
PROJECT = "0c2a0b44-8c1c-4a43-9b43-0f2f5b0bdf39"
SESSION = "7b07c762-4da1-44d4-ab2b-e61b1ff71b77"
KEY = "organization/project/stack/s"
INPUTS: dict[str, Any] = {"platform_id": PLATFORM, "project_id": PROJECT, "resource_key": KEY}
NAMES = {PLATFORM: "EMU-AER-16C-128M", OTHER_PLATFORM: "EMU-AER-H100"}

MODEL = "7e2a9c1d-1111-4222-8333-444455556666"  # a model id (a UUID)


def session(**fields: Any) -> Session:
    """A running session of PROJECT on PLATFORM, with ``fields`` changed."""
    base: dict[str, Any] = {
        "id": SESSION,
        "platform_id": PLATFORM,
        "project_id": PROJECT,
        "status": SessionStatus.RUNNING,
        "tags": [],
    }
    return Session.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({}, None),
        ({"tags": ["team"], "deduplication_id": "team-shared"}, None),
        ({"deduplication_id": derived_deduplication_id("organization/p/dev/s")}, "derives"),
        ({"deduplication_id": derived_deduplication_id(KEY)}, None),  # this resource's own
        ({"tags": ["pulumi-qpu:creating:0123456789abcdef"]}, "creating tag"),
        ({"tags": [adopted_tag({"resource_key": "organization/p/prod/s"})]}, "another"),
        ({"tags": [adopted_tag(INPUTS)]}, None),  # adopted by this resource
    ],
    ids=["plain", "user-id", "derived", "own-root", "creating", "other-adopted", "ours"],
)
def test_managed_elsewhere_names_the_mark(fields: dict[str, Any], why: str | None) -> None:
    reason = managed_elsewhere(session(**fields), INPUTS)
    if why is None:
        assert reason is None
    else:
        assert reason is not None
        assert why in reason


@pytest.mark.parametrize(
    ("fields", "inputs", "expected"),
    [
        ({}, {}, None),
        ({"status": SessionStatus.STOPPED}, {}, "is stopped and cannot run again"),
        ({"status": SessionStatus.STOPPING}, {}, "is stopping and cannot run again"),
        (
            {"platform_id": OTHER_PLATFORM},
            {},
            "runs on platform EMU-AER-H100, not on the declared platform EMU-AER-16C-128M",
        ),
        ({"project_id": SESSION}, {}, f"is in project {SESSION}, not in the declared project"),
        ({}, {"parameters": '{"a":1}'}, "has another parameters than the declaration"),
        ({"parameters": '{"a":1}'}, {"parameters": '{"a":1}'}, None),
        ({}, {"model_id": MODEL}, "has another model_id than the declaration"),
        ({}, {"deduplication_id": "x"}, "has another deduplication_id than the declaration"),
        (
            {"tags": ["pulumi-qpu:creating:0123456789abcdef"], "status": SessionStatus.STOPPED},
            {},
            "is managed by a Pulumi stack",  # the mark first, alone
        ),
    ],
    ids=[
        "fine",
        "stopped",
        "stopping",
        "platform",
        "project",
        "parameters",
        "same-parameters",
        "model",
        "deduplication",
        "managed",
    ],
)
def test_adoption_refusal_says_why_without_quoting_inputs(
    fields: dict[str, Any], inputs: dict[str, Any], expected: str | None
) -> None:
    declared = {**INPUTS, "session_id": "a-secret-looking-id", **inputs}
    reason = adoption_refusal(session(**fields), declared, platform_name=NAMES.__getitem__)
    if expected is None:
        assert reason is None
        return
    assert reason is not None
    assert expected in reason
    assert reason.startswith("the session named by session_id ")
    assert "a-secret-looking-id" not in reason
    assert PROJECT not in reason  # the declared project is an input


def test_hidden_tags_are_the_creating_and_adoption_tags() -> None:
    tags = ["a", "pulumi-qpu:creating:0123", adopted_tag(INPUTS), "b"]
    assert visible_tags(tags) == ["a", "b"]
    assert hidden_tags(tags) == ["pulumi-qpu:creating:0123", adopted_tag(INPUTS)]


def test_check_refuses_the_adoption_tag_without_quoting_it() -> None:
    checker = InputChecker(
        {"platform_id": PLATFORM, "project_id": PROJECT, "tags": ["pulumi-qpu:adopted:secret"]},
        platform_id=lambda name: PLATFORM,
        default_project_id=lambda: PROJECT,
    )
    checker.run()
    reasons = {failure.property: failure.reason for failure in checker.failures}
    assert "reserved" in reasons["tags"]
    assert "secret" not in reasons["tags"]
