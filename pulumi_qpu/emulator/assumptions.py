"""Every choice the emulator makes where the real QaaS API is silent, in one place.

Each constant is documented in ``docs/emulator.md`` ("Assumptions"); change both together.
The published contract and the official clients fix everything else (see the wire models
in :mod:`pulumi_qpu.models`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from pulumi_qpu import models

# --- durations ----------------------------------------------------------------------

DEFAULT_MAX_IDLE_DURATION: Final = "1800s"
"""max_idle_duration when a create omits it (an old quickstart: sessions end after 30 min)."""

DEFAULT_MAX_DURATION: Final = "3600s"
"""max_duration when a create omits it."""

MAX_SESSION_DURATION_SECONDS: Final = Decimal(7 * 86400)
"""Longest max_duration / max_idle_duration accepted (7 days); longer is 400 constraint."""

# --- lengths and counts -------------------------------------------------------------

# The API's length and count limits are written once, on the wire models, and read here.
MAX_NAME_LENGTH: Final = models.MAX_NAME_LENGTH
"""Longest session name; longer is 400 invalid_arguments (constraint)."""

GENERATED_NAME_PREFIX: Final = "qs-"
"""A create without a name gets ``qs-`` plus the first 8 characters of the session id."""

MAX_TAGS: Final = models.MAX_TAGS
"""Most tags on one session."""

MAX_TAG_LENGTH: Final = models.MAX_TAG_LENGTH
"""Longest tag; an empty tag is refused too."""

MAX_DEDUPLICATION_ID_LENGTH: Final = models.MAX_DEDUPLICATION_ID_LENGTH
"""Longest deduplication_id."""

MAX_PARAMETERS_LENGTH: Final = models.MAX_PARAMETERS_LENGTH
"""Longest ``parameters`` string (opaque; clients put JSON text in it)."""

# --- paging -------------------------------------------------------------------------

DEFAULT_PAGE_SIZE: Final = 20
"""page_size when omitted or 0 (0 is protobuf's "unset")."""

MAX_PAGE_SIZE: Final = models.MAX_PAGE_SIZE
"""Largest page_size; larger is 400 invalid_arguments (constraint)."""

# --- lifecycle ----------------------------------------------------------------------

DEFAULT_START_DELAY_SECONDS: Final = 3.0
"""Emulated seconds from create to ``running`` (option ``--start-delay``)."""

DEFAULT_STOP_DELAY_SECONDS: Final = 1.0
"""Emulated seconds from ``stopping`` to ``stopped`` (option ``--stop-delay``)."""

TAG_FILTER_MATCHES_ALL: Final = True
"""``?tags=a&tags=b`` lists sessions carrying every given tag (not any of them); an empty
value (``?tags=``) is no filter."""

TERMINATE_STOPPED_IS_NOOP: Final = True
"""Terminate on a ``stopping``/``stopped`` session returns it unchanged with 200."""

DEDUPLICATION_MATCHES_LIVE_ONLY: Final = True
"""A deduplication_id matches only ``starting``/``running`` sessions of the same project;
once that session is stopping, stopped or deleted the id can be used again."""

DELETE_ALLOWED_IN_ANY_STATUS: Final = True
"""DELETE works in every status (a live session is ended and removed at once)."""

PATCH_ALLOWED_IN_ANY_STATUS: Final = True
"""PATCH works in every status; on a stopped session new durations change nothing."""

IDLE_MEANS_NO_JOB: Final = True
"""Idle = no job waiting or running. The emulator runs no jobs, so the idle timer starts
when the session starts running: a running session ends at
``started_at + min(max_duration, max_idle_duration)`` (or when its booking slot closes)."""

BOOKED_DURATIONS_DEFAULT_TO_SLOT: Final = True
"""On a booked session, an omitted max_duration or max_idle_duration defaults to the length
of the booked slot (the slot is paid for; idling in it does not end it early)."""

CANCELLATION_WINDOW_ENFORCED: Final = True
"""Terminating or deleting a booked session that still waits for its slot is refused
(412 precondition_failed) once the slot opens within the platform's
max_cancellation_duration; before that window, and once the slot is open, it is allowed."""

BOOKING_OPTIONAL_ON_BOOKABLE: Final = True
"""A bookable platform also accepts sessions without booking_demand (they start on demand)."""

MAINTENANCE_REFUSES_SESSIONS: Final = True
"""Creating a session on a platform in ``maintenance`` is 412 precondition_failed."""

RESTART_RESUMES_THE_CLOCK: Final = True
"""A restart on a state file (the default: see ``statefile.py``) carries on with the stored
keys and sessions. The clock resumes at the later of the wall time and the last emulated
time recorded, never earlier: with a clock at wall time (time scale 1, never advanced)
the time the emulator was down counts, so a session whose end fell in it is stopped at
the first read, stamped with its deadline; a clock that ran ahead of the wall (advanced,
or sped up) resumes where it stopped and the downtime does not count."""

REFUSAL_PRECONDITION: Final = "unknown_precondition"
"""``precondition`` of every 412 the emulator sends (maintenance, late cancellation). The
Scaleway clients know ``unknown_precondition``, ``resource_still_in_use`` and
``attribute_must_be_set``; neither refusal is one of the last two, so the reason is in
``help_message`` (which names the platform and what to do), as the clients expect."""

# --- rate limiting ------------------------------------------------------------------

RATE_LIMIT_ENFORCED: Final = False
"""No rate limit is enforced; 429 too_many_requests comes only from fault injection."""

DEFAULT_RETRY_AFTER_SECONDS: Final = 1
"""``Retry-After`` (and ``reset_seconds``) of an injected 429."""

INJECTED_THROTTLE_LIMIT: Final = 100
"""``limit`` of an injected 429 body (informational: no limit is counted)."""
