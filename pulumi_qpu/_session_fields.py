"""Typed inputs and outputs of the Session, generated from :mod:`pulumi_qpu.spec`.

Do not edit: ``python -m pulumi_qpu.spec`` writes this file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pulumi
from pydantic import BaseModel

from pulumi_qpu.durations import DurationInput

__all__ = ["SessionArgs", "SessionOutputs"]


@dataclass(frozen=True, kw_only=True)
class SessionArgs:
    """The inputs of a :class:`pulumi_qpu.Session` (README, "The Session resource")."""

    platform_name: pulumi.Input[str] | None = None
    """Platform name ("EMU-AER-16C-128M"), resolved to its id at check."""
    platform_id: pulumi.Input[str] | None = None
    """Platform id; or give platform_name. Replaces."""
    project_id: pulumi.Input[str] | None = None
    """Project UUID; default qpu:projectId / SCW_DEFAULT_PROJECT_ID. Replaces."""
    name: pulumi.Input[str] | None = None
    """Session name. Updates in place."""
    max_idle_duration: pulumi.Input[DurationInput] | None = None
    """End after this long without jobs: seconds (3600, 2.5) or text ("90s", "1h30m", "1d",
    "PT1H30M"); stored as "<n>s". Updates in place.
    """
    max_duration: pulumi.Input[DurationInput] | None = None
    """End after this long in total: seconds (3600, 2.5) or text ("90s", "1h30m", "1d", "PT1H30M");
    stored as "<n>s". Updates in place.
    """
    tags: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Session tags (the API takes 50, create needs one while it runs). Updates in place."""
    deduplication_id: pulumi.Input[str] | None = None
    """Share one live session; derived per resource when unset. Replaces."""
    booking_demand: pulumi.Input[Mapping[str, Any]] | BaseModel | None = None
    """A slot on a bookable platform. Replaces."""
    model_id: pulumi.Input[str] | None = None
    """Model to load in the session. Replaces."""
    parameters: pulumi.Input[Mapping[str, Any] | str] | None = None
    """Platform parameters, a dict or JSON text; stored canonical. Replaces."""
    session_id: pulumi.Input[str] | None = None
    """Adopt this existing session instead of creating one."""
    wait_for_running: pulumi.Input[bool] | None = None
    """Create returns once running. Setting only."""
    create_timeout: pulumi.Input[DurationInput] | None = None
    """Longest wait for running: seconds (3600, 2.5) or text ("90s", "1h30m", "1d", "PT1H30M");
    stored as "<n>s". Setting only.
    """
    delete_timeout: pulumi.Input[DurationInput] | None = None
    """Longest wait for stopped: seconds (3600, 2.5) or text ("90s", "1h30m", "1d", "PT1H30M");
    stored as "<n>s". Setting only.
    """
    on_delete: pulumi.Input[Literal["terminate", "terminate_and_delete"]] | None = None
    """What destroy does. Setting only."""
    max_cost: pulumi.Input[str | Mapping[str, Any] | Decimal | float] | BaseModel | None = None
    """Budget: "12.50 EUR", {"amount": "12.50", "currency": "EUR"}, Money, or an amount in the
    platform's currency; default qpu:maxCostPerSession (docs/cost.md). Setting only.
    """


class SessionOutputs:
    """The outputs of a :class:`pulumi_qpu.Session`: every session field and its cost."""

    name: pulumi.Output[str]
    """The session's name."""
    platform_id: pulumi.Output[str]
    """The platform the session runs on."""
    project_id: pulumi.Output[str]
    """The project the session belongs to."""
    status: pulumi.Output[str]
    """`starting`, `running`, `stopping`, `stopped` or `unknown_status`."""
    created_at: pulumi.Output[str]
    """RFC 3339 creation time."""
    started_at: pulumi.Output[str | None]
    """RFC 3339 time the session started running."""
    updated_at: pulumi.Output[str | None]
    """RFC 3339 time of the last change."""
    terminated_at: pulumi.Output[str | None]
    """RFC 3339 time the session ended."""
    max_idle_duration: pulumi.Output[str]
    """Idle time after which the session ends (`"1800s"`)."""
    max_duration: pulumi.Output[str]
    """Total time after which the session ends (`"3600s"`)."""
    waiting_job_count: pulumi.Output[int]
    """Jobs waiting in the session."""
    finished_job_count: pulumi.Output[int]
    """Jobs finished in the session."""
    tags: pulumi.Output[list[str] | None]
    """The session's tags."""
    deduplication_id: pulumi.Output[str]
    """The deduplication id the session was created with."""
    origin_type: pulumi.Output[str]
    """What created the session (`customer`, `process`)."""
    origin_id: pulumi.Output[str | None]
    """Id of what created the session."""
    progress_message: pulumi.Output[str | None]
    """Latest progress message of the session."""
    booking_id: pulumi.Output[str | None]
    """Booking of the session, when booked."""
    model_id: pulumi.Output[str | None]
    """Model loaded in the session."""
    parameters: pulumi.Output[str | None]
    """Parameters as canonical JSON text."""
    currency: pulumi.Output[str | None]
    """ISO 4217 code of the platform's prices (`"EUR"`)."""
    price_per_hour: pulumi.Output[str | None]
    """The platform's price per hour (`"0.90"`)."""
    price_per_shot: pulumi.Output[str | None]
    """The platform's price per shot, not in the worst case."""
    price_per_circuit: pulumi.Output[str | None]
    """The platform's price per circuit, not in the worst case."""
    worst_case_cost: pulumi.Output[str | None]
    """Price per hour times `max_duration`, rounded up to the minor unit; known at preview."""
    accrued_cost: pulumi.Output[str | None]
    """Price per hour times the time run so far (or until it ended); stored by `pulumi refresh`,
    exported anew only when the program runs again (`pulumi up`, `pulumi refresh --run-
    program`).
    """
