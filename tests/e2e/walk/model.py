"""The walk's model of expected state, kept small and explicit.

For each stack: what its program declares (:class:`Decl` per resource name) and which
session its state should hold for each resource (:class:`Held`: the session id, what the
API should store for it, and what the state's outputs say, which differ after a change
made by hand until a refresh). What each step should do to a resource follows from these
alone (:func:`predict`, :func:`after`), by the rules of docs/provider.md:

* a field the declaration leaves out is "no opinion": never sent, never compared;
* ``platform``, ``model_id``, ``parameters``, a given ``deduplication_id`` and another
  ``session_id`` replace; ``name``, ``tags`` and the durations update in place;
* a session that is no longer live (ended by itself or by hand) is replaced;
* diff compares the declaration with the *state* (the outputs of the last create,
  update or refresh), reading the live session only for its status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pulumi_qpu.plugin import resource_key_of
from tests.e2e.walk.program import ALIAS, RETAIN, SECRET
from tests.support.cli import RealEngine

PLATFORMS: Final = ("EMU-AER-16C-128M", "EMU-AER-H100", "EMU-QSIM-L40S")
"""Platforms the walk declares: available emulators that start at once."""

MODELS: Final = ("6f1e3d4c-51b0-4c5e-9a3e-2b0c8f1d7a01", "0c9a7e52-3b6d-4f1a-8e2c-5d4b3a291f02")
"""Model ids (the API takes any UUID)."""

ANY: Final = "<the API's or the session's own>"
"""A field no declaration ever set: the API's default or generated value, or what the
session had (a taken-back or adopted one); any value is right."""

DERIVED: Final = "<derived>"
"""The deduplication id of a session whose declaration gives none."""

API_DEFAULTS: Final[dict[str, Any]] = {
    "name": ANY,
    "tags": [],
    "max_idle_duration": "1800s",
    "max_duration": "3600s",
    "model_id": None,
    "parameters": None,
    "deduplication_id": DERIVED,
}
"""What the emulator stores for what a create leaves out (docs/emulator.md)."""

IN_PLACE: Final = ("name", "tags", "max_idle_duration", "max_duration")
"""Fields a change of which updates the session in place."""

REPLACING: Final = ("platform_id", "model_id", "parameters", "deduplication_id")
"""Fields a change of which replaces the session."""

Duration = tuple[Any, int]
"""A declared duration: the form written in the program, and its seconds."""


def canonical(value: Any) -> str:
    """JSON text that tells ``1`` from ``1.0`` (Python's ``==`` does not)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def same_value(left: Any, right: Any) -> bool:
    """Equal, types of numbers included."""
    return canonical(left) == canonical(right)


@dataclass(frozen=True)
class Decl:
    """One Session as the program declares it."""

    platform: str
    platform_by_id: bool = False
    name: str | None = None
    name_secret: bool = False
    tags: tuple[str, ...] | None = None
    last_tag_secret: bool = False
    max_idle: Duration | None = None
    max_dur: Duration | None = None
    parameters: Any = None
    parameters_as_text: bool = False
    parameters_secret: bool = False
    model_id: str | None = None
    session_id: str | None = None
    deduplication_id: str | None = None
    retain_on_delete: bool = False
    alias: str | None = None
    """The name this resource had: the ``aliases`` option of a rename."""

    def inputs(
        self, resource: str, platform_ids: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The config entry of this resource, and the secrets it refers to."""
        inputs: dict[str, Any] = {}
        secrets: dict[str, Any] = {}

        def secret(key: str, value: Any) -> dict[str, str]:
            secrets[f"{resource}.{key}"] = value
            return {SECRET: f"{resource}.{key}"}

        if self.platform_by_id:
            inputs["platform_id"] = platform_ids[self.platform]
        else:
            inputs["platform_name"] = self.platform
        if self.name is not None:
            inputs["name"] = secret("name", self.name) if self.name_secret else self.name
        if self.tags is not None:
            tags: list[Any] = list(self.tags)
            if self.last_tag_secret and tags:
                tags[-1] = secret("tag", tags[-1])
            inputs["tags"] = tags
        if self.max_idle is not None:
            inputs["max_idle_duration"] = self.max_idle[0]
        if self.max_dur is not None:
            inputs["max_duration"] = self.max_dur[0]
        if self.parameters is not None:
            # Text in a spelling of its own (key order, spaces): docs say it is the same.
            value = (
                json.dumps(self.parameters, indent=1)
                if self.parameters_as_text
                else self.parameters
            )
            inputs["parameters"] = secret("parameters", value) if self.parameters_secret else value
        for key in ("model_id", "session_id", "deduplication_id"):
            if getattr(self, key) is not None:
                inputs[key] = getattr(self, key)
        if self.retain_on_delete:
            inputs[RETAIN] = True
        if self.alias is not None:
            inputs[ALIAS] = self.alias
        return inputs, secrets

    def declared(self, platform_ids: dict[str, str]) -> dict[str, Any]:
        """The API's view of every field this declaration sets (no opinion on the rest)."""
        out: dict[str, Any] = {"platform_id": platform_ids[self.platform]}
        if self.name is not None:
            out["name"] = self.name
        if self.tags is not None:
            out["tags"] = list(self.tags)
        if self.max_idle is not None:
            out["max_idle_duration"] = f"{self.max_idle[1]}s"
        if self.max_dur is not None:
            out["max_duration"] = f"{self.max_dur[1]}s"
        for key in ("parameters", "model_id", "deduplication_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def secret_values(self) -> list[str]:
        """The values this declaration makes secret (text that must never be printed)."""
        found: list[str] = []
        if self.name_secret and self.name is not None:
            found.append(self.name)
        if self.last_tag_secret and self.tags:
            found.append(self.tags[-1])
        if self.parameters_secret and self.parameters is not None:
            found += [v for v in _strings(self.parameters) if SECRET_MARK in v]
        return found

    def but(self, **changes: Any) -> Decl:
        """This declaration with ``changes``."""
        return replace(self, **changes)


SECRET_MARK: Final = "sEcReT"
"""Part of every secret value the walk makes, so a leak is found by text search."""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@dataclass
class Held:
    """A session a state holds: what the API should store, and what the state says."""

    session_id: str
    api: dict[str, Any]
    state: dict[str, Any]
    adopted: bool = False
    named: str | None = None
    """The ``session_id`` the state records (the declared one at the last create or
    update): a replacement of an adopted Session keeps it while holding a fresh session,
    so the next diff plans nothing."""


@dataclass
class StackModel:
    """One stack: its program's declaration and what its state should hold."""

    label: str
    project: str
    name: str
    engine: RealEngine
    stack: Any  # pulumi.automation.Stack
    program: dict[str, Decl] = field(default_factory=dict)
    held: dict[str, Held] = field(default_factory=dict)
    settled: bool = True
    """False after a run that failed or was killed: the state may differ from the model
    until the next successful ``up`` (or ``destroy``) settles it again."""

    def urn(self, resource: str) -> str:
        """The URN of the Session ``resource`` of this stack (its type is the door's)."""
        return f"urn:pulumi:{self.name}::{self.project}::{self.engine.session_type}::{resource}"

    former: dict[str, list[str]] = field(default_factory=dict)
    """Resource name -> the names it had before a rename (with an alias)."""

    def resource_key(self, resource: str) -> str:
        """What the Session's derived deduplication ids are made from (a file backend's
        organization is always ``organization``): the plugin keys a Session by its URN."""
        if self.engine.front_door == "plugin":
            return resource_key_of(self.urn(resource))
        return f"organization/{self.project}/{self.name}/{resource}"

    def keys(self, resource: str) -> list[str]:
        """The resource keys ``resource``'s sessions may derive from: its name's, and its
        former names' (a session made before a rename keeps its deduplication id)."""
        return [self.resource_key(r) for r in [resource, *self.former.get(resource, [])]]

    def all_keys(self) -> list[str]:
        """Every resource key this stack's sessions may derive from."""
        names = set(self.program) | set(self.held) | set(self.former)
        return sorted({key for name in names for key in self.keys(name)})


def predict(held: Held | None, decl: Decl | None, live: bool, platform_ids: dict[str, str]) -> str:
    """What an ``up`` does to one resource: same, update, replace, create or delete."""
    if decl is None:
        return "delete" if held is not None else "none"
    if held is None:
        return "create"
    want = decl.declared(platform_ids)
    if not live:
        return "replace"
    if decl.session_id is not None and decl.session_id not in (held.session_id, held.named):
        return "replace"
    for key in REPLACING:
        if key in want and not same_value(want[key], held.state.get(key)):
            return "replace"
    for key in IN_PLACE:
        if key in want and not same_value(want[key], held.state.get(key)):
            return "update"
    return "same"


def after(
    held: Held | None,
    decl: Decl,
    op: str,
    session_id: str,
    platform_ids: dict[str, str],
    seen: dict[str, Any],
    *,
    adopted: bool = False,
) -> Held:
    """What the state holds for a declared resource once an ``up`` did ``op`` to it.

    ``seen`` is what the API stores for the session the state now holds (or, adopted, what
    it stored before): for a new session, the fields the declaration leaves out may hold
    the API's defaults or what a session taken back already had; both are right.
    """
    want = decl.declared(platform_ids)
    if op == "same" and held is not None:
        return held
    if op == "update" and held is not None:
        api = dict(held.api)
        for key in IN_PLACE:
            if key in want and not same_value(want[key], held.state.get(key)):
                api[key] = want[key]
        # Update's outputs are the live session's, drift included.
        return Held(held.session_id, api, dict(api), held.adopted, decl.session_id)
    if adopted:
        api = {**seen, **{k: v for k, v in want.items() if k in IN_PLACE}}
        return Held(session_id, api, dict(api), adopted=True, named=decl.session_id)
    api = {**seen, "deduplication_id": DERIVED, **want}
    return Held(session_id, api, dict(api), named=decl.session_id)
