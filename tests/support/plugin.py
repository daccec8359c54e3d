"""The ``qpu`` provider plugin for real-engine tests and benchmarks.

Until SDKs are generated from the package schema, programs declare the plugin's Session
with a hand-written :class:`PluginSession` (``pulumi.CustomResource`` of
``qpu:index:Session``) and an explicit provider with :class:`PluginProvider`. The CLI
finds ``pulumi-resource-qpu`` (the package's console script) on PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pulumi

from pulumi_qpu.package_schema import SESSION_TYPE, package_schema
from tests.support.cli import RealEngine

PLUGIN = Path(sys.executable).parent / "pulumi-resource-qpu"
"""The console script this interpreter's environment installed."""

# Every output of the schema: only keys given to the constructor become attributes.
_OUTPUTS = tuple(package_schema()["resources"][SESSION_TYPE]["properties"])


def put_plugin_on_path(engine: RealEngine, folder: Path) -> None:
    """Make ``engine``'s CLI load the plugin from PATH (``folder`` holds a link to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / PLUGIN.name
    if not link.exists():
        link.symlink_to(PLUGIN)
    assert engine.cli.bin_dir is not None
    engine.extra_env["PATH"] = os.pathsep.join(
        [str(folder), str(engine.cli.bin_dir), os.environ.get("PATH", "")]
    )


class PluginSession(pulumi.CustomResource):
    """A Session of the plugin, declared with the package schema's camelCase names."""

    def __init__(
        self,
        resource_name: str,
        inputs: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare ``qpu:index:Session`` ``resource_name`` with ``inputs`` (camelCase)."""
        props: dict[str, Any] = {key: None for key in _OUTPUTS}
        props.update(inputs)
        super().__init__(SESSION_TYPE, resource_name, props, opts)


class PluginProvider(pulumi.ProviderResource):
    """An explicit ``qpu`` provider (its inputs are the package's config keys)."""

    def __init__(
        self,
        resource_name: str,
        config: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare provider ``resource_name`` with ``config`` (``secretKey``, ...)."""
        super().__init__("qpu", resource_name, config, opts)
