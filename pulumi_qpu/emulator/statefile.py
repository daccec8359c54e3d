"""Where ``qpu-emulator`` keeps its state by default, and the lock that keeps it to one process.

By default the emulator's keys, sessions and clock live in a file in the user's state
folder, so a restart keeps working with the keys a user pasted into stack config
(``$QPU_EMULATOR_STATE_FILE``; else ``$XDG_STATE_HOME/pulumi-qpu/emulator.db``, else
``~/.local/state/pulumi-qpu/emulator.db``; on Windows under ``%LOCALAPPDATA%``).
``--ephemeral`` keeps the state in memory instead, ``--state-file`` names another file.

Two emulators writing one file would each hold their own copy of the sessions in memory
and overwrite each other's writes, so a process takes an exclusive lock on
``<state file>.lock`` before opening the file and records its pid and URL there: the
second one is refused with a message that names the first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

__all__ = ["STATE_FILE_ENV", "StateFileInUseError", "StateFileLock", "default_state_file"]

STATE_FILE_ENV = "QPU_EMULATOR_STATE_FILE"
"""The environment variable that moves the default state file."""

_APP_FOLDER = "pulumi-qpu"
_FILE_NAME = "emulator.db"


def default_state_file() -> Path:
    """Return the state file ``qpu-emulator`` uses when neither option names one."""
    named = os.environ.get(STATE_FILE_ENV, "")
    if named:
        return Path(named).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        # The XDG base directory spec: a relative value is invalid and must be ignored.
        xdg = os.environ.get("XDG_STATE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"
    return base / _APP_FOLDER / _FILE_NAME


class StateFileInUseError(OSError):
    """Another emulator process holds the state file."""


class StateFileLock:
    """An exclusive, non-blocking lock on ``<state file>.lock`` (released at exit or close)."""

    def __init__(self, state_file: str) -> None:
        """Prepare the lock of ``state_file`` (nothing is opened yet)."""
        self.state_file = state_file
        self.path = state_file + ".lock"
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`StateFileInUseError` naming the holder."""
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        except OSError as exc:
            raise OSError(f"cannot use the state file {self.state_file}: {exc.strerror}") from None
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StateFileInUseError(
                f"the state file {self.state_file} is in use by another qpu-emulator "
                f"({holder}). Stop that one, or start this one with --state-file PATH "
                "(a file of its own) or --ephemeral (state in memory)."
            ) from None
        self._handle = handle

    def record(self, url: str) -> None:
        """Write this process's pid and URL into the lock file (shown to a second one)."""
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"pid {os.getpid()}, {url}\n")
        self._handle.flush()

    def release(self) -> None:
        """Release the lock (the process's exit releases it too)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


def _lock(handle: IO[str]) -> None:
    """Lock the whole file without waiting; OSError if another process holds it."""
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415 - Windows only

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl  # noqa: PLC0415 - POSIX only

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
