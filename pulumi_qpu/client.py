"""The QaaS client: typed, resilient access to sessions and platforms.

>>> from pulumi_qpu.client import QaasClient
>>> from pulumi_qpu.config import resolve_config
>>> with QaasClient.from_config(resolve_config()) as client:  # doctest: +SKIP
...     platform = client.find_platform("EMU-AER-H100")
...     session = client.create_session(platform_id=platform.id, max_duration="1h")
...     client.wait_for_session(session.id)

One :class:`QaasClient` holds one httpx connection pool and may be shared by threads.
Every reply is parsed into the wire models of :mod:`pulumi_qpu.models`; every failure is
an error of :mod:`pulumi_qpu.errors`; every retry, timeout and poll interval comes from
:mod:`pulumi_qpu.retry`. The client knows nothing of Pulumi.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import logging
import platform as _platform
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from pulumi_qpu._version import __version__
from pulumi_qpu.config import (
    DEFAULT_API_URL,
    ResolvedConfig,
    fix_for,
    validate_api_url,
    validate_project_id,
    validate_secret_key,
)
from pulumi_qpu.durations import DurationInput, to_wire_duration
from pulumi_qpu.errors import (
    APIError,
    ConnectionFailedError,
    InvalidInputError,
    MissingConfigurationError,
    NotFoundError,
    PlatformNotFoundError,
    QpuError,
    RequestTimeoutError,
    SessionEndedError,
    TransportError,
    UnexpectedResponseError,
    WaitError,
    WaitTimeoutError,
    error_class_for,
)
from pulumi_qpu.models import (
    MAX_PAGE_SIZE,
    BookingDemand,
    CreateSessionRequest,
    ListPlatformsOrderBy,
    ListPlatformsResponse,
    ListSessionsOrderBy,
    ListSessionsResponse,
    Platform,
    PlatformTechnology,
    PlatformType,
    Session,
    SessionStatus,
    UpdateSessionRequest,
)
from pulumi_qpu.retry import (
    DEFAULT_POLL_SCHEDULE,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TIMEOUTS,
    DEFAULT_WAIT_TIMEOUT,
    MIN_POLL_BUDGET,
    PollSchedule,
    RetryPolicy,
    Timeouts,
    parse_retry_after,
    run_with_retries,
)
from pulumi_qpu.snapshots import SessionSnapshots

__all__ = ["API_PREFIX", "DEFAULT_PAGE_SIZE", "USER_AGENT", "QaasClient"]

logger = logging.getLogger("pulumi_qpu.client")

API_PREFIX = "/qaas/v1alpha1"
"""Path prefix of every QaaS v1alpha1 endpoint."""

DEFAULT_PAGE_SIZE = 100
"""Items asked per page by the list iterators."""

USER_AGENT = (
    f"pulumi-qpu/{__version__} httpx/{httpx.__version__} "
    f"python/{_platform.python_version()} ({sys.platform})"
)
"""The ``User-Agent`` of every request."""

_M = TypeVar("_M", bound=BaseModel)

# What each status can still become; a wanted status outside it will never be seen.
_REACHABLE: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.STARTING: frozenset(
        {
            SessionStatus.STARTING,
            SessionStatus.RUNNING,
            SessionStatus.STOPPING,
            SessionStatus.STOPPED,
        }
    ),
    SessionStatus.RUNNING: frozenset(
        {SessionStatus.RUNNING, SessionStatus.STOPPING, SessionStatus.STOPPED}
    ),
    SessionStatus.STOPPING: frozenset({SessionStatus.STOPPING, SessionStatus.STOPPED}),
    SessionStatus.STOPPED: frozenset({SessionStatus.STOPPED}),
}
_ENDED = frozenset({SessionStatus.STOPPING, SessionStatus.STOPPED})


class QaasClient:
    """A synchronous, thread-safe client of the QaaS v1alpha1 sessions and platforms API.

    Args:
        secret_key: the API secret key, sent as ``X-Auth-Token`` and never shown.
        api_url: base URL of the API (no path).
        default_project_id: project used by :meth:`create_session` and
            :meth:`list_sessions` when they are given none.
        timeouts: per-attempt HTTP timeouts (:data:`~pulumi_qpu.retry.DEFAULT_TIMEOUTS`).
        retry: the retry policy (:data:`~pulumi_qpu.retry.DEFAULT_RETRY_POLICY`).
        transport: an httpx transport to send through (tests use ``MockTransport``).
        poll_schedule: how :meth:`wait_for_session` polls.
        sleep: the function that sleeps (tests inject one that advances a fake clock).
        clock: a monotonic clock in seconds, paired with ``sleep``.
        config_sources: where each setting came from, used in error hints
            (:meth:`from_config` fills it).

    """

    def __init__(
        self,
        *,
        secret_key: str,
        api_url: str = DEFAULT_API_URL,
        default_project_id: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        poll_schedule: PollSchedule | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        config_sources: Mapping[str, str] | None = None,
    ) -> None:
        sources = dict(config_sources or {})
        if not secret_key or not secret_key.strip():
            raise MissingConfigurationError(
                "secret_key",
                [sources.get("secret_key", "argument secret_key")],
                "pass secret_key=, or build the client with "
                "QaasClient.from_config(resolve_config()) to read SCW_SECRET_KEY and "
                "the scw config file",
            )
        self._secret_key = validate_secret_key(
            secret_key, sources.get("secret_key", "argument secret_key")
        )
        # Whether the API ever answered this client (retry.RetryPolicy.first_contact_attempts).
        self._answered = False
        self.api_url = validate_api_url(api_url, sources.get("api_url", "argument api_url"))
        self.default_project_id = (
            validate_project_id(
                default_project_id, sources.get("project_id", "argument default_project_id")
            )
            if default_project_id
            else None
        )
        self.timeouts = timeouts or DEFAULT_TIMEOUTS
        self.retry = retry or DEFAULT_RETRY_POLICY
        self.poll_schedule = poll_schedule or DEFAULT_POLL_SCHEDULE
        # An attempt with at least this much time left uses the timeouts unclipped.
        self._longest_timeout = max(
            self.timeouts.connect, self.timeouts.read, self.timeouts.write, self.timeouts.pool
        )
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._sources = sources
        # Server's clock minus ours, in seconds, from the last reply's Date (None: none
        # seen yet). One float, replaced whole, so threads need no lock for it.
        self._server_offset: float | None = None
        # Recent listings of projects, to read many sessions at once (read_session).
        self._snapshots = SessionSnapshots(
            list_project=lambda project: self.list_sessions(
                project_id=project,
                order_by=ListSessionsOrderBy.CREATED_AT_DESC,
                page_size=MAX_PAGE_SIZE,
            ),
            get_one=self.get_session,
            clock=self._clock,
        )
        self._http = httpx.Client(
            base_url=self.api_url,
            headers={
                "X-Auth-Token": self._secret_key,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=_httpx_timeout(self.timeouts),
            transport=transport,
            # A redirect to another host would carry the secret key along.
            follow_redirects=False,
        )

    @classmethod
    def from_config(cls, config: ResolvedConfig, **kwargs: Any) -> QaasClient:
        """Build a client from :func:`~pulumi_qpu.config.resolve_config`'s result.

        ``kwargs`` are passed to the constructor (``timeouts``, ``retry``, ...).
        """
        return cls(
            secret_key=config.secret_key,
            api_url=config.api_url,
            default_project_id=config.project_id,
            config_sources=config.sources,
            **kwargs,
        )

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> QaasClient:
        """Return the client itself; it is closed when the block ends."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        self.close()

    def __repr__(self) -> str:
        """Show the URL and project; the secret key shows as ``<hidden>``."""
        return (
            f"QaasClient(api_url={self.api_url!r}, "
            f"default_project_id={self.default_project_id!r}, secret_key=<hidden>)"
        )

    def __reduce__(self) -> Any:
        """Refuse to pickle: the state holds the secret key and an open connection pool."""
        raise TypeError(
            "QaasClient cannot be pickled (it holds the secret key and open connections); "
            "build one where it is used"
        )

    # --- sessions -----------------------------------------------------------------

    def create_session(
        self,
        *,
        platform_id: str,
        project_id: str | None = None,
        name: str | None = None,
        max_idle_duration: DurationInput | None = None,
        max_duration: DurationInput | None = None,
        tags: Sequence[str] | None = None,
        deduplication_id: str | None = None,
        booking_demand: BookingDemand | None = None,
        model_id: str | None = None,
        parameters: str | None = None,
    ) -> Session:
        """Create a session on a platform and return it (usually ``starting``).

        Retried on transient failures only when ``deduplication_id`` is set: the API
        then returns the live session with that id instead of making a second one, so a
        retry after a lost reply is safe. Without it, a failure that may have reached
        the server is raised at once (see :mod:`pulumi_qpu.retry`).
        Durations take any form :func:`~pulumi_qpu.durations.to_wire_duration` knows.
        """
        project = project_id or self.default_project_id
        if project is None:
            default_source = self._sources.get("project_id", "not set when the client was built")
            raise MissingConfigurationError(
                "project_id",
                ["argument project_id", f"client default_project_id ({default_source})"],
                "pass project_id=, or set SCW_DEFAULT_PROJECT_ID / qpu:projectId / "
                "default_project_id in the scw config file",
            )
        body = _request_body(
            CreateSessionRequest,
            project_id=validate_project_id(project, "argument project_id"),
            platform_id=_require_id("platform_id", platform_id),
            name=name,
            max_idle_duration=_duration(max_idle_duration),
            max_duration=_duration(max_duration),
            tags=_tags(tags),
            deduplication_id=deduplication_id or None,
            booking_demand=booking_demand,
            model_id=model_id,
            parameters=parameters,
        )
        data = self._send(
            "POST", f"{API_PREFIX}/sessions", json=body, repeatable=bool(deduplication_id)
        )
        return self._parse(Session, data, "POST", f"{API_PREFIX}/sessions")

    def get_session(self, session_id: str) -> Session:
        """Return the session with this id (:class:`NotFoundError` if there is none)."""
        return self._get_session(session_id, deadline=None)

    def read_session(self, session_id: str, *, project_id: str | None) -> Session:
        """Return the session as :meth:`get_session` does, from a recent listing if one has it.

        Reading the many Sessions of a stack one after the other (a preview, a refresh),
        the first read lists ``project_id`` and the next ones within a few seconds are
        answered from that listing (pulumi_qpu/snapshots.py): about one request per
        hundred sessions instead of one each. A session this client changed since is
        read again.
        """
        return self._snapshots.get(session_id, project_id)

    def update_session(
        self,
        session_id: str,
        *,
        name: str | None = None,
        max_idle_duration: DurationInput | None = None,
        max_duration: DurationInput | None = None,
        tags: Sequence[str] | None = None,
    ) -> Session:
        """Change a session's name, durations or tags; None leaves a field unchanged.

        ``tags=[]`` clears the tags. With nothing to change no PATCH is sent and the
        current session is returned.
        """
        body = _request_body(
            UpdateSessionRequest,
            name=name,
            max_idle_duration=_duration(max_idle_duration),
            max_duration=_duration(max_duration),
            tags=_tags(tags),
        )
        if not body:
            return self.get_session(session_id)
        path = _session_path(session_id)
        self._snapshots.forget(session_id)
        data = self._send("PATCH", path, json=body, repeatable=True)
        return self._parse(Session, data, "PATCH", path)

    def terminate_session(self, session_id: str) -> Session:
        """Ask a session to stop; returns it (usually ``stopping``). It cannot restart."""
        path = f"{_session_path(session_id)}/terminate"
        self._snapshots.forget(session_id)
        data = self._send("POST", path, json={}, repeatable=True)
        return self._parse(Session, data, "POST", path)

    def delete_session(self, session_id: str) -> None:
        """Delete a session with its jobs and bookings.

        A 404 on a *retry* counts as success: the first attempt may have deleted the
        session before its reply was lost (reset, timeout, 5xx after the commit), and a
        second DELETE then finds nothing. The outcome the caller asked for — no such
        session — holds either way. A 404 on the first attempt is raised as
        :class:`NotFoundError`.
        """
        self._snapshots.forget(session_id)
        self._send("DELETE", _session_path(session_id), repeatable=True, gone_ok_on_retry=True)

    def list_sessions(
        self,
        *,
        project_id: str | None = None,
        platform_id: str | None = None,
        tags: Sequence[str] | None = None,
        order_by: ListSessionsOrderBy | str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Session]:
        """Iterate lazily over every matching session, fetching one page at a time.

        ``project_id`` defaults to the client's default project. ``tags`` filters on
        sessions carrying the tags. Paging follows ``total_count`` and stops at an empty
        page, so a server that caps ``page_size`` is still read to the end.
        """
        project = project_id or self.default_project_id
        params: dict[str, Any] = {
            "project_id": validate_project_id(project, "argument project_id") if project else None,
            "platform_id": platform_id or None,
            "tags": _tags(tags),
            "order_by": _order_by(ListSessionsOrderBy, order_by),
        }
        return self._paginate(
            f"{API_PREFIX}/sessions",
            params,
            page_size,
            lambda data, path: self._parse(ListSessionsResponse, data, "GET", path).sessions,
        )

    def wait_for_session(
        self,
        session_id: str,
        *,
        until: Callable[[Session], bool] | Collection[SessionStatus] = frozenset(
            {SessionStatus.RUNNING}
        ),
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_change: Callable[[Session], None] | None = None,
    ) -> Session:
        """Poll a session until ``until`` holds, and return it.

        Args:
            session_id: the session to watch.
            until: the wanted statuses, or a predicate on the session.
            timeout: seconds to wait in all; the last sleep is cut so the final poll
                happens at the deadline, not after it.
            on_change: called with the session the first time it is seen and each time
                its status or ``progress_message`` changes (not on every poll).

        The first poll is immediate, then the sleeps follow the client's
        :class:`~pulumi_qpu.retry.PollSchedule` (0.15 s growing to 2 s by default).

        Each poll is one call with the client's retries. A poll that still fails with an
        error the retry policy calls transient (no connection, a 5xx, a 429...) does not
        end the wait: polling goes on, on the same schedule, until the wait's own
        deadline, so an API outage shorter than ``timeout`` is ridden out. Any other
        error (401, 403, ...) ends the wait at once.

        Raises:
            SessionEndedError: the session stopped, is stopping, or was deleted, so the
                wanted state can no longer come.
            WaitTimeoutError: the timeout passed first; the message carries the last
                status and progress message.
            TransportError, APIError: the API could not be read until the deadline;
                the last poll's error, whose message says for how long the API was
                unreachable and the last status seen.

        """
        predicate, wanted = _until(until)
        start = self._clock()
        deadline = start + timeout
        last_change: tuple[SessionStatus, str | None] | None = None
        unreachable_since: float | None = None  # when the polls began to fail
        failed_polls = 0
        while True:
            now = self._clock()
            try:
                # A poll at the deadline still gets a little time to be answered.
                session = self._get_session(
                    session_id, deadline=max(deadline, now + MIN_POLL_BUDGET)
                )
            except NotFoundError:
                if last_change is None:
                    # Never seen: a wrong id far more often than a delete in the gap.
                    raise SessionEndedError(
                        f"session {session_id} does not exist (404 not_found on the first "
                        f"poll, waiting for {_describe(wanted)}): check the id",
                        session_id=session_id,
                        last_status=None,
                    ) from None
                raise SessionEndedError(
                    f"session {session_id} was deleted while waiting for {_describe(wanted)}",
                    session_id=session_id,
                    last_status=last_change[0].value,
                ) from None
            except (APIError, TransportError) as error:
                if not self.retry.is_retryable(error, repeatable=True):
                    raise
                if unreachable_since is None:
                    unreachable_since = now
                failed_polls += 1
                now = self._clock()
                remaining = deadline - now
                if remaining <= 0:
                    # Same class and fields as the last failure, so callers catching
                    # TransportError or ServerError still do; the text says the whole story.
                    last = last_change[0].value if last_change else None
                    error.args = (
                        f"the API could not be read for {now - unreachable_since:.1f}s "
                        f"({failed_polls} poll{'s' if failed_polls != 1 else ''} in a row "
                        f"failed), until the {timeout:g}s wait for session {session_id} to "
                        f"be {_describe(wanted)} ran out (last status seen: "
                        f"{last or 'none'}); the last poll: {error}",
                    )
                    raise error from None
                logger.info(
                    "session %s: a poll failed after its retries (%s); polling on for "
                    "%.1fs more, until the wait's deadline",
                    session_id,
                    type(error).__name__,
                    remaining,
                )
                self._sleep(self.poll_schedule.next_sleep(now - start, remaining))
                continue
            unreachable_since, failed_polls = None, 0
            change = (session.status, session.progress_message)
            if change != last_change:
                last_change = change
                if on_change is not None:
                    on_change(session)
            if predicate(session):
                return session
            _raise_if_unreachable(session, wanted)
            now = self._clock()
            remaining = deadline - now
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"session {session_id} is still {session.status.value}"
                    f"{_progress(session)} after {timeout:g}s waiting for {_describe(wanted)}",
                    session_id=session_id,
                    last_status=session.status.value,
                )
            self._sleep(self.poll_schedule.next_sleep(now - start, remaining))

    # --- platforms ----------------------------------------------------------------

    def list_platforms(
        self,
        *,
        provider_name: str | None = None,
        backend_name: str | None = None,
        name: str | None = None,
        platform_type: PlatformType | str | None = None,
        platform_technology: PlatformTechnology | str | None = None,
        order_by: ListPlatformsOrderBy | str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Platform]:
        """Iterate lazily over every platform matching the filters."""
        params: dict[str, Any] = {
            "provider_name": provider_name or None,
            "backend_name": backend_name or None,
            "name": name or None,
            "platform_type": _enum_value(PlatformType, "platform_type", platform_type),
            "platform_technology": _enum_value(
                PlatformTechnology, "platform_technology", platform_technology
            ),
            "order_by": _order_by(ListPlatformsOrderBy, order_by),
        }
        return self._paginate(
            f"{API_PREFIX}/platforms",
            params,
            page_size,
            lambda data, path: self._parse(ListPlatformsResponse, data, "GET", path).platforms,
        )

    def get_platform(self, platform_id: str) -> Platform:
        """Return the platform with this id (:class:`NotFoundError` if there is none)."""
        path = f"{API_PREFIX}/platforms/{quote(_require_id('platform_id', platform_id), safe='')}"
        return self._parse(Platform, self._send("GET", path, repeatable=True), "GET", path)

    def find_platform(self, name: str) -> Platform:
        """Return the platform named ``name`` (exactly, else ignoring case).

        Raises :class:`~pulumi_qpu.errors.PlatformNotFoundError` listing the closest
        existing names when none matches.
        """
        platforms = list(self.list_platforms())
        for candidate in platforms:
            if candidate.name == name:
                return candidate
        folded = [p for p in platforms if p.name.casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
        by_folded = {p.name.casefold(): p.name for p in platforms}
        closest = difflib.get_close_matches(name.casefold(), list(by_folded), n=5, cutoff=0.4)
        raise PlatformNotFoundError(
            name,
            [by_folded[c] for c in closest],
            listed=len(platforms),
            method="GET",
            url=f"{self.api_url}{API_PREFIX}/platforms",
        )

    # --- plumbing -----------------------------------------------------------------

    def _get_session(self, session_id: str, *, deadline: float | None) -> Session:
        path = _session_path(session_id)
        data = self._send("GET", path, repeatable=True, deadline=deadline)
        return self._parse(Session, data, "GET", path)

    def _paginate(
        self,
        path: str,
        params: dict[str, Any],
        page_size: int | None,
        items_of: Callable[[Any, str], Sequence[_M]],
    ) -> Iterator[_M]:
        size = DEFAULT_PAGE_SIZE if page_size is None else page_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidInputError("page_size", f"{page_size!r} is not a positive integer")
        query = {key: value for key, value in params.items() if value is not None}

        def pages() -> Iterator[_M]:
            page, seen = 1, 0
            while True:
                data = self._send(
                    "GET", path, params={**query, "page": page, "page_size": size}, repeatable=True
                )
                total = data.get("total_count") if isinstance(data, dict) else None
                items = items_of(data, path)
                yield from items
                seen += len(items)
                if not items or not isinstance(total, int) or seen >= total:
                    return
                page += 1

        # A generator function would defer the argument checks above to the first next().
        return pages()

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        repeatable: bool,
        deadline: float | None = None,
        gone_ok_on_retry: bool = False,
    ) -> Any:
        """Send one call with retries; return the decoded JSON body (None if empty)."""
        attempts = 0

        def attempt(remaining: float) -> Any:
            nonlocal attempts
            attempts += 1
            error: QpuError
            try:
                response = self._http.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    # Clipped only near the deadline; building timeouts costs per request.
                    timeout=(
                        httpx.USE_CLIENT_DEFAULT
                        if remaining >= self._longest_timeout
                        else _httpx_timeout(self.timeouts.clipped(remaining))
                    ),
                )
            except httpx.TimeoutException as exc:
                error = RequestTimeoutError(
                    f"{_timeout_phase(exc)} timed out",
                    method=method,
                    url=self._url_of(exc, path, params),
                    request_sent=not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)),
                )
            except httpx.RequestError as exc:
                error = ConnectionFailedError(
                    f"{type(exc).__name__}: {_scrub(str(exc), self._secret_key) or 'no detail'}",
                    method=method,
                    url=self._url_of(exc, path, params),
                    request_sent=not isinstance(exc, httpx.ConnectError),
                )
            else:
                self._answered = True  # the API is there: later failures are outages
                if response.is_success:
                    self._note_server_time(response)
                    return self._decode(response, method)
                if gone_ok_on_retry and attempts > 1 and response.status_code == 404:
                    logger.info(
                        "%s %s: 404 on retry, an earlier attempt already did it",
                        method,
                        response.request.url,
                    )
                    return None
                error = self._api_error(response, method)
            # Raised outside the except blocks, so no httpx exception (whose request holds
            # the X-Auth-Token header) is chained to what the caller sees.
            raise error

        started = self._clock()
        try:
            return run_with_retries(
                attempt,
                policy=self.retry,
                repeatable=repeatable,
                first_contact=not self._answered,
                sleep=self._sleep,
                clock=self._clock,
                deadline=deadline,
            )
        except TransportError as error:
            failure = error
        # The last attempt's error alone ("Connection refused") hides the retries already
        # made and where the URL came from: say both, once, at give-up. Raised outside the
        # except block, so nothing is chained to it.
        raise self._unreachable(failure, self._clock() - started)

    def _unreachable(self, error: TransportError, elapsed: float) -> TransportError:
        """``error`` with what a user needs to act: attempts, time, URL source, emulator."""
        attempts = f"{error.attempts} attempt{'s' if error.attempts != 1 else ''}"
        source = self._sources.get("api_url", "argument api_url")
        state = "did not answer" if isinstance(error, RequestTimeoutError) else "is unreachable"
        text = (
            f"the API at {self.api_url} (URL from {_source_words(source)}) {state}: "
            f"{str(error).removeprefix(f'{error.method} {error.url}: ')}; gave up after "
            f"{attempts} over {elapsed:.1f}s."
        )
        url = httpx.URL(self.api_url)
        if isinstance(error, ConnectionFailedError) and not error.request_sent:
            if _is_loopback(url.host):
                port = url.port or (443 if url.scheme == "https" else 80)
                # Exported SCW_* lines do nothing where stack config sets the URL: it
                # outranks the environment.
                then = (
                    ""
                    if source.startswith("stack config")
                    else " and export the SCW_* lines it prints"
                )
                text += (
                    f" Nothing is listening on {url.host}:{port}: if that is the pulumi-qpu "
                    f"emulator, it is not running. Start it with `qpu-emulator --port {port}`"
                    f"{then} (docs/emulator.md)."
                )
            else:
                text += " Check the URL and that this machine can reach it (proxy, firewall)."
        enriched = type(error)(
            text, method=error.method, url=error.url, request_sent=error.request_sent
        )
        enriched.attempts = error.attempts
        return enriched

    def server_now(self) -> datetime:
        """Return the API's current time, as its last reply's ``Date`` header tells it.

        Sessions end by the API's clock (``started_at + max_duration``), which need not
        agree with this machine's. ``Date`` has whole seconds, so this may be up to a
        second early; before any reply it is this machine's time.
        """
        offset = self._server_offset or 0.0
        return datetime.now(timezone.utc) + timedelta(seconds=offset)

    def _note_server_time(self, response: httpx.Response) -> None:
        date = response.headers.get("date")
        if not date:
            return
        try:
            server = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return  # a malformed Date is no reason to fail a call that succeeded
        if server.tzinfo is None:
            return
        self._server_offset = (server - datetime.now(timezone.utc)).total_seconds()

    def _url_of(self, exc: httpx.RequestError, path: str, params: Mapping[str, Any] | None) -> str:
        try:
            return str(exc.request.url)
        except RuntimeError:  # an exception raised before httpx built the request
            return str(httpx.URL(f"{self.api_url}{path}", params=params))

    def _decode(self, response: httpx.Response, method: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UnexpectedResponseError(
                f"the reply is not JSON: {_preview(response, self._secret_key)}",
                status_code=response.status_code,
                method=method,
                url=str(response.request.url),
            ) from None

    def _parse(self, model: type[_M], data: Any, method: str, path: str) -> _M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in exc.errors()[:5]
            )
            raise UnexpectedResponseError(
                f"the reply is not a valid {model.__name__}: {problems}",
                status_code=200,
                method=method,
                url=f"{self.api_url}{path}",
            ) from None

    def _api_error(self, response: httpx.Response, method: str) -> APIError:
        status = response.status_code
        url = str(response.request.url)
        try:
            data = response.json()
        except ValueError:
            data = None
        error_type, message, fields = "", "", {}
        if isinstance(data, dict):
            raw_type = data.get("type")
            error_type = raw_type if isinstance(raw_type, str) else ""
            message = str(data.get("message") or "")
            fields = {k: v for k, v in data.items() if k not in ("type", "message")}
        cls = error_class_for(status, error_type)
        if not isinstance(data, dict) or not error_type:
            # Not the API's error shape (a proxy's HTML page, a cut body): keep the status
            # meaning when it has one, and show what came back.
            if cls is APIError:
                cls = UnexpectedResponseError
            message = message or f"{response.reason_phrase or 'error'}; body: " + _preview(
                response, self._secret_key
            )
        return cls(
            _scrub(message, self._secret_key),
            status_code=status,
            type=error_type,
            fields=_scrub_fields(fields, self._secret_key),
            method=method,
            url=url,
            hint=self._hint(status, error_type, _request_project(response.request)),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _hint(self, status: int, error_type: str, project_id: str | None) -> str:
        key_source = self._sources.get("secret_key", "argument secret_key")
        if status == 401:
            return (
                f"the secret key from {key_source} was refused: check it is the secret key "
                "(not the access key) of an API key that still exists, e.g. with "
                f"`scw iam api-key get <access key>`, and {fix_for('secret_key', key_source)}"
            )
        if status == 403 and error_type == "quotas_exceeded":
            return "a quota is used up: delete unused sessions or ask for a higher quota"
        if status == 403:
            # The project the request named, not the client's default: a Session may
            # declare another project than the configured one.
            project = project_id or self.default_project_id or "the target project"
            return (
                f"the API key from {key_source} may not do this on {project}: give its IAM "
                "user or application a policy with the QaaS permission set on that project, "
                "or use a key of the organization that owns the project"
            )
        return ""


# --- helpers ----------------------------------------------------------------------


def _request_project(request: httpx.Request) -> str | None:
    """Return the project a request named (``project_id`` in its query or JSON body)."""
    project: str | None = request.url.params.get("project_id")
    if project:
        return project
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        return None
    value = body.get("project_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _source_words(source: str) -> str:
    return (
        "the default; set SCW_API_URL or qpu:apiUrl to change it" if source == "default" else source
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def _httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    return httpx.Timeout(
        connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
    )


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    phases: list[tuple[type[httpx.TimeoutException], str]] = [
        (httpx.ConnectTimeout, "connecting"),
        (httpx.ReadTimeout, "reading the reply"),
        (httpx.WriteTimeout, "sending the request"),
        (httpx.PoolTimeout, "waiting for a free connection"),
    ]
    return next((label for cls, label in phases if isinstance(exc, cls)), "the request")


def _scrub(text: str, secret: str) -> str:
    # Belt and braces: a server or proxy echoing the token must not put it in an error.
    return text.replace(secret, "<hidden>") if secret and secret in text else text


def _scrub_fields(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return _scrub(value, secret)
    if isinstance(value, dict):
        return {k: _scrub_fields(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_fields(v, secret) for v in value]
    return value


def _preview(response: httpx.Response, secret: str, limit: int = 200) -> str:
    kind = response.headers.get("Content-Type", "no content type")
    text = " ".join(response.text.split())
    shown = text if len(text) <= limit else text[:limit] + "..."
    return _scrub(f"({kind}, {len(response.content)} bytes) {shown!r}", secret)


def _session_path(session_id: str) -> str:
    # Quoted whole, so an id like "../platforms" cannot reach another endpoint.
    return f"{API_PREFIX}/sessions/{quote(_require_id('session_id', session_id), safe='')}"


def _require_id(argument: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(argument, f"{value!r} is not a non-empty id")
    return value.strip()


def _duration(value: DurationInput | None) -> str | None:
    return None if value is None else to_wire_duration(value)


def _tags(tags: Sequence[str] | None) -> list[str] | None:
    if tags is None:
        return None
    if isinstance(tags, str):
        # A str is a Sequence[str]; "prod" must not become ["p", "r", "o", "d"].
        raise InvalidInputError("tags", f"{tags!r} is a string; pass a list like [{tags!r}]")
    return [str(tag) for tag in tags]


def _order_by(enum: type[ListSessionsOrderBy] | type[ListPlatformsOrderBy], value: Any) -> Any:
    if value is None:
        return None
    try:
        return enum(value).value
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidInputError("order_by", f"{value!r} is not one of {choices}") from None


def _enum_value(
    enum: type[PlatformType] | type[PlatformTechnology], argument: str, value: Any
) -> Any:
    if value is None:
        return None
    known = {member.value for member in enum}
    text = value.value if isinstance(value, enum) else str(value)
    if text not in known:
        raise InvalidInputError(argument, f"{value!r} is not one of {', '.join(sorted(known))}")
    return text


def _request_body(model: type[BaseModel], **fields: Any) -> dict[str, Any]:
    try:
        request = model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise InvalidInputError(where, first["msg"]) from None
    body: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return body


def _until(
    until: Callable[[Session], bool] | Collection[SessionStatus],
) -> tuple[Callable[[Session], bool], frozenset[SessionStatus] | None]:
    if callable(until):
        return until, None
    if isinstance(until, (str, SessionStatus)):
        until = [until]  # type: ignore[list-item]
    wanted: set[SessionStatus] = set()
    for item in until:
        known = {member.value for member in SessionStatus}
        text = item.value if isinstance(item, SessionStatus) else str(item)
        if text not in known:
            raise InvalidInputError(
                "until", f"{item!r} is not a session status ({', '.join(sorted(known))})"
            )
        wanted.add(SessionStatus(text))
    if not wanted:
        raise InvalidInputError("until", "no status given")
    frozen = frozenset(wanted)
    return (lambda session: session.status in frozen), frozen


def _raise_if_unreachable(session: Session, wanted: frozenset[SessionStatus] | None) -> None:
    if wanted is None:
        # A predicate: only a stopped session is surely final.
        if session.status is SessionStatus.STOPPED:
            raise SessionEndedError(
                f"session {session.id} stopped{_progress(session)} before the wait's "
                "condition held",
                session_id=session.id,
                last_status=session.status.value,
            )
        return
    reachable = _REACHABLE.get(session.status)
    if reachable is None or reachable & wanted:
        return
    message = (
        f"session {session.id} is {session.status.value}{_progress(session)} and can no "
        f"longer become {_describe(wanted)}"
    )
    cls = SessionEndedError if session.status in _ENDED else WaitError
    raise cls(message, session_id=session.id, last_status=session.status.value)


def _describe(wanted: frozenset[SessionStatus] | None) -> str:
    if wanted is None:
        return "the wait's condition"
    return " or ".join(sorted(status.value for status in wanted))


def _progress(session: Session) -> str:
    return f" ({session.progress_message})" if session.progress_message else ""
