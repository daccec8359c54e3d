"""The emulated clock: wall time, sped up by a time scale and pushed forward on demand.

``now = wall_at_start + real_elapsed * time_scale + advanced``. Tests call
:meth:`EmulatedClock.advance` (through ``POST /_emulator/clock/advance``) to make an hour
pass in a millisecond. The clock never goes backwards, not even across a restart: the
store keeps the latest time it has seen and :meth:`EmulatedClock.not_before` moves the
clock up to it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

__all__ = ["EmulatedClock"]


class EmulatedClock:
    """A thread-safe clock whose time runs ``time_scale`` times faster than the wall."""

    def __init__(self, time_scale: float = 1.0) -> None:
        """Start the clock at the current wall time."""
        if time_scale <= 0:
            raise ValueError("time_scale must be greater than zero")
        self._lock = threading.Lock()
        self._wall_start = datetime.now(timezone.utc)
        self._mono_start = time.monotonic()
        self._time_scale = time_scale
        self._advanced = 0.0

    @property
    def time_scale(self) -> float:
        """How many emulated seconds pass per real second."""
        return self._time_scale

    def now(self) -> datetime:
        """Return the current emulated time (aware, UTC)."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        elapsed = (time.monotonic() - self._mono_start) * self._time_scale + self._advanced
        return self._wall_start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` (>= 0) and return the new time."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        with self._lock:
            self._advanced += seconds
            return self._now_locked()

    def set_time_scale(self, time_scale: float) -> None:
        """Change the speed from now on, without a jump in the current time."""
        if time_scale <= 0:
            raise ValueError("time_scale must be greater than zero")
        with self._lock:
            current = self._now_locked()
            self._wall_start = current
            self._mono_start = time.monotonic()
            self._advanced = 0.0
            self._time_scale = time_scale

    def not_before(self, moment: datetime) -> None:
        """Move the clock forward to ``moment`` if it is behind it (used after a restart)."""
        with self._lock:
            behind = (moment - self._now_locked()).total_seconds()
            if behind > 0:
                self._advanced += behind
