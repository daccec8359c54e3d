"""Cost under the real CLI: the worst case at preview, and budgets that stop a preview.

examples/fleet exports the summed worst case of its sessions; every Session to be
created prints its worst case; a Session's ``max_cost`` or the stack's
``qpu:maxCostPerSession`` below the worst case fails ``pulumi preview`` with the numbers
and the fix, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_the_fleet_example_shows_its_worst_case_at_preview(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.example("fleet")
    printed: list[str] = []
    preview = stack.preview(on_output=printed.append)
    text = "\n".join(printed)
    assert preview.change_summary.get("create") == 3  # the stack and two sessions
    # Known at preview: 2 h on EMU-AER-16C-128M and on EMU-QSIM-L40S, summed in EUR.
    assert 'worst_case_cost: {\n        EUR: "' in text
    assert "qpu: session fleet-aer: worst case" in text
    assert "qpu: session fleet-qsim: worst case" in text
    assert qpu.sessions() == []
    up = stack.up()
    assert up.outputs["worst_case_cost"].value == preview_total(text)


def preview_total(text: str) -> dict[str, str]:
    """The ``worst_case_cost`` the preview printed, as the stack output's value."""
    line = text[text.index("worst_case_cost") :].splitlines()[1]
    currency, amount = line.strip().split(": ")
    return {currency: amount.strip('"')}


def budgeted(max_cost: str | None = None) -> Callable[[], None]:
    def program() -> None:
        session = Session(
            "dear",
            platform_name="EMU-CUDAQ-4H100SXM",
            max_duration="2h15m",
            max_cost=max_cost,
        )
        pulumi.export("worst_case_cost", session.worst_case_cost)

    return program


def test_a_session_budget_too_small_stops_the_preview_naming_the_numbers(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(budgeted("12.50 EUR"))
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    message = str(failure.value)
    assert "exceeds max_cost 12.50 EUR" in message
    assert "set max_duration to at most" in message
    assert "raise max_cost to at least" in message
    assert qpu.sessions() == []


def test_a_stack_budget_too_small_stops_the_preview_and_a_larger_one_lets_it_through(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(budgeted(), config={"qpu:maxCostPerSession": "1 EUR"})
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert "exceeds qpu:maxCostPerSession 1.00 EUR" in str(failure.value)
    assert qpu.sessions() == []
    stack.set_config("qpu:maxCostPerSession", auto.ConfigValue("100 EUR"))
    assert stack.preview().change_summary.get("create") == 2
