"""The two front doors of the Session, for real-engine tests that run on both.

A Session is declared either through the dynamic provider (:class:`pulumi_qpu.Session`,
``pulumi-python:dynamic/qpu:Session``) or through the ``qpu`` provider plugin
(``qpu:index:Session``). A test that takes the ``front_door`` fixture runs once per door:
the fixture makes its engine load the plugin and names the door in every stack's config
(``front_door``), and a program declares its Sessions with :func:`session`, which reads
that config, so the same program (inline, or by name in a killed run's driver) serves
both doors with the same Python arguments.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, cast

import pulumi

from pulumi_qpu import Session
from pulumi_qpu.host import SESSION_TYPE as DYNAMIC_SESSION_TYPE
from pulumi_qpu.package_schema import SESSION_TYPE as PLUGIN_SESSION_TYPE
from pulumi_qpu.package_schema import camel
from tests.support.cli import RealEngine
from tests.support.plugin import PluginSession, put_plugin_on_path

CONFIG_KEY: Final = "front_door"
"""The stack config key (in the project's namespace) that names a program's door."""


@dataclass(frozen=True)
class FrontDoor:
    """What a test must know of one door."""

    name: str
    session_type: str
    """The type token of a Session in the state."""
    helpers: int
    """Resources besides the Sessions and the stack that a preview counts: the dynamic
    provider's leftover sweeper (the plugin's default provider is not counted)."""
    concurrent_creates: int | None
    """Creates that wait for ``running`` at once: the dynamic host's 4 worker threads;
    None for the plugin (the engine's ``--parallel``)."""

    def prepare(self, engine: RealEngine, folder: Path) -> None:
        """Make ``engine``'s stacks use this door (``folder`` may hold the plugin's link)."""
        engine.front_door = self.name
        engine.session_type = self.session_type
        if self.name == "plugin":
            put_plugin_on_path(engine, folder)


DOORS: Final = {
    "dynamic": FrontDoor("dynamic", DYNAMIC_SESSION_TYPE, helpers=1, concurrent_creates=4),
    "plugin": FrontDoor("plugin", PLUGIN_SESSION_TYPE, helpers=0, concurrent_creates=None),
}

# Resource options that name properties: the plugin's are camelCase.
_PROPERTY_OPTIONS: Final = ("ignore_changes", "replace_on_changes")


def _camel_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    out = {camel(key): value for key, value in inputs.items() if value is not None}
    demand = out.get("bookingDemand")
    if isinstance(demand, dict):
        out["bookingDemand"] = {camel(key): value for key, value in demand.items()}
    return out


def _camel_options(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    if opts is None:
        return None
    translated = copy.copy(opts)
    for option in _PROPERTY_OPTIONS:
        names = getattr(opts, option)
        if names:
            setattr(translated, option, [camel(name) for name in names])
    return translated


class DeclaredSession(Protocol):
    """The outputs tests read of a Session, whichever door declared it."""

    @property
    def id(self) -> pulumi.Output[str]:
        """The session id."""

    @property
    def status(self) -> pulumi.Output[Any]:
        """The session's status."""

    @property
    def tags(self) -> pulumi.Output[Any]:
        """The session's tags."""


def session(
    resource_name: str, *, opts: pulumi.ResourceOptions | None = None, **inputs: Any
) -> DeclaredSession:
    """Declare a Session through the stack's door (config ``front_door``, default dynamic).

    ``inputs`` are :class:`pulumi_qpu.Session`'s keyword arguments (snake_case); the
    plugin is given them in camelCase, with the resource options that name properties.
    """
    door = pulumi.Config().get(CONFIG_KEY) or "dynamic"
    if door == "plugin":
        declared: pulumi.CustomResource = PluginSession(
            resource_name, _camel_inputs(inputs), _camel_options(opts)
        )
    else:
        declared = Session(resource_name, opts=opts, **inputs)
    return cast("DeclaredSession", declared)
