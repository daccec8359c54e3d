"""Counting, from the emulator's side, the faults it injected into a run.

The emulator counts requests but not faults, so the figures are rebuilt from two exact
sources: its fault generator is seeded and draws four numbers per API request in a
fixed order whatever the route (``FaultInjector.decide``), so replaying the seed over the
first N requests gives exactly which of them met a reset, a 5xx or a 429; and its access
log (``--log-level info``) has one line per reply, so requests that got no reply at all
are resets or commit-then-drops, and the drops are what is left once the resets are
taken away. The 5xx and 429 replies in the log must agree with the replay, which the
tests assert: it is what proves the replay is in step with the emulator.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from tests.support.emulator import RunningEmulator

__all__ = ["FaultCount", "FaultLedger"]

_REPLY = re.compile(r'"(GET|POST|PATCH|DELETE|PUT) (/qaas/\S*) HTTP/1\.1" (\d{3})')


@dataclass(frozen=True)
class FaultCount:
    """Requests and faults over one stretch of a run."""

    requests: int
    resets: int
    errors: int
    throttles: int
    drops: int
    replies_by_status: dict[int, int]

    @property
    def injected(self) -> int:
        """Every fault of every kind."""
        return self.resets + self.errors + self.throttles + self.drops

    def as_dict(self) -> dict[str, int]:
        """The figures, for the report."""
        return {
            "requests": self.requests,
            "faults_injected": self.injected,
            "resets": self.resets,
            "5xx": self.errors,
            "429": self.throttles,
            "commit_then_drop": self.drops,
        }


class FaultLedger:
    """Follows one emulator started with ``seed`` and ``log_level="info"``.

    Call :meth:`start` right after setting the rates (which restarts the generator), then
    :meth:`step` at each boundary: it returns what happened since the previous one.
    """

    def __init__(self, emulator: RunningEmulator, *, seed: int) -> None:
        """Follow ``emulator``, whose fault generator was seeded with ``seed``."""
        self.emulator = emulator
        self.seed = seed
        self._rng = random.Random(seed)
        self._rates = (0.0, 0.0, 0.0)
        self._counters: dict[str, int] = {}
        self._log_offset = 0

    def start(self, *, reset_rate: float, error_rate: float, throttle_rate: float) -> None:
        """Begin counting: the emulator's faults were just set with these rates."""
        self._rng = random.Random(self.seed)
        self._rates = (reset_rate, error_rate, throttle_rate)
        self._counters = self.emulator.counters()
        self._log_offset = len(self.emulator.output)

    def _log_until_now(self) -> str:
        # The emulator writes a reply's access log line as the reply starts, on its one
        # event loop, and the pipe keeps the order: once a marked request made now shows
        # in the log, every reply before it is there too.
        mark = uuid.uuid4().hex
        self.emulator.admin.get("/_emulator/state", params={"mark": mark}).raise_for_status()
        deadline = time.monotonic() + 10.0
        while mark not in self.emulator.output[self._log_offset :]:
            if time.monotonic() > deadline:
                raise AssertionError("the emulator's access log is not arriving")
            time.sleep(0.01)
        return self.emulator.output[self._log_offset :]

    def step(self) -> FaultCount:
        """Requests and faults since the previous call."""
        counters = self.emulator.counters()
        delta = {k: n - self._counters.get(k, 0) for k, n in counters.items()}
        count = sum(delta.values())
        resets = errors = throttles = 0
        reset_rate, error_rate, throttle_rate = self._rates
        for _ in range(count):
            draws = [self._rng.random() for _ in range(4)]
            if draws[0] < reset_rate:
                resets += 1
            elif draws[1] < error_rate:
                errors += 1
            elif draws[2] < throttle_rate:
                throttles += 1
        text = self._log_until_now()
        statuses = Counter(int(status) for _, _, status in _REPLY.findall(text))
        replied = sum(statuses.values())
        self._log_offset += len(text)
        self._counters = counters
        return FaultCount(
            requests=count,
            resets=resets,
            errors=errors,
            throttles=throttles,
            drops=count - replied - resets,
            replies_by_status=dict(statuses),
        )
