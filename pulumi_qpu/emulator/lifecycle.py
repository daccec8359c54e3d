r"""The session lifecycle, evaluated lazily against the emulated clock.

No background thread moves sessions along: every read first *settles* the record, i.e.
applies every transition whose time has come, in order, at the time it was due::

    starting --(start_at)--> running --(deadline)--> stopping --(stopped_due_at)--> stopped
        \\______________ terminate ______________/

* ``start_at`` is ``created_at + start delay``, or the booking's ``started_at``;
* a running session's deadline is the earliest of ``started_at + max_duration``,
  ``started_at + max_idle_duration`` (idle = no job, and the emulator runs none) and the
  end of its booking slot, but never before ``end_floor`` (the last create/PATCH time), so
  shortening a duration ends the session now rather than in the past;
* ``stopping`` lasts the stop delay; ``terminated_at`` is the moment it reaches ``stopped``.

Timestamps are those of the transitions, not of the read that noticed them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pulumi_qpu.emulator.store import SessionRecord
from pulumi_qpu.models import Session, format_timestamp, wire_duration_seconds

__all__ = ["begin_stop", "next_transition_at", "running_deadline", "settle", "to_wire"]

REASON_TERMINATED = "terminated by user"
REASON_MAX_DURATION = "max_duration reached"
REASON_MAX_IDLE = "max_idle_duration reached"
REASON_BOOKING_CLOSED = "booking slot closed"
REASON_DELETED = "deleted"


def _seconds(wire: str) -> timedelta:
    return timedelta(seconds=float(wire_duration_seconds(wire)))


def running_deadline(record: SessionRecord) -> tuple[datetime, str]:
    """When a running session ends by itself, and why."""
    assert record.started_at is not None, "only running sessions have a deadline"
    candidates = []
    # On a tie the first reason wins: the slot closing explains more than a duration.
    if record.booking_finished_at is not None:
        candidates.append((record.booking_finished_at, REASON_BOOKING_CLOSED))
    candidates += [
        (record.started_at + _seconds(record.max_duration), REASON_MAX_DURATION),
        (record.started_at + _seconds(record.max_idle_duration), REASON_MAX_IDLE),
    ]
    moment, reason = min(candidates, key=lambda candidate: candidate[0])
    return max(moment, record.end_floor), reason


def begin_stop(record: SessionRecord, at: datetime, reason: str, stop_delay: float) -> None:
    """Put a live session in ``stopping`` at ``at``; ``stopped`` follows after the delay."""
    record.status = "stopping"
    record.stop_at = at
    record.stop_reason = reason
    record.stopped_due_at = at + timedelta(seconds=stop_delay)
    record.updated_at = at
    record.progress_message = f"Stopping session: {reason}"


def next_transition_at(record: SessionRecord) -> datetime | None:
    """When :func:`settle` will next change ``record``, or None if it never will.

    Before this moment :func:`settle` leaves the record as it is, whatever the stop
    delay, so a reader may skip settling it (the store's transition schedule).
    """
    if record.deleted_at is not None:
        return None
    if record.status == "starting":
        return record.start_at
    if record.status == "running":
        return running_deadline(record)[0]
    if record.status == "stopping":
        return record.stopped_due_at
    return None


def settle(record: SessionRecord, now: datetime, stop_delay: float) -> bool:
    """Apply every transition due by ``now``; True if the record changed."""
    changed = False
    if record.status == "starting" and now >= record.start_at:
        record.status = "running"
        record.started_at = record.start_at
        record.updated_at = record.start_at
        record.progress_message = "Session is running and ready to receive jobs"
        changed = True
    if record.status == "running":
        deadline, reason = running_deadline(record)
        if now >= deadline:
            begin_stop(record, deadline, reason, stop_delay)
            changed = True
    if (
        record.status == "stopping"
        and record.stopped_due_at is not None
        and now >= record.stopped_due_at
    ):
        record.status = "stopped"
        record.terminated_at = record.stopped_due_at
        record.updated_at = record.stopped_due_at
        record.progress_message = f"Session stopped: {record.stop_reason}"
        changed = True
    return changed


def starting_message(record: SessionRecord, platform_name: str) -> str:
    """Return the progress message of a session waiting to run."""
    if record.booking_started_at is not None:
        opens = format_timestamp(record.booking_started_at)
        return f"Waiting for the booking slot on {platform_name} to open at {opens}"
    return f"Allocating resources on {platform_name}"


def to_wire(record: SessionRecord) -> Session:
    """Return the wire form of a (settled) record."""
    return Session(
        id=record.id,
        name=record.name,
        platform_id=record.platform_id,
        created_at=record.created_at,
        started_at=record.started_at,
        updated_at=record.updated_at,
        terminated_at=record.terminated_at,
        max_idle_duration=record.max_idle_duration,
        max_duration=record.max_duration,
        waiting_job_count=0,
        finished_job_count=0,
        status=record.status,
        project_id=record.project_id,
        tags=list(record.tags),
        deduplication_id=record.deduplication_id,
        origin_type=record.origin_type,
        origin_id=record.origin_id,
        progress_message=record.progress_message,
        booking_id=record.booking_id,
        model_id=record.model_id,
        parameters=record.parameters,
    )
