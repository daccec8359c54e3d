"""How the provider speaks through the SDK's dynamic provider host: lines and errors.

The engine starts the host as ``python -u -m pulumi.dynamic <engine address>``. Two
things the host does by itself do not suit a user, and this module adapts them from
inside the process, only when it is that host, and only where the host is shaped as it
was read (pulumi 3.260 to 3.272): anything else leaves the host as it is.

* **Errors.** The host fails a call with ``traceback.format_exc()``, about 25 lines of
  Python for a refused key. :func:`adapt_host` gives the host's module a ``traceback``
  whose ``format_exc`` returns the message alone for a :class:`~pulumi_qpu.errors.QpuError`
  (pulumi-qpu's own errors each say what happened and what to do) and sends the full
  traceback to the engine at debug level (``pulumi up --debug``). Any other exception is
  a bug, and keeps its traceback where the user sees it.
* **Lines.** A dynamic provider's stderr reaches the screen on the stack's row, and
  ``pulumi.log`` in the host has no engine (the host configures the SDK without one), so
  it prints to stderr too. :func:`say` calls the engine's ``Log`` itself, with the
  resource's URN: the line lands on that Session's row and under its name in the
  diagnostics. Without an engine to call (tests that drive a host directly, a call that
  fails) the line goes to stderr, as before.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import traceback
import types
from typing import Any, Final, Literal

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from pulumi_qpu.errors import QpuError

__all__ = ["SESSION_TYPE", "adapt_host", "host_module", "say", "session_urn"]

SESSION_TYPE: Final = "pulumi-python:dynamic/qpu:Session"
"""The type token of :class:`pulumi_qpu.Session`, as its URN spells it."""

Severity = Literal["debug", "info", "warning"]
"""How the engine shows a line: ``debug`` only with ``--debug``, ``warning`` stands out."""

_HOST_MODULE: Final = "pulumi.dynamic.__main__"
_LOCK = threading.Lock()
_SEVERITY: Final = {
    "debug": engine_pb2.DEBUG,
    "info": engine_pb2.INFO,
    "warning": engine_pb2.WARNING,
}
# The engine's Log client, made on first use: [] not yet, [None] none to make.
_ENGINE: list[engine_pb2_grpc.EngineStub | None] = []


def host_module() -> types.ModuleType | None:
    """Return the SDK's dynamic host module if this process is that host, else None."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if main is None or getattr(spec, "name", None) != _HOST_MODULE:
        return None
    return main


class _HostTraceback(types.ModuleType):
    """The ``traceback`` module as the host sees it: pulumi-qpu's errors as one line."""

    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    def format_exc(self, limit: int | None = None, chain: bool = True) -> str:
        """Return a QpuError's message alone (its traceback at debug), else the traceback."""
        full = traceback.format_exc(limit, chain)
        error = sys.exc_info()[1]
        if not isinstance(error, QpuError):
            return full
        urn = _calling_urn()
        say(full.rstrip("\n"), urn=urn, severity="debug")
        # The engine shows this text after "error: " on the resource's row: one line,
        # even for a message written as a list (MissingConfigurationError).
        return " ".join(part.strip() for part in str(error).splitlines() if part.strip())


def _calling_urn() -> str:
    """Return the URN of the request the host's failing call serves, or ""."""
    try:
        frame = sys._getframe(2)  # format_exc's caller: the host's wrapper(self, request, context)
    except ValueError:
        return ""
    request = frame.f_locals.get("request")
    urn = getattr(request, "urn", "")
    return urn if isinstance(urn, str) else ""


def adapt_host() -> bool:
    """Make the host print pulumi-qpu's errors as one line; True if it now does.

    Only in the SDK's dynamic host, and only if the host fails calls the way it was read
    (a module-level ``traceback`` used by ``_abort_with_traceback``); idempotent.
    """
    module = host_module()
    if module is None:
        return False
    namespace = vars(module)
    with _LOCK:
        current = namespace.get("traceback")
        if isinstance(current, _HostTraceback):
            return True
        if current is not traceback or not callable(namespace.get("_abort_with_traceback")):
            return False  # an SDK that fails calls another way: leave it alone
        namespace["traceback"] = _HostTraceback()
    return True


def session_urn(resource_key: object) -> str:
    """Return the URN of the Session whose ``resource_key`` this is, or "" if unknown.

    ``resource_key`` is ``<organization>/<project>/<stack>/<name>`` for a Session at the
    top of the stack, ``<organization>/<URN>`` for one under a component
    (pulumi_qpu/resource.py).
    """
    if not isinstance(resource_key, str) or not resource_key:
        return ""
    _, _, rest = resource_key.partition("/")
    if rest.startswith("urn:pulumi:"):
        return rest
    parts = rest.split("/", 2)
    if len(parts) != 3 or not all(parts):
        return ""
    project, stack, name = parts
    return f"urn:pulumi:{stack}::{project}::{SESSION_TYPE}::{name}"


def _engine_client() -> engine_pb2_grpc.EngineStub | None:
    """Return the engine's ``Log`` client if this process is the host, with its address."""
    with _LOCK:
        if not _ENGINE:
            stub = None
            # The engine passes its address as the host's first argument.
            if host_module() is not None and len(sys.argv) > 1 and ":" in sys.argv[1]:
                with contextlib.suppress(Exception):  # no client: stderr, as before
                    stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(sys.argv[1]))
            _ENGINE.append(stub)
        return _ENGINE[0]


def use_engine(address: str) -> None:
    """Send lines to the engine at ``address`` (a plugin, given it at start, not as argv)."""
    with _LOCK:
        stub = None
        with contextlib.suppress(Exception):  # no client: stderr, as before
            stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address)) if address else None
        _ENGINE[:] = [stub]


def say(line: str, *, urn: str = "", severity: Severity = "info", ephemeral: bool = False) -> None:
    """Show ``line`` on the resource ``urn``'s row (the stack's without one).

    ``ephemeral``: a status that the next replaces, shown while the resource is in
    progress and not kept in the diagnostics. ``severity`` "debug" shows only with
    ``--debug``. Never raises: a line must not turn into the call's failure.
    """
    engine = _engine_client()
    if engine is not None:
        request = engine_pb2.LogRequest(
            severity=_SEVERITY[severity], message=line, urn=urn, ephemeral=ephemeral
        )
        with contextlib.suppress(Exception):
            engine.Log(request, timeout=5)
            return
    if severity == "debug":
        return  # detail for --debug: not worth a line on the stack's row
    # The host turns stderr into info lines; stdout carries its port. A killed engine
    # reads no more: a write must never raise.
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


# The host imports pulumi-qpu when it unpickles the first provider of the package, before
# any call it serves reaches pulumi-qpu's code: adapt it then. Elsewhere, nothing happens.
adapt_host()
