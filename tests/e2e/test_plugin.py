"""The ``qpu`` provider plugin through the real engine: a Session's whole life.

A Python inline program declares ``qpu:index:Session`` through the plugin
(``pulumi-resource-qpu`` on PATH): preview, up, an update in place, a replacement,
refresh and destroy against the emulator, whose sessions are the oracle.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_qpu._version import __version__
from pulumi_qpu.client import QaasClient
from scripts.plugin_archive import make_archive
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator
from tests.support.plugin import PluginProvider, PluginSession, put_plugin_on_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SESSION = "qpu:index:Session"


def program(**inputs: Any) -> Callable[[], None]:
    """A program of one plugin Session ``s`` with these inputs (camelCase)."""

    def run() -> None:
        session = PluginSession("s", {"platformName": "EMU-AER-16C-128M", **inputs})
        pulumi.export("id", session.id)
        pulumi.export("name", session.name)  # type: ignore[attr-defined]
        pulumi.export("status", session.status)  # type: ignore[attr-defined]
        pulumi.export("worstCaseCost", session.worstCaseCost)  # type: ignore[attr-defined]

    return run


def with_options(options: Callable[[], pulumi.ResourceOptions]) -> Callable[[], None]:
    """A program of one plugin Session ``s`` declared with the ``options()`` it makes."""

    def run() -> None:
        session = PluginSession("s", {"platformName": "EMU-AER-16C-128M"}, opts=options())
        pulumi.export("id", session.id)

    return run


def client_of(qpu: RunningEmulator) -> QaasClient:
    """A client on the emulator, as someone working by hand would use."""
    return QaasClient(secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id)


@pytest.fixture
def plugin_engine(engine: RealEngine, tmp_path: Path) -> RealEngine:
    """The real engine, loading the plugin from PATH."""
    put_plugin_on_path(engine, tmp_path / "plugins")
    return engine


def test_a_session_lives_its_whole_life_through_the_plugin(
    plugin_engine: RealEngine, qpu: RunningEmulator
) -> None:
    engine = plugin_engine
    stack = engine.stack(program(name="first", maxDuration="1h", tags=["a"]))

    preview = stack.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the Session
    assert "qpu:index:Session s create" in preview.stdout
    assert live_sessions(qpu) == []

    up = stack.up()
    first = up.outputs["id"].value
    assert up.outputs["status"].value == "running"
    assert [s["id"] for s in live_sessions(qpu)] == [first]
    live = next(s for s in qpu.sessions() if s["id"] == first)
    assert (live["name"], live["tags"], live["max_duration"]) == ("first", ["a"], "3600s")
    # The progress lines are logged against the Session's URN: the engine prints them
    # on its row ("qpu:index:Session (s):"), not the stack's.
    assert "qpu:index:Session (s):" in up.stdout
    assert "is starting" in up.stdout or "is running" in up.stdout
    [stored] = engine.resources(stack, SESSION)
    assert stored["id"] == first
    assert stored["outputs"]["maxDuration"] == "3600s"

    # An update in place: the same session, renamed.
    stack.workspace.program = program(name="second", maxDuration="1h", tags=["a"])
    updated = stack.up()
    assert updated.summary.resource_changes.get("update") == 1
    assert updated.outputs["id"].value == first
    assert next(s for s in qpu.sessions() if s["id"] == first)["name"] == "second"

    # A replacement: another model cannot change in place.
    stack.workspace.program = program(
        name="second", maxDuration="1h", tags=["a"], parameters='{"shots": 2}'
    )
    replaced = stack.up()
    assert replaced.summary.resource_changes.get("replace") == 1
    second = replaced.outputs["id"].value
    assert second != first
    assert [s["id"] for s in live_sessions(qpu)] == [second]

    # Refresh: a healthy stack shows no change; a tag changed by hand is read back.
    assert set(stack.refresh().summary.resource_changes or {}) == {"same"}
    with client_of(qpu) as client:
        client.update_session(second, tags=["by-hand"])
    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes.get("update") == 1
    assert engine.resources(stack, SESSION)[0]["outputs"]["tags"] == ["by-hand"]

    stack.destroy()
    assert live_sessions(qpu) == []
    assert engine.resources(stack, SESSION) == []


def test_an_explicit_provider_carries_the_credentials(
    plugin_engine: RealEngine, qpu: RunningEmulator
) -> None:
    engine = plugin_engine
    engine.unset_env |= {"SCW_SECRET_KEY", "SCW_ACCESS_KEY", "SCW_DEFAULT_PROJECT_ID"}
    secret = qpu.secret_key

    def options() -> pulumi.ResourceOptions:
        config = {
            "secretKey": pulumi.Output.secret(secret),
            "projectId": qpu.project_id,
            "apiUrl": qpu.url,
        }
        return pulumi.ResourceOptions(provider=PluginProvider("qpu", config))

    stack = engine.stack(with_options(options))
    first = stack.up().outputs["id"].value
    assert [s["id"] for s in live_sessions(qpu)] == [first]
    # A second up: nothing changes, the provider included.
    assert set(stack.up().summary.resource_changes or {}) == {"same"}
    assert secret not in engine.backend_text()


def test_functions_are_invokes_of_the_plugin(
    plugin_engine: RealEngine, qpu: RunningEmulator
) -> None:
    def run() -> None:
        platform = pulumi.runtime.invoke(
            "qpu:index:getPlatform", {"name": "EMU-AER-16C-128M"}
        ).value["platform"]
        pulumi.export("platformId", platform["id"])
        sessions = pulumi.runtime.invoke("qpu:index:listSessions", {}).value["sessions"]
        pulumi.export("count", len(sessions))

    stack = plugin_engine.stack(run)
    outputs = stack.up().outputs
    with client_of(qpu) as client:
        assert outputs["platformId"].value == client.find_platform("EMU-AER-16C-128M").id
    assert outputs["count"].value == len(qpu.sessions())


def test_the_plugin_archive_installs_and_runs_a_session(
    engine: RealEngine, qpu: RunningEmulator, tmp_path: Path
) -> None:
    """``pulumi plugin install resource qpu <version> --file`` with ambient plugins ignored."""
    archive = make_archive(tmp_path / "dist")
    engine.extra_env |= {
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
        # The launcher's Python: one with pulumi-qpu installed (docs/plugin.md).
        "PULUMI_QPU_PYTHON": sys.executable,
    }
    assert engine.cli.bin_dir is not None
    installed = subprocess.run(
        [
            str(engine.cli.bin_dir / "pulumi"),
            "plugin",
            "install",
            "resource",
            "qpu",
            __version__,
            "--file",
            str(archive),
        ],
        env={**os.environ, **engine.env()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr

    stack = engine.stack(with_options(lambda: pulumi.ResourceOptions(version=__version__)))
    up = stack.up()
    assert "from $PATH" not in up.stdout  # the installed plugin, not an ambient one
    assert [s["id"] for s in live_sessions(qpu)] == [up.outputs["id"].value]
    stack.destroy()
    assert live_sessions(qpu) == []
