"""Helpers of the reliability suite (issue 6).

The emulator's own records (``RunningEmulator.sessions()``, tombstones included) are the
oracle throughout: a session is *live* while it is ``starting`` or ``running`` and not
deleted, and every check of "nothing lost, nothing duplicated" counts live sessions per
declared resource there, never in the provider's own replies.

The provider fixtures of tests/provider are reused as they are (see conftest.py);
what is added here:

* :func:`logging_env`: a host environment that turns on the client's INFO logging in the
  host process (a ``sitecustomize`` on ``PYTHONPATH``), so every retry the client spends
  shows in the host's stderr (the real-engine suite puts the same ``PYTHONPATH`` in the
  CLI's environment, which prints that stderr).
* :class:`Figures`: what a run did, written to ``$QPU_RELIABILITY_FIGURES`` (a
  directory) when it is set and always printed, for docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.provider.conftest import PLATFORM, host_env
from tests.support.emulator import RunningEmulator

__all__ = [
    "LIVE",
    "MUTATING",
    "PLATFORM",
    "Figures",
    "is_live",
    "live_by_name",
    "logging_env",
    "mutations",
]

LIVE = frozenset({"starting", "running"})
"""Statuses in which a session costs money."""

MUTATING = ("POST ", "PATCH ", "DELETE ")
"""Counter-key prefixes of the requests that change something remotely."""

_SITECUSTOMIZE = '''\
"""Test-only: the host process logs the client's retries on stderr."""
import logging
import sys

_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("qpu-log %(name)s %(message)s"))
for _name in ("pulumi_qpu.retry", "pulumi_qpu.client"):
    _logger = logging.getLogger(_name)
    _logger.setLevel(logging.INFO)
    _logger.addHandler(_handler)
'''


def logging_env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The host environment of ``host_env`` plus the client's INFO logs on stderr."""
    site = tmp_path / "host-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    return {**host_env(emulator, tmp_path), "PYTHONPATH": str(site)}


def is_live(session: Mapping[str, Any]) -> bool:
    """True while the session costs money (``starting``/``running``, not deleted)."""
    return session["wire"]["status"] in LIVE and not session.get("deleted_at")


def live_by_name(emulator: RunningEmulator) -> dict[str, list[str]]:
    """Ids of the live sessions, grouped by name: a list longer than one is a duplicate."""
    groups: dict[str, list[str]] = {}
    for session in emulator.sessions():
        if is_live(session):
            groups.setdefault(session["wire"]["name"], []).append(session["id"])
    return groups


def mutations(counters: Mapping[str, int]) -> dict[str, int]:
    """The counters of requests that would change something remotely."""
    return {key: n for key, n in counters.items() if key.startswith(MUTATING)}


@dataclass
class Figures:
    """What one reliability scenario did, for docs/reliability.md."""

    scenario: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(self, step: str, **figures: Any) -> Figures:
        """Record one step's figures; returns self, so a one-step record can publish."""
        self.steps.append({"step": step, **figures})
        return self

    def publish(self) -> str:
        """Print the figures and write them to ``$QPU_RELIABILITY_FIGURES/<scenario>.json``."""
        text = json.dumps(asdict(self), indent=1, sort_keys=False)
        print(text)
        target = os.environ.get("QPU_RELIABILITY_FIGURES")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / f"{self.scenario}.json").write_text(text + "\n")
        return text
