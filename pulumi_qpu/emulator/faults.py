"""Fault injection: what can go wrong between a client and the API, on demand.

Two ways to ask for faults, both reproducible:

* **rates** (``error_rate``, ``throttle_rate``, ``reset_rate``, ``drop_create_rate``):
  each API request draws from a :class:`random.Random` seeded with ``--seed``, so the
  same request sequence meets the same faults;
* a **script**: a list of ``{"kind", "route", "count", ...}`` entries consumed in order
  by matching requests ("fail the next 2 creates with 503"), for exact tests.

Kinds: ``error`` (a 5xx by default; any ``status``/``type``/extra ``fields`` can be
given, e.g. 409 ``transient_state``), ``throttle`` (429 with ``Retry-After``), ``reset``
(the TCP connection is aborted before any reply), ``drop`` (the request is carried out,
then the connection is aborted: commit-then-drop). ``latency`` adds seconds to every API
request. The admin path ``/_emulator`` never meets a fault.
"""

from __future__ import annotations

import random
import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pulumi_qpu.emulator import assumptions

__all__ = ["FaultDecision", "FaultInjector", "FaultKind", "FaultSettings", "ScriptedFault"]

FaultKind = Literal["error", "throttle", "reset", "drop"]


class ScriptedFault(BaseModel):
    """``count`` faults of one kind for the next requests matching ``route``."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    route: str | None = Field(
        default=None,
        description='Counter key like "POST /qaas/v1alpha1/sessions"; None = any API route.',
    )
    count: int = Field(default=1, ge=1)
    status: int | None = Field(default=None, description="error: status (default 503)")
    type: str | None = Field(default=None, description="error: body type")
    fields: dict[str, object] = Field(default_factory=dict, description="error: extra body")
    retry_after: int | None = Field(default=None, description="throttle: Retry-After")


class FaultSettings(BaseModel):
    """Every fault knob; all off by default."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: int = Field(default=503, ge=500, le=599)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after: int = Field(default=assumptions.DEFAULT_RETRY_AFTER_SECONDS, ge=0)
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    drop_create_rate: float = Field(default=0.0, ge=0, le=1)
    latency: float = Field(default=0.0, ge=0, description="seconds added to each request")
    script: list[ScriptedFault] = Field(default_factory=list)


class FaultDecision(BaseModel):
    """What to do to one request."""

    kind: FaultKind
    status: int = 503
    type: str | None = None
    fields: dict[str, object] = Field(default_factory=dict)
    retry_after: int = 1


CREATE_ROUTE = "POST /qaas/v1alpha1/sessions"


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(self, settings: FaultSettings | None = None, seed: int | None = None) -> None:
        """Start with ``settings`` (none by default) and a generator seeded with ``seed``."""
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._settings = settings or FaultSettings()

    @property
    def settings(self) -> FaultSettings:
        """The current settings (with what is left of the script)."""
        with self._lock:
            return self._settings.model_copy(deep=True)

    def configure(self, settings: FaultSettings) -> None:
        """Replace every setting; the random sequence restarts from the seed."""
        with self._lock:
            self._settings = settings.model_copy(deep=True)
            self._rng = random.Random(self._seed)

    @property
    def latency(self) -> float:
        """Seconds to add to each API request."""
        return self._settings.latency

    def decide(self, route: str) -> FaultDecision | None:
        """Pick the fault for one API request to ``route`` (a counter key), or None."""
        with self._lock:
            settings = self._settings
            for index, entry in enumerate(settings.script):
                if entry.route is None or entry.route == route:
                    entry.count -= 1
                    if entry.count <= 0:
                        del settings.script[index]
                    return FaultDecision(
                        kind=entry.kind,
                        status=entry.status or settings.error_status,
                        type=entry.type,
                        fields=entry.fields,
                        retry_after=(
                            entry.retry_after
                            if entry.retry_after is not None
                            else settings.retry_after
                        ),
                    )
            # One draw per knob, always in the same order, keeps runs reproducible.
            draws = [self._rng.random() for _ in range(4)]
            if draws[0] < settings.reset_rate:
                return FaultDecision(kind="reset")
            if draws[1] < settings.error_rate:
                return FaultDecision(kind="error", status=settings.error_status)
            if draws[2] < settings.throttle_rate:
                return FaultDecision(kind="throttle", retry_after=settings.retry_after)
            if route == CREATE_ROUTE and draws[3] < settings.drop_create_rate:
                return FaultDecision(kind="drop")
            return None
