"""Programs in other languages drive the ``qpu`` provider plugin through the real engine.

Each example of examples/{yaml,typescript,go} declares one Session through the plugin
(``pulumi-resource-qpu`` on PATH) and runs preview, up, an update in place, a
replacement, refresh and destroy against the emulator, whose sessions are the oracle:

* the YAML project with ``pulumi`` commands in its folder, as a user runs it (the YAML
  language host of scripts/pulumi-yaml.sh);
* the TypeScript program with Node.js and the Go program with Go, each an Automation API
  inline program of its own (no Node.js or Go language host is served here), on the SDKs
  committed under sdk/.

Each language's toolchain is built or fetched once per machine (tests/support/languages.py);
where it cannot be, the test is skipped with the reason, or fails when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_qpu.client import QaasClient
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator
from tests.support.languages import go_program, typescript_program, yaml_project
from tests.support.plugin import put_plugin_on_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

OTHER_PLATFORM = "EMU-AER-H100"
"""A platform to move to: another platform cannot change in place, so it replaces."""


@pytest.fixture
def plugin_engine(engine: RealEngine, tmp_path: Path) -> RealEngine:
    """The real engine, loading the plugin from PATH."""
    put_plugin_on_path(engine, tmp_path / "plugins")
    return engine


def session_of(qpu: RunningEmulator, session_id: str) -> dict[str, Any]:
    """The emulator's record of one session."""
    return next(s for s in qpu.sessions() if s["id"] == session_id)


def tag_by_hand(qpu: RunningEmulator, session_id: str, tags: list[str]) -> None:
    """Change a session's tags outside Pulumi, as someone in the console would."""
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        client.update_session(session_id, tags=tags)


Run = Callable[[str, dict[str, str]], tuple[dict[str, Any], str]]
"""``run(operation, config)``: set the stack's config, run the operation; outputs, lines."""


def check_whole_life(run: Run, qpu: RunningEmulator, stack: str) -> None:
    """Drive an example through a Session's life; ``stack`` is its ``example:`` tag."""
    outputs, printed = run("preview", {"team": "alpha"})
    assert "qpu:index:Session" in printed
    assert "create" in printed
    assert live_sessions(qpu) == []

    outputs, printed = run("up", {})
    first = outputs["sessionId"]
    assert outputs["status"] == "running"
    assert [s["id"] for s in live_sessions(qpu)] == [first]
    created = session_of(qpu, first)
    assert created["tags"] == ["team:alpha", f"example:{stack}"]
    assert created["max_duration"] == "3600s"

    # An update in place: the same session, tagged anew.
    outputs, printed = run("up", {"team": "beta"})
    assert outputs["sessionId"] == first
    assert session_of(qpu, first)["tags"] == ["team:beta", f"example:{stack}"]
    assert "1 updated" in printed

    # A replacement: another platform is another session; the first one ends.
    outputs, printed = run("up", {"platform": OTHER_PLATFORM})
    second = outputs["sessionId"]
    assert second != first
    assert [s["id"] for s in live_sessions(qpu)] == [second]
    assert "1 replaced" in printed

    # Refresh reads back a tag changed by hand: the next up then puts the program's back.
    tag_by_hand(qpu, second, ["by-hand"])
    outputs, printed = run("refresh", {})
    assert "1 updated" in printed
    assert session_of(qpu, second)["tags"] == ["by-hand"]
    outputs, printed = run("up", {})
    assert "1 updated" in printed
    assert session_of(qpu, second)["tags"] == ["team:beta", f"example:{stack}"]

    outputs, printed = run("destroy", {})
    assert live_sessions(qpu) == []
    assert "2 deleted" in printed  # the Session and the stack


def test_a_yaml_project_runs_in_its_folder(
    plugin_engine: RealEngine, qpu: RunningEmulator, tmp_path: Path
) -> None:
    """``pulumi preview/up/refresh/destroy`` in the project folder, as a user runs them."""
    project = yaml_project(plugin_engine, tmp_path / "yaml")
    check_whole_life(project.run, qpu, "yaml")


def test_a_typescript_program_runs_on_the_generated_sdk(
    plugin_engine: RealEngine, qpu: RunningEmulator, tmp_path: Path
) -> None:
    """The Node.js inline program of examples/typescript, on sdk/nodejs."""
    program = typescript_program(plugin_engine, tmp_path / "typescript")
    check_whole_life(program.run, qpu, "typescript")


def test_a_go_program_runs_on_the_generated_sdk(
    plugin_engine: RealEngine, qpu: RunningEmulator, tmp_path: Path
) -> None:
    """The Go inline program of examples/go, on sdk/go."""
    program = go_program(plugin_engine, tmp_path / "go")
    check_whole_life(program.run, qpu, "go")
