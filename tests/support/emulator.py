"""Start the QaaS emulator as a subprocess and drive its admin API from tests.

``start_emulator(**options)`` runs ``python -m pulumi_qpu.emulator --port 0`` with the
options given as keyword arguments (``start_delay=0.5`` becomes ``--start-delay 0.5``;
``tenant=[...]`` repeats ``--tenant``; ``True`` is a bare flag), reads the printed URL,
keys and projects, and returns a :class:`RunningEmulator` that is also a context
manager (it stops the process, killing it if it does not exit in time). Without a
``state_file`` the process runs ``--ephemeral``: a test never opens the user's state file.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = [
    "EmulatorFactory",
    "EmulatorStartError",
    "RunningEmulator",
    "running_emulator",
    "start_emulator",
]

_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 5.0
_ROOT = Path(__file__).resolve().parents[2]


class EmulatorStartError(RuntimeError):
    """The emulator process did not print its URL in time (output attached)."""


def _arguments(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, list | tuple):
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    return args


class RunningEmulator:
    """A running emulator process: its URL, tenants, and admin API helpers."""

    def __init__(self, options: dict[str, Any]) -> None:
        """Start the process with ``options`` (see :func:`start_emulator`)."""
        self.options = dict(options)
        # Never the user's own state file: in memory unless the test names a file.
        if not self.options.get("state_file"):
            self.options.setdefault("ephemeral", True)
        # generated_keys=True: let the emulator make (or reload) its keys, as a user's
        # plain `qpu-emulator` does; otherwise fixed ones, so restart() keeps the tenants
        # even without a state file.
        if not self.options.pop("generated_keys", False):
            self.options.setdefault("secret_key", str(uuid.uuid4()))
            self.options.setdefault("project_id", str(uuid.uuid4()))
            if not self.options.get("tenant"):
                self.options["tenant"] = [f"{uuid.uuid4()}:{uuid.uuid4()}"]
        # Read back from the printed lines on every start.
        self.secret_key = ""
        self.project_id = ""
        self.other_secret_key = ""
        self.other_project_id = ""
        self.url = ""
        self.access_key = ""
        self._process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self._output: list[str] = []
        self._client: httpx.Client | None = None
        self._start()

    # --- process --------------------------------------------------------------------

    def _start(self, port: int = 0) -> None:
        # --exit-with-parent: if this process dies without stop(), the emulator sees its
        # stdin close and exits instead of lingering.
        command = [sys.executable, "-m", "pulumi_qpu.emulator", "--exit-with-parent"]
        command += ["--port", str(port)]
        command += _arguments(self.options)
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen(
            command,
            cwd=_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._process = process
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            # Keep draining stdout for the whole life of the process, or it could block.
            assert process.stdout is not None
            for line in process.stdout:
                self._output.append(line)
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        url = ""
        while True:
            try:
                line = lines.get(timeout=_START_TIMEOUT)
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise EmulatorStartError("emulator did not start:\n" + "".join(self._output[-50:]))
            value = line.split("=", 1)[-1].strip()
            if line.startswith("export SCW_API_URL="):
                url = value
            elif line.startswith("export SCW_SECRET_KEY="):
                self.secret_key = value
            elif line.startswith("export SCW_DEFAULT_PROJECT_ID="):
                self.project_id = value
            elif line.startswith("export SCW_ACCESS_KEY="):
                self.access_key = value
            elif line.startswith("# tenant "):
                # The last lines; there is always at least one other tenant.
                key, projects = line.split()[2:4]
                self.other_secret_key, self.other_project_id = key, projects.split(",")[0]
                break
        self.url = url
        self._client = httpx.Client(
            base_url=url, headers={"X-Auth-Token": self.secret_key}, timeout=10.0
        )

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after a few seconds)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT)
        # The pump ends at EOF; only then is it safe to close the pipe it reads.
        if self._pump is not None:
            self._pump.join(timeout=_STOP_TIMEOUT)
            self._pump = None
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()

    def restart(self, *, same_port: bool = True, downtime: float = 0.0) -> None:
        """Stop and start again with the same options and state file.

        By default on the same port, so clients configured with :attr:`url` keep working
        (as after a real server restart); ``same_port=False`` takes a fresh free port.
        ``downtime``: seconds with no process at all in between (connections refused),
        an outage of the API as its clients meet it.
        """
        port = httpx.URL(self.url).port if same_port and self.url else None
        self.stop()
        time.sleep(downtime)
        self._start(port or 0)

    def outage(self, seconds: float) -> None:
        """Take the API down for ``seconds``, then back up on the same port.

        The process is stopped, so every call meanwhile meets a refused connection, as
        in a real outage; give the emulator a ``state_file``, or its sessions are lost.
        """
        port = httpx.URL(self.url).port
        self.stop()
        time.sleep(seconds)  # the outage is wall-clock time, as the clients live it
        self._start(port or 0)

    @property
    def pid(self) -> int:
        """The process id of the running emulator."""
        assert self._process is not None, "the emulator is not running"
        return self._process.pid

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return "".join(self._output)

    def __enter__(self) -> RunningEmulator:
        """Use as a context manager: stopped on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the process."""
        self.stop()

    # --- admin API ------------------------------------------------------------------

    @property
    def admin(self) -> httpx.Client:
        """An httpx client on the emulator, authenticated with the main key."""
        assert self._client is not None, "the emulator is not running"
        return self._client

    def _call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        response = self.admin.request(method, f"/_emulator{path}", json=json)
        response.raise_for_status()
        return response

    def env(self) -> dict[str, str]:
        """The SCW_* variables pointing a client at this emulator."""
        return {
            "SCW_API_URL": self.url,
            "SCW_SECRET_KEY": self.secret_key,
            "SCW_DEFAULT_PROJECT_ID": self.project_id,
            "SCW_ACCESS_KEY": self.access_key,
        }

    def advance(self, seconds: float) -> str:
        """Move the emulated clock forward; returns the new emulated time."""
        return str(self._call("POST", "/clock/advance", {"seconds": seconds}).json()["now"])

    def state(self) -> dict[str, Any]:
        """Clock, delays and settings."""
        result: dict[str, Any] = self._call("GET", "/state").json()
        return result

    def configure(self, **settings: float) -> dict[str, Any]:
        """Change ``start_delay``, ``stop_delay`` or ``time_scale`` while running."""
        result: dict[str, Any] = self._call("PATCH", "/config", settings).json()
        return result

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings (no argument: every fault off).

        Keys as in ``FaultSettings``: ``error_rate``, ``error_status``,
        ``throttle_rate``, ``retry_after``, ``reset_rate``, ``drop_create_rate``,
        ``latency``, ``script=[{"kind": "error", "route": "POST
        /qaas/v1alpha1/sessions", "count": 2}, ...]``.
        """
        result: dict[str, Any] = self._call("PUT", "/faults", settings).json()
        return result

    def faults(self) -> dict[str, Any]:
        """The current fault settings."""
        result: dict[str, Any] = self._call("GET", "/faults").json()
        return result

    def counters(self) -> dict[str, int]:
        """Requests per route since the last reset (``"GET /qaas/v1alpha1/sessions"``)."""
        result: dict[str, int] = self._call("GET", "/counters").json()["counters"]
        return result

    def reset_counters(self) -> None:
        """Zero every counter."""
        self._call("DELETE", "/counters")

    def reset(self) -> None:
        """Forget every session; faults, delays, counters back to start-up values."""
        self._call("POST", "/reset")

    def sessions(self) -> list[dict[str, Any]]:
        """Every session ever created, deleted ones included (the raw oracle)."""
        result: list[dict[str, Any]] = self._call("GET", "/sessions").json()["sessions"]
        return result


def start_emulator(**options: Any) -> RunningEmulator:
    """Start an emulator subprocess on a free port; use the result as a context manager."""
    return RunningEmulator(options)


EmulatorFactory = Callable[..., RunningEmulator]
"""The type of the ``emulator_factory`` fixture: ``factory(**options) -> RunningEmulator``."""


@contextmanager
def running_emulator(**options: Any) -> Iterator[RunningEmulator]:
    """``with running_emulator(start_delay=0) as emulator: ...``."""
    emulator = start_emulator(**options)
    try:
        yield emulator
    finally:
        emulator.stop()
