"""Cost under the real CLI: the worst case at preview, budgets that stop a change, accrual.

Every Session to be created prints its worst case; the outputs (and
``estimate_cost``'s sum) are known at preview; a Session's ``max_cost`` or the stack's
``qpu:maxCostPerSession`` below the worst case fails ``pulumi preview`` (or stops an
update) with the numbers and the fix, and nothing changes remotely; ``pulumi refresh``
brings ``accrued_cost`` up to date. Prices are the emulator catalogue's (EUR).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session, estimate_cost
from pulumi_qpu.client import QaasClient
from tests.support.cli import RealEngine
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def sessions(*declared: dict[str, Any]) -> Callable[[], None]:
    """A program with one Session per dict (s0, s1, ...), their costs and their sum."""

    def program() -> None:
        made = [Session(f"s{i}", **inputs) for i, inputs in enumerate(declared)]
        pulumi.export("total", estimate_cost(made))
        for i, session in enumerate(made):
            pulumi.export(f"worst{i}", session.worst_case_cost)
            pulumi.export(f"accrued{i}", session.accrued_cost)

    return program


def session(*, platform: str = "EMU-AER-16C-128M", **inputs: Any) -> dict[str, Any]:
    return {"platform_name": platform, **inputs}


def printed_output(text: str, name: str) -> str:
    """A stack output's value as a preview prints it (``"1.80"``, ``[unknown]``)."""
    found = re.search(rf"^\s+{name}\s*: (.+)$", text, re.MULTILINE)
    assert found, f"no output {name} in:\n{text}"
    return found[1].strip().strip('"')


def preview_text(stack: Any) -> str:
    printed: list[str] = []
    stack.preview(on_output=printed.append)
    return "\n".join(printed)


def failed_preview(stack: Any) -> str:
    from pulumi import automation as auto

    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    return str(failure.value)


def test_preview_knows_the_worst_case_and_prints_one_line_per_new_session(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    program = sessions(
        session(max_duration="2h"), session(platform="QPU-GARNET-20PQ", max_duration="15m")
    )
    text = preview_text(engine.stack(program))
    assert printed_output(text, "worst0") == "1.80"
    assert printed_output(text, "worst1") == "450.00"
    assert 'EUR: "451.80"' in text  # the total
    assert "qpu: session s0: worst case 1.80 EUR (0.90 EUR/h for its max_duration)" in text
    assert "qpu: session s1: worst case 450.00 EUR" in text
    assert qpu.sessions() == []


def test_the_total_is_unknown_at_preview_while_a_session_has_no_max_duration(
    engine: RealEngine,
) -> None:
    text = preview_text(engine.stack(sessions(session(max_duration="2h"), session())))
    assert printed_output(text, "total") == "[unknown]"
    assert "worst case unknown until it exists" in text


def test_up_knows_the_worst_case_from_the_api_default_duration(engine: RealEngine) -> None:
    up = engine.stack(sessions(session())).up()
    assert up.outputs["worst0"].value == "0.90"  # the emulator's default max_duration: 1 h
    assert up.outputs["total"].value == {"EUR": "0.90"}


def test_a_session_budget_too_small_stops_the_preview_naming_the_numbers(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    program = sessions(
        session(platform="EMU-CUDAQ-4H100SXM", max_duration="2h15m", max_cost="12.50 EUR")
    )
    assert (
        "property max_cost value {12.50 EUR} has a problem: worst case 28.80 EUR (12.80 EUR/h "
        "for its max_duration) exceeds max_cost: set max_duration to at most 58m35s, choose a "
        "cheaper platform, or raise max_cost to at least 28.80 EUR"
    ) in failed_preview(engine.stack(program))
    assert qpu.sessions() == []


def test_a_stack_budget_stops_every_session_above_it_and_a_larger_one_lets_it_through(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    program = sessions(session(max_duration="1h"), session(max_duration="2h"))
    stack = engine.stack(program, config={"qpu:maxCostPerSession": "1 EUR"})
    message = failed_preview(stack)
    assert "resource 's1' has a problem: worst case 1.80 EUR" in message
    assert "exceeds qpu:maxCostPerSession: set max_duration to at most 1h6m40s" in message
    assert "resource 's0'" not in message  # 0.90 EUR fits
    assert qpu.sessions() == []
    stack.set_config("qpu:maxCostPerSession", auto.ConfigValue("100 EUR"))
    # The two Sessions, the stack and its leftover sweeper.
    assert stack.preview().change_summary.get("create") == 4


def test_a_budget_in_another_currency_stops_the_preview(engine: RealEngine) -> None:
    program = sessions(session(max_duration="1h", max_cost={"amount": "100", "currency": "USD"}))
    assert "the platform's prices, which are in EUR; write the budget in EUR" in failed_preview(
        engine.stack(program)
    )


def test_a_free_platform_fits_a_zero_budget_without_max_duration(engine: RealEngine) -> None:
    text = preview_text(engine.stack(sessions(session(platform="EMU-SAMPLING-L4", max_cost="0"))))
    assert printed_output(text, "worst0") == "0.00"


def test_raising_max_duration_past_the_budget_is_stopped_before_the_update(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    from pulumi import automation as auto

    stack = engine.stack(sessions(session(max_duration="1h", max_cost="1 EUR")))
    stack.up()
    stack.workspace.program = sessions(session(max_duration="2h", max_cost="1 EUR"))
    with pytest.raises(auto.CommandError, match=r"worst case 1\.80 EUR"):
        stack.up()
    assert [s["max_duration"] for s in qpu.sessions()] == ["3600s"]


def test_refresh_brings_the_accrued_cost_up_to_date(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.stack(sessions(session(platform="EMU-AER-H100", max_duration="2h")))
    up = stack.up()
    assert up.outputs["accrued0"].value == "0.00"
    # Half an hour on the emulator's clock, then the session ends: both ends of the
    # accrued time are the API's own timestamps (a live session's end is the
    # provider's clock, which the emulated one does not move).
    qpu.advance(1800)
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        client.terminate_session(engine.resources(stack)[0]["id"])
    qpu.advance(1)
    stack.refresh()
    accrued = Decimal(engine.resources(stack)[0]["outputs"]["accrued_cost"])
    assert Decimal("1.60") <= accrued <= Decimal("1.61")  # 3.20 EUR/h for 30 min
    # A stack output is what the program exported when it last ran: a plain refresh
    # runs no program, so `pulumi stack output` still shows the old value (README, Outputs).
    assert stack.outputs()["accrued0"].value == "0.00"
    stack.refresh(run_program=True)
    assert Decimal(stack.outputs()["accrued0"].value) == accrued


def test_the_fleet_example_shows_its_worst_case_at_preview(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    stack = engine.example("fleet")
    text = preview_text(stack)
    assert 'worst_case_cost: {\n        EUR: "4.60"' in text  # (0.90 + 1.40) x 2 h
    assert "qpu: session fleet-aer: worst case" in text
    assert "qpu: session fleet-qsim: worst case" in text
    assert qpu.sessions() == []
    assert stack.up().outputs["worst_case_cost"].value == {"EUR": "4.60"}


def test_the_fleet_example_is_stopped_by_a_stack_budget(engine: RealEngine) -> None:
    from pulumi import automation as auto

    stack = engine.example("fleet")
    stack.set_config("qpu:maxCostPerSession", auto.ConfigValue("2 EUR"))
    failed = failed_preview(stack)
    assert re.search(r"resource 'fleet-qsim' has a problem: worst case 2\.80 EUR", failed)


def test_no_cost_line_contradicts_a_refused_max_duration_or_an_adoption(
    engine: RealEngine, qpu: RunningEmulator
) -> None:
    refused = engine.stack(sessions(session(max_duration="2 hours")), name="refused")
    text = failed_preview(refused)
    assert "max_duration" in text
    assert "worst case" not in text, text

    client = QaasClient(secret_key=qpu.secret_key, api_url=qpu.url)
    with client:
        made = client.create_session(
            platform_id=client.find_platform("EMU-AER-16C-128M").id, project_id=qpu.project_id
        )
    adopted = engine.stack(sessions(session(session_id=made.id)), name="adopted")
    assert "worst case unknown until it exists" not in preview_text(adopted)
