"""The SDK's real dynamic provider host, started as the engine starts it and driven over gRPC.

``python -u -m pulumi.dynamic`` prints its port on the first stdout line and serves
``pulumirpc.ResourceProvider``. :class:`ProviderHost` plays the engine's side of that
conversation: Configure with the stack config (``qpu:secretKey``, ...), then Check,
Diff, Create, Read, Update and Delete with properties as ``google.protobuf.Struct``,
exactly the wire the engine uses. Values go in and come out as plain JSON-like dicts
(numbers as floats, unknowns as the ``rpc.UNKNOWN`` string, secrets as the SDK's
signature dicts), so a test sees what the engine would store.

The host process gets only the environment it is given (plus what Python needs to
start), so a test controls exactly where credentials come from. :meth:`ProviderHost.kill`
ends it with SIGKILL, also while a call is in flight, as an interrupted ``pulumi up`` would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

__all__ = [
    "CheckOutcome",
    "DiffOutcome",
    "HostCallError",
    "ProviderHost",
    "ReadOutcome",
    "from_struct",
    "killed_midway",
    "running_host",
    "to_struct",
    "when",
]

Props = dict[str, Any]

# What every Python needs to start, whatever environment a test passes in.
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


class HostCallError(Exception):
    """A gRPC call to the host failed; ``details`` holds the provider's traceback text."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        self.method = method
        self.code = code
        self.details = details
        super().__init__(f"{method} failed with {code.name}: {details}")


@dataclass(frozen=True)
class CheckOutcome:
    """Reply of Check: the inputs to use and ``(property, reason)`` failures."""

    inputs: Props
    failures: list[tuple[str, str]]


@dataclass(frozen=True)
class DiffOutcome:
    """Reply of Diff, in the engine's terms."""

    changes: str  # "some" | "none" | "unknown"
    replaces: list[str]
    delete_before_replace: bool

    @property
    def has_changes(self) -> bool:
        """True when the engine would plan an update or a replacement."""
        return self.changes != "none"


@dataclass(frozen=True)
class ReadOutcome:
    """Reply of Read: an empty ``id`` means the object is gone."""

    id: str
    outputs: Props
    inputs: Props | None


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Encode a JSON-like dict as the engine does (every number becomes a float)."""
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


def from_struct(struct: struct_pb2.Struct) -> Props:
    """Decode a Struct to a plain dict, keeping unknowns and secrets as they travel."""
    result: Props = json_format.MessageToDict(struct)
    return result


def _olds_news(
    request: Any,
    id_: str,
    urn: str,
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    old_inputs: Mapping[str, Any] | None,
) -> Any:
    # Diff and Update carry the same fields: stored outputs, checked inputs, old inputs.
    return request(
        id=id_,
        urn=urn,
        olds=to_struct(olds),
        news=to_struct(news),
        old_inputs=to_struct(old_inputs or {}),
    )


@dataclass
class _Output:
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)

    def text(self) -> str:
        with self.lock:
            return "".join(self.lines)


class ProviderHost:
    """One ``python -m pulumi.dynamic`` process and a gRPC stub on it.

    Use as a context manager, or call :meth:`start` and :meth:`close`. Every call takes
    a ``timeout`` (seconds) so a test can never hang on a stuck provider.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        python: str = sys.executable,
        cwd: str | None = None,
        call_timeout: float = 60.0,
    ) -> None:
        """Prepare a host; ``env`` is the host's whole environment besides PATH and HOME."""
        base = {k: v for k, v in os.environ.items() if k in _PASS_THROUGH}
        base.update(env or {})
        base.setdefault("PULUMI_PROJECT", "project")
        # The heartbeat of this test process (tests/conftest.py), unless the test says.
        base.setdefault(
            "PULUMI_QPU_HEARTBEAT_SECONDS", os.environ.get("PULUMI_QPU_HEARTBEAT_SECONDS", "10")
        )
        self._env = base
        self._python = python
        self._cwd = cwd
        self.call_timeout = call_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._stdout = _Output()
        self._stderr = _Output()
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------

    def start(self, startup_timeout: float = 30.0) -> ProviderHost:
        """Start the process, read its port from the first stdout line, connect."""
        self._proc = subprocess.Popen(
            [self._python, "-u", "-m", "pulumi.dynamic"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env,
            cwd=self._cwd,
            # Its own process group, so kill() reaches nothing else.
            start_new_session=True,
        )
        port_ready = threading.Event()
        port_line: list[str] = []

        def pump_stdout() -> None:
            assert self._proc is not None
            assert self._proc.stdout is not None
            for raw in self._proc.stdout:
                line = raw.decode("utf-8", "replace")
                if not port_ready.is_set():
                    port_line.append(line)
                    port_ready.set()
                else:
                    self._stdout.add(line)
            port_ready.set()

        def pump_stderr() -> None:
            assert self._proc is not None
            assert self._proc.stderr is not None
            for raw in self._proc.stderr:
                self._stderr.add(raw.decode("utf-8", "replace"))

        threading.Thread(target=pump_stdout, name="host-stdout", daemon=True).start()
        threading.Thread(target=pump_stderr, name="host-stderr", daemon=True).start()
        if not port_ready.wait(startup_timeout) or not port_line:
            self.close()
            raise RuntimeError(f"provider host did not print its port; stderr:\n{self.logs()}")
        self.port = int(port_line[0].strip())
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self._channel).result(timeout=startup_timeout)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def __enter__(self) -> ProviderHost:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        """True while the host process runs."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int:
        """The host's process id."""
        assert self._proc is not None, "host not started"
        return self._proc.pid

    def kill(self) -> None:
        """SIGKILL the host at once, as a killed ``pulumi up`` would; calls in flight fail."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)

    def close(self) -> None:
        """Stop the host (SIGTERM, then SIGKILL after 5 s) and close the channel."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._proc is not None:
            for stream in (self._proc.stdout, self._proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def logs(self) -> str:
        """Everything the host wrote to stderr and, after the port line, to stdout."""
        return self._stderr.text() + self._stdout.text()

    # --- the engine's calls ----------------------------------------------------------

    def _call(self, method: str, request: Any, timeout: float | None) -> Any:
        if self._stub is None:
            raise RuntimeError("host not started")
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self.call_timeout)
        except grpc.RpcError as exc:
            raise HostCallError(method, exc.code(), exc.details() or "") from None

    def configure(self, config: Mapping[str, str], *, timeout: float | None = None) -> None:
        """Send the stack config as the engine does: namespaced keys, string values."""
        request = provider_pb2.ConfigureRequest(
            args=to_struct(config),
            variables=dict(config),
            acceptSecrets=True,
            acceptResources=True,
        )
        self._call("Configure", request, timeout)

    def check(
        self,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        timeout: float | None = None,
    ) -> CheckOutcome:
        """Check ``news`` (program inputs) against ``olds`` (stored inputs, or {})."""
        reply = self._call(
            "Check",
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news)),
            timeout,
        )
        return CheckOutcome(
            from_struct(reply.inputs), [(f.property, f.reason) for f in reply.failures]
        )

    def diff(
        self,
        id_: str,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> DiffOutcome:
        """Diff stored outputs ``olds`` against checked inputs ``news``."""
        request = _olds_news(provider_pb2.DiffRequest, id_, urn, olds, news, old_inputs)
        reply = self._call("Diff", request, timeout)
        kind = {
            provider_pb2.DiffResponse.DIFF_SOME: "some",
            provider_pb2.DiffResponse.DIFF_NONE: "none",
        }.get(reply.changes, "unknown")
        return DiffOutcome(kind, list(reply.replaces), bool(reply.deleteBeforeReplace))

    def create(
        self, urn: str, props: Mapping[str, Any], *, timeout: float | None = None
    ) -> tuple[str, Props]:
        """Create from checked inputs; returns the id and the outputs."""
        reply = self._call(
            "Create", provider_pb2.CreateRequest(urn=urn, properties=to_struct(props)), timeout
        )
        return reply.id, from_struct(reply.properties)

    def read(
        self,
        id_: str,
        urn: str,
        props: Mapping[str, Any],
        *,
        inputs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> ReadOutcome:
        """Refresh: read the live object from its stored outputs."""
        reply = self._call(
            "Read",
            provider_pb2.ReadRequest(
                id=id_, urn=urn, properties=to_struct(props), inputs=to_struct(inputs or {})
            ),
            timeout,
        )
        new_inputs = from_struct(reply.inputs) if reply.HasField("inputs") else None
        return ReadOutcome(reply.id, from_struct(reply.properties), new_inputs)

    def update(
        self,
        id_: str,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Props:
        """Update in place from stored outputs ``olds`` to checked inputs ``news``."""
        request = _olds_news(provider_pb2.UpdateRequest, id_, urn, olds, news, old_inputs)
        reply = self._call("Update", request, timeout)
        return from_struct(reply.properties)

    def delete(
        self,
        id_: str,
        urn: str,
        props: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete the object with stored outputs ``props``."""
        self._call(
            "Delete",
            provider_pb2.DeleteRequest(
                id=id_, urn=urn, properties=to_struct(props), old_inputs=to_struct(old_inputs or {})
            ),
            timeout,
        )


@contextlib.contextmanager
def running_host(
    env: Mapping[str, str] | None = None,
    config: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Iterator[ProviderHost]:
    """Start a host with ``env``, send ``config`` (if any) and stop it afterwards."""
    host = ProviderHost(env, **kwargs).start()
    try:
        if config is not None:
            host.configure(config)
        yield host
    finally:
        host.close()


def when(condition: Callable[[], bool], action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` in a thread as soon as ``condition()`` holds (at the latest in 60 s)."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)
        action()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def killed_midway(
    host: ProviderHost,
    condition: Callable[[], bool],
    run: Callable[[], object],
    match: str = "failed",
    expected: type[BaseException] = Exception,
) -> None:
    """Run ``run`` (on this thread: the SDK's event loop wants the main one) with ``host``
    SIGKILLed as soon as ``condition()`` holds; ``run`` must raise ``expected`` matching
    ``match``."""
    watcher = when(condition, host.kill)
    with pytest.raises(expected, match=match):
        run()
    watcher.join(timeout=60)
