"""The identity a Session derives its deduplication ids from, as the program computes it."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import settings

from pulumi_qpu.resource import Session, SessionArgs


class _Recorder(pulumi.runtime.Mocks):
    """Echo mocks that keep the type and inputs of every resource registered."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[Any, Any]]:
        self.registered.append((args.typ, dict(args.inputs)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        return {}, None


class _Lab(pulumi.ComponentResource):
    """A component holding one Session named "s"."""

    def __init__(self, type_: str, name: str) -> None:
        super().__init__(type_, name)
        Session("s", SessionArgs(platform_id="p"), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _keys(program: Any) -> list[str]:
    """Run ``program`` under mocks; the resource_key of every Session it declares."""
    recorder = _Recorder()
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(recorder, project="proj", stack="dev", preview=False)
    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return [
        str(inputs["resource_key"])
        for typ, inputs in recorder.registered
        if typ == "pulumi-python:dynamic/qpu:Session"
    ]


def test_sessions_named_alike_under_components_of_other_types_get_distinct_keys() -> None:
    def program() -> None:
        Session("s", SessionArgs(platform_id="p"))
        _Lab("lab:index:A", "x")
        _Lab("lab:index:B", "x")

    keys = sorted(_keys(program))
    # Three Sessions named "s", three URNs, so three keys (and three derived ids).
    assert keys == sorted(
        [
            "organization/proj/dev/s",  # top of the stack: the key it always had
            "organization/urn:pulumi:dev::proj::lab:index:A$pulumi-python:dynamic/qpu:Session::s",
            "organization/urn:pulumi:dev::proj::lab:index:B$pulumi-python:dynamic/qpu:Session::s",
        ]
    )
