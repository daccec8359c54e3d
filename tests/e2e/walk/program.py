"""The one program every stack of the walk runs, its declaration read from stack config.

The walk changes a stack's declaration by setting its config, so the same importable
function serves an inline ``up`` and one run in a process of its own to be killed
(``tests.support.cli_driver``). Two keys, both JSON:

* ``resources``: ``{resource name: {input: value}}``; a value ``{"$secret": KEY}`` is
  the secret ``secrets[KEY]``, made a secret Output (``pulumi.Output.secret``);
* ``secrets`` (a secret config value): ``{KEY: value}``.

An entry's ``"$retain_on_delete": true`` sets that resource option, and ``"$alias":
NAME`` the ``aliases`` option of a resource renamed from NAME.

Sessions go through the stack's front door (config ``front_door``: the dynamic provider or
the ``qpu`` plugin, :func:`tests.support.front_door.session`).

Numbers keep their JSON type (an integer stays an ``int``), so what reaches the engine is
exactly what a program written by hand would give it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi import automation as auto

from tests.support.front_door import session

SECRET = "$secret"
"""Key of the placeholder for a secret value in ``resources``."""

RETAIN = "$retain_on_delete"
"""Key of an entry that sets the ``retain_on_delete`` resource option."""

ALIAS = "$alias"
"""Key of an entry that names the resource's former name (the ``aliases`` option)."""

PROGRAM = "tests.e2e.walk.program:program"
"""This program by name, for ``RealEngine.start_detached``."""


def declare(
    stack: auto.Stack,
    resources: Mapping[str, Any],
    secrets: Mapping[str, Any] | None = None,
) -> None:
    """Set the stack config this program reads: its ``resources`` and ``secrets``."""
    stack.set_all_config(
        {
            "resources": auto.ConfigValue(json.dumps(resources)),
            "secrets": auto.ConfigValue(json.dumps(dict(secrets or {})), secret=True),
        }
    )


def program() -> None:
    """Declare the Sessions of the config's ``resources``."""
    config = pulumi.Config()
    resources: dict[str, dict[str, Any]] = config.get_object("resources") or {}
    secrets = config.get_secret_object("secrets")

    def value(raw: Any) -> Any:
        if isinstance(raw, dict) and set(raw) == {SECRET}:
            assert secrets is not None, "a secret placeholder without the secrets config"
            key = raw[SECRET]
            return pulumi.Output.secret(secrets.apply(lambda s: s[key]))
        if isinstance(raw, list):
            return [value(item) for item in raw]
        return raw

    # No stack outputs: a session id in the CLI's output is then something said about it.
    for name, inputs in sorted(resources.items()):
        alias = inputs.pop(ALIAS, None)
        opts = pulumi.ResourceOptions(
            retain_on_delete=bool(inputs.pop(RETAIN, False)) or None,
            aliases=[pulumi.Alias(name=alias)] if alias else None,
        )
        session(name, opts=opts, **{key: value(raw) for key, raw in inputs.items()})
