"""pulumi-qpu: declare Scaleway QaaS quantum computing sessions with Pulumi.

The layers, each importing only the ones above it:

* :mod:`pulumi_qpu.models`, :mod:`~pulumi_qpu.durations`, :mod:`~pulumi_qpu.errors`:
  wire models, the duration parser, every error;
* :mod:`pulumi_qpu.config`, :mod:`~pulumi_qpu.retry`, :mod:`~pulumi_qpu.client`:
  configuration, retry policy and poll schedule, the HTTP client (no Pulumi);
* :mod:`pulumi_qpu.provider`, :mod:`~pulumi_qpu.resource`, :mod:`~pulumi_qpu.functions`:
  the dynamic provider, the ``Session`` resource, lookups for programs;
* :mod:`pulumi_qpu.leftovers`: live sessions no state holds, found and ended
  (``qpu-leftovers``; no Pulumi); :mod:`pulumi_qpu.sweeper`: the stack's resource
  whose delete (``pulumi destroy``) ends them; :mod:`pulumi_qpu.watchdog`: the
  provider host exits when its engine is gone;
* :mod:`pulumi_qpu.emulator`: a local emulator of the QaaS API (``qpu-emulator``).

The Pulumi-facing names load on first use, so ``qpu-emulator`` and plain client scripts
do not pay for importing Pulumi's runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_qpu._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pulumi_qpu.client import QaasClient
    from pulumi_qpu.config import ResolvedConfig, resolve_config
    from pulumi_qpu.functions import (
        estimate_cost,
        get_platform,
        get_platform_output,
        get_session,
        get_session_output,
        list_platforms,
        list_platforms_output,
        list_sessions,
        list_sessions_output,
    )
    from pulumi_qpu.provider import SessionProvider
    from pulumi_qpu.resource import Session, SessionArgs

# name -> module that defines it
_LAZY: dict[str, str] = {
    "QaasClient": "pulumi_qpu.client",
    "ResolvedConfig": "pulumi_qpu.config",
    "resolve_config": "pulumi_qpu.config",
    "Session": "pulumi_qpu.resource",
    "SessionArgs": "pulumi_qpu.resource",
    "SessionProvider": "pulumi_qpu.provider",
    **{
        name: "pulumi_qpu.functions"
        for name in (
            "estimate_cost",
            "get_platform",
            "get_platform_output",
            "get_session",
            "get_session_output",
            "list_platforms",
            "list_platforms_output",
            "list_sessions",
            "list_sessions_output",
        )
    },
}

__all__ = [
    "QaasClient",
    "ResolvedConfig",
    "Session",
    "SessionArgs",
    "SessionProvider",
    "__version__",
    "estimate_cost",
    "get_platform",
    "get_platform_output",
    "get_session",
    "get_session_output",
    "list_platforms",
    "list_platforms_output",
    "list_sessions",
    "list_sessions_output",
    "resolve_config",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its layer on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_qpu' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
