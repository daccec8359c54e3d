"""Every example under examples/ runs through the mock engine: up, change, destroy.

The programs are the files users run (examples/<name>/__main__.py), executed as they
are; their stack config is set the way `pulumi config set` would set it.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import config as runtime_config

from pulumi_qpu.client import QaasClient
from tests.provider.conftest import stack_config
from tests.support.emulator import RunningEmulator
from tests.support.engine import MockEngine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def program_config() -> Iterator[dict[str, Any]]:
    """The program's stack config (``<project>:<key>``), emptied after the test."""
    values: dict[str, Any] = runtime_config.CONFIG.get()
    before = dict(values)
    yield values
    values.clear()
    values.update(before)


def program(name: str, config: dict[str, Any], **settings: str) -> Callable[[], None]:
    """The example's program, with ``settings`` as its stack config."""

    def run() -> None:
        for key, value in settings.items():
            config[f"project:{key}"] = value
        runpy.run_path(str(EXAMPLES / name / "__main__.py"), run_name="__main__")

    return run


def live(qpu: RunningEmulator) -> list[dict[str, Any]]:
    return [s for s in qpu.sessions() if s["status"] in ("starting", "running")]


@pytest.mark.parametrize("name", ["basic", "fleet", "booking", "lookup"])
def test_every_example_is_a_complete_pulumi_project(name: str) -> None:
    project = EXAMPLES / name
    for part in ("Pulumi.yaml", "__main__.py", "requirements.txt", "README.md"):
        assert (project / part).is_file(), f"examples/{name}/{part} is missing"
    assert f"name: qpu-{name}" in (project / "Pulumi.yaml").read_text()


def test_basic_up_change_destroy(
    engine: MockEngine, qpu: RunningEmulator, program_config: dict[str, Any]
) -> None:
    up = engine.up(program("basic", program_config, team="alpha"))
    assert up.exports["status"] == "running"
    assert up.exports["tags"] == ["team:alpha", "example:basic"]
    assert up.exports["max_duration"] == "3600s"
    assert [s["id"] for s in live(qpu)] == [up.exports["session_id"]]

    changed = engine.up(program("basic", program_config, team="beta"))
    assert [s.op for s in changed.steps] == ["update"]
    assert live(qpu)[0]["tags"] == ["team:beta", "example:basic"]

    engine.destroy()
    assert live(qpu) == []
    assert len(qpu.sessions()) == 1


def test_fleet_updates_in_place_and_replaces_a_moved_member(
    engine: MockEngine, qpu: RunningEmulator, program_config: dict[str, Any]
) -> None:
    first = engine.up(program("fleet", program_config))
    assert sorted(first.exports["session_ids"]) == ["aer", "qsim"]
    assert len(live(qpu)) == 2

    retagged = engine.up(program("fleet", program_config, tags='["fleet", "v2"]'))
    assert sorted(s.op for s in retagged.steps) == ["update", "update"]
    assert all("v2" in s["tags"] for s in live(qpu))

    moved = '{"aer": {"platform": "EMU-AER-H100"}, "qsim": {"platform": "EMU-QSIM-L40S"}}'
    replaced = engine.up(program("fleet", program_config, tags='["fleet", "v2"]', fleet=moved))
    assert "replace" in [s.op for s in replaced.steps]
    assert replaced.exports["session_ids"]["aer"] != first.exports["session_ids"]["aer"]
    assert len(live(qpu)) == 2

    engine.destroy()
    assert live(qpu) == []


def test_booking_books_a_future_slot(
    engine: MockEngine, qpu: RunningEmulator, program_config: dict[str, Any]
) -> None:
    now = datetime.fromisoformat(qpu.advance(0).replace("Z", "+00:00"))
    start = (now + timedelta(hours=2)).replace(microsecond=0).isoformat()
    up = engine.up(program("booking", program_config, slotStart=start))
    assert up.exports["status"] == "starting"
    assert up.exports["booking_id"]
    engine.destroy()
    assert live(qpu) == []


def test_booking_without_a_slot_fails_before_anything_is_created(
    engine: MockEngine, qpu: RunningEmulator, program_config: dict[str, Any]
) -> None:
    with pytest.raises(Exception, match="slotStart"):
        engine.up(program("booking", program_config))
    assert qpu.sessions() == []


def test_lookup_adopts_an_existing_session(
    engine: MockEngine, qpu: RunningEmulator, program_config: dict[str, Any]
) -> None:
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        platform = client.find_platform("EMU-AER-16C-128M")
        existing = client.create_session(platform_id=platform.id, name="by-hand")
    # The lookups run in the program: they read the qpu:* stack config, as the host does.
    program_config.update(stack_config(qpu))

    listed = engine.up(program("lookup", program_config))
    assert listed.exports["existing_session_ids"] == [existing.id]
    assert listed.steps == []

    adopted = engine.up(program("lookup", program_config, adoptSessionId=existing.id))
    assert adopted.exports["adopted_name"] == "by-hand"
    assert [s["id"] for s in qpu.sessions()] == [existing.id]
    assert live(qpu)[0]["tags"] == ["adopted"]

    engine.destroy()
    assert [s["status"] for s in qpu.sessions()] == ["stopped"]
