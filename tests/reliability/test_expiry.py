"""Sessions that end by themselves (max_idle_duration, max_duration) while declared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from pulumi_qpu.resource import Session
from tests.reliability.helpers import PLATFORM, live_by_name
from tests.support.emulator import RunningEmulator
from tests.support.engine import MockEngine

TYPE = "pulumi-python:dynamic/qpu:Session"
DURATIONS: dict[str, dict[str, Any]] = {
    "idle": {"max_idle_duration": "10m", "max_duration": "2h"},
    "total": {"max_idle_duration": "1h", "max_duration": "20m"},
    "lasting": {"max_idle_duration": "2h", "max_duration": "2h"},
}


def urn(name: str) -> str:
    return f"urn:pulumi:stack::project::{TYPE}::{name}"


def three() -> Callable[[], None]:
    """One session ending by idleness, one by total duration, one that outlives both."""

    def program() -> None:
        for name, durations in DURATIONS.items():
            session = Session(name, name=name, platform_name=PLATFORM, **durations)
            pulumi.export(name, session.id)

    return program


def stop_reasons(qpu: RunningEmulator) -> dict[str, str]:
    return {s["id"]: s["stop_reason"] for s in qpu.sessions() if s["stop_reason"]}


def test_sessions_that_ended_by_themselves_are_replaced_and_destroyable(
    engine: MockEngine, qpu: RunningEmulator
) -> None:
    first = engine.up(three()).exports
    qpu.advance(20 * 60 + 1)  # past idle's 10 min and total's 20 min, not lasting's 2 h
    reasons = stop_reasons(qpu)
    assert reasons == {
        first["idle"]: "max_idle_duration reached",
        first["total"]: "max_duration reached",
    }

    # Preview tells the truth without --refresh, and changes nothing.
    planned = engine.preview(three())
    assert sorted(planned.ops("replace")) == [urn("idle"), urn("total")]
    assert planned.ops("same") == [urn("lasting")]
    assert len(qpu.sessions()) == 3

    second = engine.up(three()).exports
    assert second["lasting"] == first["lasting"]
    assert second["idle"] != first["idle"]
    assert second["total"] != first["total"]
    assert live_by_name(qpu) == {name: [second[name]] for name in DURATIONS}
    assert len(qpu.sessions()) == 5  # two replacements, nothing more

    # Everything ends on its own before destroy: destroying stopped sessions succeeds.
    qpu.advance(2 * 3600 + 1)
    assert live_by_name(qpu) == {}
    engine.destroy()
    assert engine.state() == {}
    assert len(qpu.sessions()) == 5
