"""What each endpoint does, independent of HTTP: the emulator's state and rules.

:class:`Emulator` owns the store, the clock, the catalogue, the tenants, the fault
injector and the request counters. Its methods take already-decoded inputs (a key, a
dict of query values, a parsed JSON body) and return wire models or raise
:class:`~pulumi_qpu.emulator.problems.ReplyError`; ``app.py`` only speaks HTTP.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from pulumi_qpu.emulator import assumptions
from pulumi_qpu.emulator.catalogue import Catalogue
from pulumi_qpu.emulator.clock import EmulatedClock
from pulumi_qpu.emulator.faults import FaultInjector, FaultSettings
from pulumi_qpu.emulator.lifecycle import (
    REASON_DELETED,
    REASON_TERMINATED,
    begin_stop,
    next_transition_at,
    settle,
    starting_message,
    to_wire,
)
from pulumi_qpu.emulator.problems import (
    denied_authentication,
    invalid_argument,
    invalid_arguments,
    not_found,
    permissions_denied,
    precondition_failed,
    quotas_exceeded,
)
from pulumi_qpu.emulator.store import SessionRecord, SessionStore
from pulumi_qpu.models import (
    UUID_PATTERN,
    CreateSessionRequest,
    ListPlatformsOrderBy,
    ListPlatformsResponse,
    ListSessionsOrderBy,
    ListSessionsResponse,
    Platform,
    PlatformBookingRequirement,
    PlatformTechnology,
    PlatformType,
    Session,
    SessionStatus,
    UpdateSessionRequest,
    format_timestamp,
    wire_duration_seconds,
)

__all__ = ["Emulator", "EmulatorOptions", "Tenant"]

_UUID = re.compile(UUID_PATTERN)
_LIVE = ("starting", "running")
_UPDATABLE = tuple(UpdateSessionRequest.model_fields)
# Fields a session has (or was created with) that PATCH cannot change.
_IMMUTABLE = (set(Session.model_fields) | set(CreateSessionRequest.model_fields)) - set(_UPDATABLE)
# Sort ranks follow the enums' declaration order in the contract (a database enum sorts so).
_STATUS_RANK = {status.value: rank for rank, status in enumerate(SessionStatus)}
_TYPE_RANK = {value.value: rank for rank, value in enumerate(PlatformType)}
_TECHNOLOGY_RANK = {value.value: rank for rank, value in enumerate(PlatformTechnology)}
_T = TypeVar("_T", bound=BaseModel)
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Tenant:
    """A secret key and the projects it may use."""

    secret_key: str
    project_ids: tuple[str, ...]


@dataclass
class EmulatorOptions:
    """Everything the emulator is started with (the CLI options)."""

    tenants: list[Tenant]
    start_delay: float = assumptions.DEFAULT_START_DELAY_SECONDS
    stop_delay: float = assumptions.DEFAULT_STOP_DELAY_SECONDS
    time_scale: float = 1.0
    seed: int | None = None
    faults: FaultSettings = field(default_factory=FaultSettings)
    state_file: str | None = None
    platforms_file: str | None = None
    tenants_generated: bool = False
    """True when no key or project was given: a state file then keeps the first ones."""


def _is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def _require_uuid(value: str, argument_name: str) -> None:
    if not _is_uuid(value):
        raise invalid_argument(
            argument_name, "format", f"{value!r} is not a UUID (like 6170692e-7363-...)"
        )


def _reason_for(error_type: str) -> str:
    if error_type == "missing":
        return "required"
    if error_type in ("format", "constraint"):
        return error_type
    if error_type in ("extra_forbidden", "too_long", "too_short") or error_type.startswith(
        ("greater_than", "less_than")
    ):
        return "constraint"
    return "format"


def _validate(model: type[_T], body: Any) -> _T:
    """Parse a request body with a wire model; pydantic errors become 400, never 422."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        details = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "body"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            details.append(
                {
                    "argument_name": name,
                    "reason": _reason_for(error["type"]),
                    "help_message": message,
                }
            )
        raise invalid_arguments(details) from exc


def _check_duration(value: str | None, argument_name: str) -> None:
    longest = assumptions.MAX_SESSION_DURATION_SECONDS
    if value is not None and wire_duration_seconds(value) > longest:
        raise invalid_argument(argument_name, "constraint", f"at most {longest}s (7 days)")


def _check_name(name: str | None, *, allow_empty: bool) -> None:
    if name is None:
        return
    if not name and not allow_empty:
        raise invalid_argument("name", "constraint", "a name cannot be empty")
    if len(name) > assumptions.MAX_NAME_LENGTH:
        raise invalid_argument(
            "name", "constraint", f"at most {assumptions.MAX_NAME_LENGTH} characters"
        )


def _check_tags(tags: list[str] | None) -> None:
    if tags is None:
        return
    if len(tags) > assumptions.MAX_TAGS:
        raise invalid_argument("tags", "constraint", f"at most {assumptions.MAX_TAGS} tags")
    for index, tag in enumerate(tags):
        if not tag or len(tag) > assumptions.MAX_TAG_LENGTH:
            raise invalid_argument(
                f"tags.{index}",
                "constraint",
                f"a tag has 1 to {assumptions.MAX_TAG_LENGTH} characters",
            )


_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_argument(name, "format", f"{raw!r} is not an integer") from None
    # The published contract types every integer query parameter `format: int32`.
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise invalid_argument(name, "format", f"{raw!r} is not a 32-bit integer")
    return value


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    page = _int_param(params, "page")
    page_size = _int_param(params, "page_size")
    if page is not None and page < 0:
        raise invalid_argument("page", "constraint", "pages start at 1")
    if page_size is not None and not 0 <= page_size <= assumptions.MAX_PAGE_SIZE:
        raise invalid_argument(
            "page_size", "constraint", f"page_size is between 1 and {assumptions.MAX_PAGE_SIZE}"
        )
    # 0 is protobuf's "unset": page 1, the default size.
    return (page or 1), (page_size or assumptions.DEFAULT_PAGE_SIZE)


def _order(raw: str | None, enum: type[ListSessionsOrderBy] | type[ListPlatformsOrderBy]) -> str:
    value = raw or "name_asc"
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise invalid_argument("order_by", "constraint", f"one of {', '.join(allowed)}")
    return value


def _page(
    items: Sequence[_Item], page: int, page_size: int, *, descending: bool = False
) -> list[_Item]:
    """One page of ``items``, or of ``items`` reversed when ``descending`` (no copy made)."""
    start = (page - 1) * page_size
    if not descending:
        return list(items[start : start + page_size])
    stop = len(items) - start
    if stop <= 0:
        return []
    return list(reversed(items[max(0, stop - page_size) : stop]))


def _session_sort_key(field_name: str) -> Callable[[SessionRecord], Any]:
    # Every key ends with seq, so no two sessions tie: a descending order is exactly the
    # ascending one reversed, and the store can keep one ascending list per field.
    if field_name == "name":
        return lambda r: (r.name, r.seq)
    if field_name == "status":
        return lambda r: (_STATUS_RANK.get(r.status, 0), r.seq)
    if field_name == "created_at":
        return lambda r: (r.created_at, r.seq)
    # started_at: PostgreSQL's default puts NULLs last ascending, first descending.
    return lambda r: (r.started_at is None, r.started_at or r.created_at, r.seq)


def _platform_sort_key(order: str) -> Callable[[Platform], Any]:
    field_name = order.rsplit("_", 1)[0]
    if field_name == "type":
        return lambda p: (_TYPE_RANK.get(p.type.value, 0), p.name)
    if field_name == "technology":
        return lambda p: (_TECHNOLOGY_RANK.get(p.technology.value, 0), p.name)
    if field_name in ("provider_name", "backend_name"):
        return lambda p: (getattr(p, field_name), p.name)
    return lambda p: p.name


class Emulator:
    """The emulated QaaS sessions and platforms API."""

    def __init__(self, options: EmulatorOptions) -> None:
        """Open the state and set everything up from ``options``."""
        if not options.tenants:
            raise ValueError("at least one tenant (secret key and project) is needed")
        self.options = options
        self.store = SessionStore(options.state_file, next_due=next_transition_at)
        stored = self.store.get_meta("tenants")
        if options.tenants_generated and stored:
            # Same keys and projects as the first run on this state file.
            options.tenants = [Tenant(key, tuple(projects)) for key, projects in stored]
        else:
            self.store.set_meta(
                "tenants", [[t.secret_key, list(t.project_ids)] for t in options.tenants]
            )
        self.clock = EmulatedClock(options.time_scale)
        # The clock never goes back, even across a restart on the same state file.
        stored_time = self.store.get_meta("clock_high_water")
        self._high_water: datetime | None = None
        if stored_time:
            self._high_water = datetime.fromisoformat(stored_time)
            self.clock.not_before(self._high_water)
        self.catalogue = (
            Catalogue.from_file(options.platforms_file)
            if options.platforms_file
            else Catalogue.builtin()
        )
        self.tenants: dict[str, frozenset[str]] = {
            tenant.secret_key: frozenset(tenant.project_ids) for tenant in options.tenants
        }
        self.faults = FaultInjector(options.faults, options.seed)
        self.start_delay = options.start_delay
        self.stop_delay = options.stop_delay
        self._counters: Counter[str] = Counter()
        self._counter_lock = threading.Lock()

    # --- time -----------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the emulated time."""
        return self.clock.now()

    def _remember_time(self, moment: datetime) -> None:
        with self.store.lock:
            # Only ever forward: a "now" read before a concurrent advance is older.
            if self._high_water is None or moment > self._high_water:
                self._high_water = moment
                self.store.set_meta("clock_high_water", moment.isoformat())

    def close(self) -> None:
        """Remember the time (a restart continues from it) and close the store."""
        self._remember_time(self.now())
        self.store.close()

    def advance(self, seconds: float) -> datetime:
        """Move the emulated clock forward."""
        moment = self.clock.advance(seconds)
        self._remember_time(moment)
        return moment

    # --- counters -------------------------------------------------------------------

    def count(self, route: str) -> None:
        """Count one request to ``route``."""
        with self._counter_lock:
            self._counters[route] += 1

    def counters(self) -> dict[str, int]:
        """Return requests per route since the last reset."""
        with self._counter_lock:
            return dict(self._counters)

    def reset_counters(self) -> None:
        """Zero every counter."""
        with self._counter_lock:
            self._counters.clear()

    def reset(self) -> None:
        """Back to the start: no session, start-up faults, delays and time scale, zero counters.

        The clock is not rewound: time only moves forward, for clients as for the store.
        """
        with self.store.lock:
            self.store.clear()
        self.faults.configure(self.options.faults)
        self.start_delay = self.options.start_delay
        self.stop_delay = self.options.stop_delay
        if self.clock.time_scale != self.options.time_scale:
            self.clock.set_time_scale(self.options.time_scale)
        self.reset_counters()

    # --- auth -----------------------------------------------------------------------

    def authenticate(self, token: str | None) -> frozenset[str]:
        """Return the projects of a secret key; 401 when the key is missing or unknown."""
        if not token:
            raise denied_authentication(
                "invalid_argument", "denied authentication: missing X-Auth-Token header"
            )
        projects = self.tenants.get(token)
        if projects is None:
            raise denied_authentication("not_found", "denied authentication: unknown secret key")
        return projects

    # --- sessions -------------------------------------------------------------------

    def _settled(self, record: SessionRecord, now: datetime) -> SessionRecord:
        if settle(record, now, self.stop_delay):
            self.store.update(record)
            self._remember_time(now)
        return record

    def _visible(self, projects: frozenset[str], session_id: str) -> SessionRecord:
        _require_uuid(session_id, "session_id")
        record = self.store.get(session_id)
        # Another project's session is as invisible as a missing one.
        if record is None or record.project_id not in projects:
            raise not_found("session", session_id)
        return record

    def list_sessions(
        self, projects: frozenset[str], params: Mapping[str, str], tags: list[str]
    ) -> ListSessionsResponse:
        """``GET /sessions``."""
        project_id = params.get("project_id") or ""
        if not project_id:
            raise invalid_argument("project_id", "required", "project_id is required")
        _require_uuid(project_id, "project_id")
        platform_id = params.get("platform_id") or None
        if platform_id is not None:
            _require_uuid(platform_id, "platform_id")
        page, page_size = _paging(params)
        order = _order(params.get("order_by"), ListSessionsOrderBy)
        if project_id not in projects:
            raise permissions_denied("session", "list")
        field_name, direction = order.rsplit("_", 1)
        with self.store.lock:
            now = self.now()
            # Only sessions with a transition due are settled; the rest are as they are.
            if self.store.settle_due(
                project_id, now, lambda record: settle(record, now, self.stop_delay)
            ):
                self._remember_time(now)
            records = self.store.ordered(project_id, field_name, _session_sort_key(field_name))
            if platform_id is not None:
                records = [r for r in records if r.platform_id == platform_id]
            # One pass per distinct tag: no per-session allocation, unlike set.issubset.
            for tag in dict.fromkeys(tags):
                records = [r for r in records if tag in r.tags]
            chosen = _page(records, page, page_size, descending=direction == "desc")
        # Cached records never change once stored: the page can be rendered without the lock.
        return ListSessionsResponse(total_count=len(records), sessions=[to_wire(r) for r in chosen])

    def create_session(self, projects: frozenset[str], body: Any) -> Session:
        """``POST /sessions``."""
        request = _validate(CreateSessionRequest, body)
        _require_uuid(request.project_id, "project_id")
        _require_uuid(request.platform_id, "platform_id")
        if request.model_id:
            _require_uuid(request.model_id, "model_id")
        _check_name(request.name, allow_empty=True)
        _check_tags(request.tags)
        _check_duration(request.max_duration, "max_duration")
        _check_duration(request.max_idle_duration, "max_idle_duration")
        if len(request.deduplication_id or "") > assumptions.MAX_DEDUPLICATION_ID_LENGTH:
            raise invalid_argument(
                "deduplication_id",
                "constraint",
                f"at most {assumptions.MAX_DEDUPLICATION_ID_LENGTH} characters",
            )
        if len(request.parameters or "") > assumptions.MAX_PARAMETERS_LENGTH:
            raise invalid_argument(
                "parameters",
                "constraint",
                f"at most {assumptions.MAX_PARAMETERS_LENGTH} characters",
            )
        if request.project_id not in projects:
            raise permissions_denied("session", "create")
        platform = self.catalogue.get(request.platform_id)
        if platform is None:
            raise not_found("platform", request.platform_id)
        with self.store.lock:
            now = self.now()
            if request.deduplication_id:
                # Checked before the platform's rules, so a retried create is answered
                # with its session even when the booking window has moved since.
                for record in self.store.with_deduplication_id(
                    request.project_id, request.deduplication_id
                ):
                    if self._settled(record, now).status in _LIVE:
                        return to_wire(record)
            if platform.availability.value == "maintenance":
                raise precondition_failed(
                    f"platform {platform.name} is in maintenance; try another platform",
                )
            record = self._new_record(request, platform, now)
            settle(record, now, self.stop_delay)
            self.store.insert(record)
            self._remember_time(now)
            return to_wire(record)

    def _new_record(
        self, request: CreateSessionRequest, platform: Platform, now: datetime
    ) -> SessionRecord:
        session_id = str(uuid.uuid4())
        start_at = now + timedelta(seconds=self.start_delay)
        booking_id = None
        booking_started_at = booking_finished_at = None
        demand = request.booking_demand
        if demand is not None:
            booking_started_at, booking_finished_at = self._check_booking(request, platform, now)
            start_at = booking_started_at
            booking_id = str(uuid.uuid4())
        default_idle = assumptions.DEFAULT_MAX_IDLE_DURATION
        default_duration = assumptions.DEFAULT_MAX_DURATION
        if booking_started_at is not None and booking_finished_at is not None:
            slot = (booking_finished_at - booking_started_at).total_seconds()
            default_idle = default_duration = f"{format(Decimal(str(slot)).normalize(), 'f')}s"
        record = SessionRecord(
            id=session_id,
            project_id=request.project_id,
            platform_id=platform.id,
            name=request.name or f"{assumptions.GENERATED_NAME_PREFIX}{session_id[:8]}",
            created_at=now,
            updated_at=now,
            max_idle_duration=request.max_idle_duration or default_idle,
            max_duration=request.max_duration or default_duration,
            status="starting",
            start_at=start_at,
            end_floor=now,
            tags=list(request.tags or []),
            deduplication_id=request.deduplication_id or "",
            origin_type="customer",
            booking_id=booking_id,
            model_id=request.model_id,
            parameters=request.parameters,
            booking_started_at=booking_started_at,
            booking_finished_at=booking_finished_at,
            booking_description=demand.description if demand else None,
            booking_time_zone=demand.time_zone if demand else None,
        )
        record.progress_message = starting_message(record, platform.name)
        return record

    def _check_booking(
        self, request: CreateSessionRequest, platform: Platform, now: datetime
    ) -> tuple[datetime, datetime]:
        demand = request.booking_demand
        assert demand is not None
        if not platform.is_bookable:
            raise invalid_argument(
                "booking_demand",
                "constraint",
                f"platform {platform.name} is not bookable; omit booking_demand",
            )
        missing = [
            {
                "argument_name": f"booking_demand.{name}",
                "reason": "required",
                "help_message": f"a booking needs {name}",
            }
            for name in ("started_at", "finished_at")
            if getattr(demand, name) is None
        ]
        if missing:
            raise invalid_arguments(missing)
        assert demand.started_at is not None
        assert demand.finished_at is not None
        started, finished = demand.started_at, demand.finished_at
        if finished <= started:
            raise invalid_argument(
                "booking_demand.finished_at", "constraint", "finished_at must follow started_at"
            )
        rules = platform.booking_requirement or PlatformBookingRequirement()
        length = Decimal(str((finished - started).total_seconds()))
        lead = Decimal(str((started - now).total_seconds()))
        checks = [
            ("booking_demand.finished_at", rules.min_duration, length, "at least", 1),
            ("booking_demand.finished_at", rules.max_duration, length, "at most", -1),
            ("booking_demand.started_at", rules.min_planification_duration, lead, "at least", 1),
            ("booking_demand.started_at", rules.max_planification_duration, lead, "at most", -1),
        ]
        for name, bound, value, words, sign in checks:
            if bound is None:
                continue
            limit = wire_duration_seconds(bound)
            if (value - limit) * sign < 0:
                what = "the booking lasts" if name.endswith("finished_at") else "it starts"
                raise invalid_argument(
                    name,
                    "constraint",
                    f"on {platform.name} {what} {words} {bound} from "
                    + ("its start" if name.endswith("finished_at") else "now"),
                )
        self._check_booking_quota(request.project_id, started, rules)
        return started, finished

    def _check_booking_quota(
        self, project_id: str, started: datetime, rules: PlatformBookingRequirement
    ) -> None:
        booked = [
            r.booking_started_at
            for r in self.store.in_project(project_id)
            if r.booking_started_at is not None
            # A booking cancelled before its slot opened no longer counts.
            and not (r.stop_at is not None and r.stop_at < r.booking_started_at)
        ]
        same_day = sum(1 for moment in booked if moment.date() == started.date())
        week = started.isocalendar()[:2]
        same_week = sum(1 for moment in booked if moment.isocalendar()[:2] == week)
        if rules.max_booking_per_day and same_day >= rules.max_booking_per_day:
            raise quotas_exceeded("bookings_per_day", rules.max_booking_per_day, same_day)
        if rules.max_booking_per_week and same_week >= rules.max_booking_per_week:
            raise quotas_exceeded("bookings_per_week", rules.max_booking_per_week, same_week)

    def get_session(self, projects: frozenset[str], session_id: str) -> Session:
        """``GET /sessions/{id}``."""
        with self.store.lock:
            record = self._visible(projects, session_id)
            return to_wire(self._settled(record, self.now()))

    def update_session(self, projects: frozenset[str], session_id: str, body: Any) -> Session:
        """``PATCH /sessions/{id}``: name, max_idle_duration, max_duration, tags only."""
        _require_uuid(session_id, "session_id")
        if isinstance(body, dict):
            fixed = [
                {
                    "argument_name": name,
                    "reason": "constraint",
                    "help_message": (
                        "this field cannot be updated; only " + ", ".join(_UPDATABLE) + " can"
                        if name in _IMMUTABLE
                        else "unknown field"
                    ),
                }
                for name in body
                if name not in _UPDATABLE
            ]
            if fixed:
                raise invalid_arguments(fixed)
        request = _validate(UpdateSessionRequest, body)
        _check_name(request.name, allow_empty=False)
        _check_tags(request.tags)
        _check_duration(request.max_duration, "max_duration")
        _check_duration(request.max_idle_duration, "max_idle_duration")
        with self.store.lock:
            now = self.now()
            record = self._settled(self._visible(projects, session_id), now)
            if request.name is not None:
                record.name = request.name
            if request.tags is not None:
                record.tags = list(request.tags)
            if request.max_duration is not None:
                record.max_duration = request.max_duration
            if request.max_idle_duration is not None:
                record.max_idle_duration = request.max_idle_duration
            record.updated_at = now
            # A shorter duration ends the session now, never in the past.
            record.end_floor = now
            settle(record, now, self.stop_delay)
            self.store.update(record)
            self._remember_time(now)
            return to_wire(record)

    def terminate_session(self, projects: frozenset[str], session_id: str, body: Any) -> Session:
        """``POST /sessions/{id}/terminate``; harmless on a stopping or stopped session."""
        _require_uuid(session_id, "session_id")
        if body is not None and not isinstance(body, dict):
            raise invalid_argument("body", "format", "the body is a JSON object: {}")
        if body:
            raise invalid_arguments(
                [
                    {"argument_name": name, "reason": "constraint", "help_message": "unknown field"}
                    for name in body
                ]
            )
        with self.store.lock:
            now = self.now()
            record = self._settled(self._visible(projects, session_id), now)
            if record.status in _LIVE:
                self._check_cancellation(record, now)
                begin_stop(record, now, REASON_TERMINATED, self.stop_delay)
                settle(record, now, self.stop_delay)
                self.store.update(record)
                self._remember_time(now)
            return to_wire(record)

    def _check_cancellation(self, record: SessionRecord, now: datetime) -> None:
        """Refuse to cancel a booking whose slot opens within the cancellation window."""
        opens = record.booking_started_at
        if opens is None or record.status != "starting" or now >= opens:
            return
        platform = self.catalogue.get(record.platform_id)
        rules = platform.booking_requirement if platform is not None else None
        if rules is None or rules.max_cancellation_duration is None:
            return
        window = timedelta(seconds=float(wire_duration_seconds(rules.max_cancellation_duration)))
        if now > opens - window:
            raise precondition_failed(
                f"a booking on {platform.name if platform else record.platform_id} can be "
                f"cancelled up to {rules.max_cancellation_duration} before its slot opens "
                f"({format_timestamp(opens)}); terminate it once it runs instead",
            )

    def delete_session(self, projects: frozenset[str], session_id: str) -> None:
        """``DELETE /sessions/{id}``: ends the session if live and removes it (tombstone)."""
        with self.store.lock:
            now = self.now()
            record = self._settled(self._visible(projects, session_id), now)
            if record.status != "stopped":
                self._check_cancellation(record, now)
                begin_stop(record, now, REASON_DELETED, 0)
                settle(record, now, 0)
            record.deleted_at = now
            self.store.update(record)
            self._remember_time(now)

    def raw_sessions(self) -> list[dict[str, Any]]:
        """Every session ever created, settled, tombstones included (the admin dump)."""
        with self.store.lock:
            now = self.now()
            records = self.store.everything()
            for record in records:
                if record.deleted_at is None:
                    self._settled(record, now)
        dumped = []
        for record in records:
            data = record.to_json()
            data["wire"] = to_wire(record).model_dump(mode="json")
            dumped.append(data)
        return dumped

    # --- platforms ------------------------------------------------------------------

    def list_platforms(self, params: Mapping[str, str]) -> ListPlatformsResponse:
        """``GET /platforms``."""
        page, page_size = _paging(params)
        order = _order(params.get("order_by"), ListPlatformsOrderBy)
        platforms = self.catalogue.all()
        for name in ("provider_name", "backend_name", "name"):
            wanted = params.get(name)
            if wanted:
                platforms = [p for p in platforms if getattr(p, name) == wanted]
        for name, enum, attribute in (
            ("platform_type", PlatformType, "type"),
            ("platform_technology", PlatformTechnology, "technology"),
        ):
            wanted = params.get(name)
            if not wanted:
                continue
            allowed = [member.value for member in enum]
            if wanted not in allowed:
                raise invalid_argument(name, "constraint", f"one of {', '.join(allowed)}")
            if wanted != allowed[0]:  # unknown_* is the protobuf default: no filter
                platforms = [p for p in platforms if getattr(p, attribute).value == wanted]
        platforms.sort(key=_platform_sort_key(order), reverse=order.endswith("_desc"))
        return ListPlatformsResponse(
            total_count=len(platforms), platforms=_page(platforms, page, page_size)
        )

    def get_platform(self, platform_id: str) -> Platform:
        """``GET /platforms/{id}``."""
        _require_uuid(platform_id, "platform_id")
        platform = self.catalogue.get(platform_id)
        if platform is None:
            raise not_found("platform", platform_id)
        return platform

    def describe(self) -> dict[str, Any]:
        """Return the admin view of the settings."""
        return {
            "now": format_timestamp(self.now()),
            "time_scale": self.clock.time_scale,
            "start_delay": self.start_delay,
            "stop_delay": self.stop_delay,
            "seed": self.options.seed,
            "state_file": self.options.state_file,
            "platform_count": len(self.catalogue.all()),
        }
