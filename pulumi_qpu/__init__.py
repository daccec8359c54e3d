"""pulumi-qpu: declare Scaleway QaaS quantum computing sessions with Pulumi.

The client, models, errors and durations import without Pulumi's runtime; the
Pulumi-facing names (``Session``, ``SessionArgs``, ``SessionProvider`` and the
functions) load on first use, so ``qpu-emulator`` and plain client scripts start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_qpu._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    pass

# name -> module that defines it; filled in as the layers land.
_LAZY: dict[str, str] = {}

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_qpu' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
