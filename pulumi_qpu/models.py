"""Wire models of the QaaS v1alpha1 sessions and platforms API.

Field for field as in the published contract (``schema/qaas-sessions.openapi.yml``).
The emulator serves these models and the client parses them, so both sides agree by
construction. Conventions of the wire, decided here once:

* timestamps are RFC 3339 in UTC with microseconds and ``Z``
  (``2022-03-22T12:34:56.123456Z``);
* durations are strings of seconds with an ``s`` suffix (``"3600s"``, ``"2.5s"``);
  :data:`WireDuration` accepts only that form and keeps it canonical;
* enums in replies are lenient: a value this version does not know becomes the
  ``unknown_*`` member instead of failing, so a new status on the server never breaks
  a refresh.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "MAX_DEDUPLICATION_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_PARAMETERS_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "TRANSIENT_SESSION_STATUSES",
    "UUID_PATTERN",
    "BookingDemand",
    "CreateSessionRequest",
    "ErrorBody",
    "InvalidArgumentDetail",
    "ListPlatformsOrderBy",
    "ListPlatformsResponse",
    "ListSessionsOrderBy",
    "ListSessionsResponse",
    "Money",
    "Platform",
    "PlatformAvailability",
    "PlatformBookingRequirement",
    "PlatformHardware",
    "PlatformTechnology",
    "PlatformType",
    "Session",
    "SessionOriginType",
    "SessionStatus",
    "Timestamp",
    "UpdateSessionRequest",
    "WireDuration",
    "format_timestamp",
    "wire_duration_seconds",
]


# --- limits -------------------------------------------------------------------------
# The API's limits on a session's fields, written once: the emulator enforces them and the
# provider's checks refuse a value beyond them at preview. The published contract is
# silent on each of these (docs/emulator.md, "Assumptions"): the values are the ones the
# emulator assumes, and the request models below carry them.

MAX_NAME_LENGTH: Final = 255
"""Longest session name."""

MAX_TAGS: Final = 50
"""Most tags on one session."""

MAX_TAG_LENGTH: Final = 128
"""Longest tag (an empty tag is refused too)."""

MAX_DEDUPLICATION_ID_LENGTH: Final = 128
"""Longest deduplication_id."""

MAX_PARAMETERS_LENGTH: Final = 64 * 1024
"""Longest ``parameters`` string (opaque; clients put JSON text in it)."""

MAX_PAGE_SIZE: Final = 100
"""Largest ``page_size`` of a listing."""

UUID_PATTERN: Final = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
"""What an id of the API looks like (projects, platforms, sessions, models)."""


# --- scalar conventions -------------------------------------------------------------


def format_timestamp(value: datetime) -> str:
    """Format a datetime as the API does: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError(
            "format",
            "timestamp {value} has no time zone; use RFC 3339 with Z or an offset",
            {"value": value.isoformat()},
        )
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is before year 1 in UTC: malformed, not a crash.
        raise PydanticCustomError(
            "format", "timestamp {value} is out of range in UTC", {"value": value.isoformat()}
        ) from None


Timestamp = Annotated[
    datetime,
    AfterValidator(_require_aware),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""An RFC 3339 timestamp; parsed to an aware UTC datetime, written with ``Z``."""

_WIRE_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


def wire_duration_seconds(value: str) -> Decimal:
    """Seconds of a wire duration (``"3600s"`` -> 3600); ValueError if not wire form."""
    match = _WIRE_DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a wire duration like '3600s'")
    return Decimal(match.group(1))


def _canonical_wire_duration(value: str) -> str:
    match = _WIRE_DURATION.match(value)
    if not match:
        # "format": the emulator reports this as invalid_arguments reason=format.
        raise PydanticCustomError(
            "format",
            "duration {value} is not seconds with an 's' suffix, like '3600s' or '2.5s'",
            {"value": value},
        )
    seconds = Decimal(match.group(1))
    if seconds <= 0:
        raise PydanticCustomError(
            "constraint", "duration {value} must be greater than zero", {"value": value}
        )
    return f"{format(seconds.normalize(), 'f')}s"


WireDuration = Annotated[str, AfterValidator(_canonical_wire_duration)]
"""A positive duration in wire form, kept canonical (``"3600.0s"`` becomes ``"3600s"``)."""


class _LenientEnum(str, enum.Enum):
    """A string enum whose unknown values map to its first (``unknown_*``) member."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return next(iter(cls))

    def __str__(self) -> str:
        return str(self.value)


# --- enums --------------------------------------------------------------------------


class SessionStatus(_LenientEnum):
    """Status of a session."""

    UNKNOWN_STATUS = "unknown_status"
    RUNNING = "running"
    STOPPED = "stopped"
    STARTING = "starting"
    STOPPING = "stopping"


TRANSIENT_SESSION_STATUSES = frozenset({SessionStatus.STARTING, SessionStatus.STOPPING})
"""Statuses a session leaves by itself (the official SDK's ``SESSION_TRANSIENT_STATUSES``)."""


class SessionOriginType(_LenientEnum):
    """Resource type that created a session."""

    UNKNOWN_ORIGIN_TYPE = "unknown_origin_type"
    CUSTOMER = "customer"
    PROCESS = "process"


class PlatformType(_LenientEnum):
    """Type of a platform."""

    UNKNOWN_TYPE = "unknown_type"
    SIMULATOR = "simulator"
    QPU = "qpu"


class PlatformTechnology(_LenientEnum):
    """Technology of a platform."""

    UNKNOWN_TECHNOLOGY = "unknown_technology"
    PHOTONIC = "photonic"
    GENERAL_PURPOSE = "general_purpose"
    TRAPPED_ION = "trapped_ion"
    SUPERCONDUCTING = "superconducting"
    NEUTRAL_ATOM = "neutral_atom"


class PlatformAvailability(_LenientEnum):
    """Availability of a platform."""

    UNKNOWN_AVAILABILITY = "unknown_availability"
    AVAILABLE = "available"
    SHORTAGE = "shortage"
    SCARCE = "scarce"
    MAINTENANCE = "maintenance"


class ListSessionsOrderBy(str, enum.Enum):
    """Sort orders of ``GET /sessions`` (strict: an unknown value is an error)."""

    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    STARTED_AT_ASC = "started_at_asc"
    STARTED_AT_DESC = "started_at_desc"
    STATUS_ASC = "status_asc"
    STATUS_DESC = "status_desc"
    CREATED_AT_ASC = "created_at_asc"
    CREATED_AT_DESC = "created_at_desc"


class ListPlatformsOrderBy(str, enum.Enum):
    """Sort orders of ``GET /platforms`` (strict: an unknown value is an error)."""

    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    PROVIDER_NAME_ASC = "provider_name_asc"
    PROVIDER_NAME_DESC = "provider_name_desc"
    TYPE_ASC = "type_asc"
    TYPE_DESC = "type_desc"
    TECHNOLOGY_ASC = "technology_asc"
    TECHNOLOGY_DESC = "technology_desc"
    BACKEND_NAME_ASC = "backend_name_asc"
    BACKEND_NAME_DESC = "backend_name_desc"


# --- reply models -------------------------------------------------------------------

_REPLY = ConfigDict(extra="ignore", populate_by_name=True)


class Session(BaseModel):
    """A session: a time window on one platform in which jobs run."""

    model_config = _REPLY

    id: str
    name: str = ""
    platform_id: str
    created_at: Timestamp | None = None
    started_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    terminated_at: Timestamp | None = None
    max_idle_duration: str | None = None
    max_duration: str | None = None
    waiting_job_count: int = 0
    finished_job_count: int = 0
    status: SessionStatus = SessionStatus.UNKNOWN_STATUS
    project_id: str
    tags: list[str] | None = None
    deduplication_id: str = ""
    origin_type: SessionOriginType = SessionOriginType.UNKNOWN_ORIGIN_TYPE
    origin_id: str | None = None
    progress_message: str | None = None
    booking_id: str | None = None
    model_id: str | None = None
    parameters: str | None = None


class Money(BaseModel):
    """An amount of money as the API writes it (``google.type.Money``)."""

    model_config = _REPLY

    currency_code: str = "EUR"
    units: int = 0
    nanos: int = 0


class PlatformHardware(BaseModel):
    """Specifications of the hardware behind a platform."""

    model_config = _REPLY

    name: str = ""
    vcpus: int = 0
    gpus: int = 0
    gpus_network: str = ""
    ram: int = 0
    vram: int = 0


class PlatformBookingRequirement(BaseModel):
    """Booking constraints of a bookable platform (durations in wire form)."""

    model_config = _REPLY

    min_duration: str | None = None
    max_duration: str | None = None
    max_cancellation_duration: str | None = None
    max_planification_duration: str | None = None
    min_planification_duration: str | None = None
    max_booking_per_week: int = 0
    max_booking_per_day: int = 0


class Platform(BaseModel):
    """A platform: a QPU or an emulator of one, on which sessions run."""

    model_config = _REPLY

    id: str
    version: str = ""
    name: str
    provider_name: str = ""
    backend_name: str = ""
    type: PlatformType = PlatformType.UNKNOWN_TYPE
    technology: PlatformTechnology = PlatformTechnology.UNKNOWN_TECHNOLOGY
    max_qubit_count: int = 0
    max_shot_count: int = 0
    max_circuit_count: int = 0
    availability: PlatformAvailability = PlatformAvailability.UNKNOWN_AVAILABILITY
    metadata: str = ""
    price_per_hour: Money | None = None
    price_per_shot: Money | None = None
    price_per_circuit: Money | None = None
    hardware: PlatformHardware | None = None
    booking_requirement: PlatformBookingRequirement | None = None
    description: str = ""
    documentation_url: str = ""
    is_bookable: bool = False


class ListSessionsResponse(BaseModel):
    """Reply of ``GET /sessions``."""

    model_config = _REPLY

    total_count: int
    sessions: list[Session]


class ListPlatformsResponse(BaseModel):
    """Reply of ``GET /platforms``."""

    model_config = _REPLY

    total_count: int
    platforms: list[Platform]


# --- request models -----------------------------------------------------------------

# Requests are strict: an unknown field is an error, so a typo never goes unnoticed.
_REQUEST = ConfigDict(extra="forbid")


class BookingDemand(BaseModel):
    """A booking demand: reserve a slot on a bookable platform for the session."""

    model_config = _REQUEST

    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    description: str | None = None
    time_zone: str | None = None


class CreateSessionRequest(BaseModel):
    """Body of ``POST /sessions``."""

    model_config = _REQUEST

    project_id: str
    platform_id: str
    name: str | None = None
    max_idle_duration: WireDuration | None = None
    max_duration: WireDuration | None = None
    tags: list[str] | None = None
    deduplication_id: str | None = None
    booking_demand: BookingDemand | None = None
    model_id: str | None = None
    parameters: str | None = None


class UpdateSessionRequest(BaseModel):
    """Body of ``PATCH /sessions/{session_id}``: only these four fields can change."""

    model_config = _REQUEST

    name: str | None = None
    max_idle_duration: WireDuration | None = None
    max_duration: WireDuration | None = None
    tags: list[str] | None = None


# --- errors -------------------------------------------------------------------------


class InvalidArgumentDetail(BaseModel):
    """One entry of an ``invalid_arguments`` error's ``details``."""

    model_config = _REPLY

    argument_name: str
    reason: str = Field(description="required | format | constraint")
    help_message: str = ""


class ErrorBody(BaseModel):
    """An error reply: ``type`` and ``message`` plus the type's own fields."""

    model_config = ConfigDict(extra="allow")

    type: str
    message: str
