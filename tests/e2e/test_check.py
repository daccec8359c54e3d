"""Inputs a user can get wrong stop ``pulumi preview`` under the real CLI, each named.

The engine prints one line per failed property (``property <name> value {...} has a
problem: <reason>``); the reason says how to fix it and never repeats the value (the
engine prints it, masked when secret: tests/e2e/test_secrets.py).
"""

from __future__ import annotations

import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def wrong() -> None:
    Session(
        "wrong",
        platform_name="EMU-AER-H10",
        max_duration="1 hour",
        tags="team",  # the mistake under test (a str is a Sequence[str] to mypy)
        on_delete="delete",
        session_id="x",
        model_id="my-model",
    )


def test_every_wrong_input_is_named_at_preview_and_nothing_is_created(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(wrong)
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    text = str(failure.value)
    for expected in (
        "property platform_name value {EMU-AER-H10} has a problem: no platform has this "
        "name among the 16 the API lists; did you mean 'EMU-AER-H100'",
        "property max_duration value {1 hour} has a problem: invalid duration: it is not a "
        "duration this parser knows",
        "property tags value {team} has a problem: tags must be a list of strings, not str",
        "property on_delete value {delete} has a problem: on_delete must be one of",
        "property session_id value {x} has a problem: session_id must be the UUID of an "
        "existing session",
        "property model_id value {my-model} has a problem: model_id must be the UUID of a "
        "model of the platform",
    ):
        assert expected in text, text
    assert qpu.sessions() == []


def right() -> None:
    Session("right", platform_name="EMU-AER-16C-128M", max_duration="1h")


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("qpu:maxCostPerSessions", "qpu:maxCostPerSession"),
        ("qpu:apiURL", "qpu:apiUrl"),
        ("qpu:secret_key", "qpu:secretKey"),
    ],
)
def test_a_misspelt_qpu_setting_fails_preview_with_the_setting_meant(
    engine: RealEngine, qpu: RunningEmulator, typo: str, meant: str
) -> None:
    from pulumi import automation as auto

    # Stack config outranks the environment: a typo there would silently fall back to it.
    stack = engine.stack(right, config={typo: "1 EUR"})
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    text = str(failure.value)
    assert f"stack config {typo} is no pulumi-qpu setting: did you mean {meant}?" in text, text
    assert qpu.sessions() == []
