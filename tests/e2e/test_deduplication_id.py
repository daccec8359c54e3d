"""A ``deduplication_id`` of the user's own, given to two resources, through the real CLI.

Within one stack two Sessions with one id would share one session, each PATCHing its
own name and tags over the other's (the last writer wins; refresh never agrees): check
refuses the second, naming the other resource. Across stacks, sharing is the point of a
given id, and still works.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pulumi
import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SHARED_ID = "team-analysis-7f3a"


def sessions(*names: str) -> Callable[[], None]:
    """A program of one Session per name, all with the same (secret) deduplication id."""

    def program() -> None:
        for name in names:
            session = Session(
                name,
                platform_name="EMU-AER-16C-128M",
                name=name,
                deduplication_id=pulumi.Output.secret(SHARED_ID),
            )
            pulumi.export(name, session.id)

    return program


def test_two_resources_of_one_stack_with_one_deduplication_id_fail_at_preview_naming_the_other(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(sessions("first", "second"))
    holders = []
    for operation in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as failure:
            operation()
        text = str(failure.value)
        # Whichever is checked second fails, naming the first.
        found = re.search(
            r"resource '(first|second)': property deduplication_id value \{\[secret\]\} has a "
            r"problem: Session '(first|second)' of this stack gives the same deduplication_id",
            text,
        )
        assert found is not None, text
        assert found.group(1) != found.group(2)
        holders.append(found.group(2))
        assert "give the same id in each stack" in text
        assert SHARED_ID not in text
        if operation == stack.preview:
            assert qpu.sessions() == []
    # The up fails; the resource checked first may have been created meanwhile (the
    # engine does not wait for every check before it creates), and only that one.
    assert [s["name"] for s in qpu.sessions()] in ([], [holders[-1]])


def test_one_deduplication_id_given_in_two_stacks_shares_one_session(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    one = engine.stack(sessions("shared"), name="one").up()
    two = engine.stack(sessions("shared"), name="two").up()
    assert one.outputs["shared"].value == two.outputs["shared"].value
    assert [s["id"] for s in live_sessions(qpu)] == [one.outputs["shared"].value]
