"""What a user reads under the real CLI when the stack's settings or the API say no.

A missing or refused key is the stack's problem, said once at preview with the fix that
applies (``resource '<name>' has a problem: ...``), never blamed on ``platform_name`` or
``project_id``. An API refusal at ``up`` carries the API's own reason (the argument's
help message, the precondition's), not only its type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

WRONG_KEY = "0badc0de-1111-2222-3333-444444444444"


def one_session() -> None:
    Session("s", platform_name="EMU-AER-H100", max_duration="1h")


def failed(run: Callable[..., Any]) -> str:
    from pulumi import automation as auto

    with pytest.raises(auto.CommandError) as failure:
        run()
    return str(failure.value)


def test_no_secret_key_is_said_once_at_preview_as_the_stacks_setting(
    engine: RealEngine, qpu: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No key anywhere: the CLI (and so the provider) inherits this process's environment.
    engine.unset_env.add("SCW_SECRET_KEY")
    monkeypatch.delenv("SCW_SECRET_KEY")
    stack = engine.stack(
        one_session, config={"qpu:projectId": qpu.project_id, "qpu:apiUrl": qpu.url}
    )
    text = failed(stack.preview)
    assert (
        "resource 's' has a problem: qpu configuration: no secret_key is set: set it with "
        "`pulumi config set --secret qpu:secretKey <secret key>`, like this stack's "
        "qpu:projectId, qpu:apiUrl. Looked in stack config qpu:secretKey; environment "
        "variable SCW_SECRET_KEY; scw config file "
    ) in text, text
    assert "property platform_name" not in text, text
    assert "property project_id" not in text, text
    assert "secret_key=" not in text, text
    assert qpu.sessions() == []


def test_a_refused_key_is_said_once_at_preview_with_its_source(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(
        one_session,
        config={"qpu:projectId": qpu.project_id, "qpu:apiUrl": qpu.url},
        secrets={"qpu:secretKey": WRONG_KEY},
    )
    text = failed(stack.preview)
    assert (
        "resource 's' has a problem: the secret key from stack config qpu:secretKey was "
        "refused: check it is the secret key (not the access key) of an API key that still "
        "exists, e.g. with `scw iam api-key get <access key>`, and set the right one with "
        "`pulumi config set --secret qpu:secretKey <secret key>` (401 denied_authentication "
        f"from {qpu.url})"
    ) in text, text
    assert "property platform_name" not in text, text
    assert "platform_id instead" not in text, text
    assert WRONG_KEY not in text


def _slot(minutes: int) -> dict[str, str]:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    end = start + timedelta(minutes=minutes)
    return {"started_at": start.isoformat(), "finished_at": end.isoformat()}


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (
            {"platform_name": "QPU-GARNET-20PQ", "booking_demand": _slot(5)},
            "400 invalid_arguments: booking_demand.finished_at: on QPU-GARNET-20PQ the "
            "booking lasts at least 900s from its start",
        ),
        (
            {"platform_name": "QPU-ASCELLA-6PQ"},
            "412 precondition_failed: precondition is not respected: platform "
            "QPU-ASCELLA-6PQ is in maintenance; try another platform",
        ),
        (
            {"platform_name": "EMU-AER-H100", "max_duration": "30d"},
            "400 invalid_arguments: max_duration: at most 604800s (7 days)",
        ),
    ],
    ids=["booking-too-short", "maintenance", "max-duration-30d"],
)
def test_an_api_refusal_at_up_gives_the_apis_reason(
    engine: RealEngine, qpu: RunningEmulator, inputs: dict[str, Any], reason: str
) -> None:
    def program() -> None:
        Session("refused", **inputs)

    text = failed(engine.stack(program).up)
    assert reason in text, text
    assert qpu.sessions() == []
