r"""Retry policy, timeouts and the poll schedule: every timing decision of the client.

Nothing else in pulumi-qpu decides when to try again or how long to wait, so this module
is the one place to read (and to tune) them:

* :class:`Timeouts` — per-attempt HTTP timeouts, connect apart from read.
* :class:`RetryPolicy` — which failures are retried, the backoff (exponential with full
  jitter), ``Retry-After`` handling, the attempt bound and the overall deadline.
  :func:`run_with_retries` is the loop that applies it.
* :class:`PollSchedule` — how often :meth:`QaasClient.wait_for_session` polls.

Which failures are retried (``repeatable`` is the caller's statement that sending the
same request twice has the effect of sending it once):

============================================  ==========  ==============
failure                                       repeatable  not repeatable
============================================  ==========  ==============
connect refused / connect timeout (not sent)  retried*    retried*
reset, read timeout, dropped reply (sent)     retried     raised
408, 5xx (except 501)                         retried     raised
429 too_many_requests                         retried     retried
409 transient_state                           retried     raised
any other status                              raised      raised
============================================  ==========  ==============

\* A connection refused (or a name that does not resolve) before the API has ever
answered the client is tried ``first_contact_attempts`` times only: a wrong URL or an
emulator not started is reported at once, not after a minute of retries.

The two "retried" entries under *not repeatable* are safe because the server cannot have
acted on the request: a connection that never opened carried nothing, and a 429 is the
rate limiter refusing the request before it is processed. Everything that might have
reached the server (a reset after sending, a 5xx) is raised for a non-repeatable call, so
a create without ``deduplication_id`` can never make a second session.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from pulumi_qpu.errors import APIError, ConnectionFailedError, QpuError, TransportError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_POLL_SCHEDULE",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUTS",
    "DEFAULT_WAIT_TIMEOUT",
    "DEFAULT_WRITE_TIMEOUT",
    "MIN_POLL_BUDGET",
    "NO_RETRY",
    "PULUMI_RETRY_POLICY",
    "SNAPSHOT_FRESH_SECONDS",
    "SNAPSHOT_MAX_SESSIONS",
    "PollSchedule",
    "RetryPolicy",
    "Timeouts",
    "parse_retry_after",
    "poll_intervals",
    "run_with_retries",
]

logger = logging.getLogger("pulumi_qpu.retry")

T = TypeVar("T")

# --- reading many sessions at once ----------------------------------------------------

SNAPSHOT_FRESH_SECONDS = 5.0
"""How long one listing of a project answers for its sessions (pulumi_qpu/snapshots.py).

A preview or refresh reads every Session of a stack within a few seconds; one listing
serves them all. Five seconds is shorter than any session's life and than the poll of a
wait, and a session changed by this process is read again (``forget``)."""

SNAPSHOT_MAX_SESSIONS = 500
"""Most sessions one listing reads (5 pages of 100): a project with a long history is
not read to its end; an older session is read with a GET."""

# --- timeouts -----------------------------------------------------------------------

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to open a TCP+TLS connection; a healthy API endpoint answers in well under 1 s."""

DEFAULT_READ_TIMEOUT = 30.0
"""Seconds to wait for each chunk of a reply; session calls answer quickly, lists too."""

DEFAULT_WRITE_TIMEOUT = 30.0
"""Seconds to send each chunk of a request body (bodies are a few hundred bytes)."""

DEFAULT_POOL_TIMEOUT = 10.0
"""Seconds to wait for a free connection of the client's pool."""


@dataclass(frozen=True)
class Timeouts:
    """HTTP timeouts of a single attempt, in seconds (see the ``DEFAULT_*`` constants)."""

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT
    write: float = DEFAULT_WRITE_TIMEOUT
    pool: float = DEFAULT_POOL_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"Timeouts.{name} must be a positive number, not {value!r}")

    def clipped(self, remaining: float) -> Timeouts:
        """Return these timeouts, none longer than ``remaining`` (an attempt near the deadline)."""
        limit = max(remaining, 0.001)
        return Timeouts(
            connect=min(self.connect, limit),
            read=min(self.read, limit),
            write=min(self.write, limit),
            pool=min(self.pool, limit),
        )


DEFAULT_TIMEOUTS = Timeouts()
"""The timeouts a client uses unless told otherwise."""

# --- retry policy -------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a failed request again.

    Attributes:
        max_attempts: attempts in all, the first included (1 disables retries).
        initial_backoff: upper bound of the first jittered wait, in seconds.
        max_backoff: upper bound of any jittered wait; the bound doubles per attempt
            up to this.
        max_retry_after: a server's ``Retry-After`` (or ``reset_seconds``) is honoured
            up to this many seconds; a longer ask is cut to this.
        deadline: seconds from the first attempt after which no new attempt starts;
            an attempt's own timeouts are clipped so it ends by then too.
        retry_statuses: statuses retried for repeatable calls (408, 429, 5xx but 501).
        retry_transient_state: retry 409 ``transient_state`` for repeatable calls (the
            resource is ``starting``/``stopping`` and will leave that state by itself).
        never_processed_statuses: statuses that prove the request was refused before
            being processed, so even a non-repeatable call may be retried (429).
        jitter: draw each wait uniformly in ``[0, bound]`` ("full jitter", so clients
            hit by the same outage do not retry in step); False waits the bound itself.
        first_contact_attempts: attempts in all while the API has never answered this
            client and no connection opens (refused, a name that does not resolve):
            a wrong URL or an emulator not started, which waiting does not heal, is
            reported in about a second; once the API has answered, the same failure is
            an outage and gets ``max_attempts``.

    """

    max_attempts: int = 5
    initial_backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 30.0
    deadline: float = 90.0
    retry_statuses: frozenset[int] = field(
        # 501 Not Implemented and 505 HTTP Version Not Supported never heal by waiting.
        default=frozenset({408, 429, *range(500, 600)} - {501, 505})
    )
    retry_transient_state: bool = True
    never_processed_statuses: frozenset[int] = field(default=frozenset({429}))
    jitter: bool = True
    first_contact_attempts: int = 3

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, not {self.max_attempts}")
        for name in ("initial_backoff", "max_backoff", "max_retry_after", "deadline"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"RetryPolicy.{name} must be >= 0, not {value!r}")

    def is_retryable(self, error: QpuError, *, repeatable: bool) -> bool:
        """Whether ``error`` may be retried for a call that is (or is not) repeatable."""
        if isinstance(error, TransportError):
            return repeatable or not error.request_sent
        if not isinstance(error, APIError):
            return False
        if error.status_code in self.never_processed_statuses:
            return True
        if not repeatable:
            return False
        if error.status_code in self.retry_statuses:
            return True
        return (
            self.retry_transient_state
            and error.status_code == 409
            and error.type == "transient_state"
        )

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Wait before attempt ``attempt + 1``, after ``attempt`` failures (no Retry-After)."""
        bound = min(self.max_backoff, self.initial_backoff * 2.0 ** (attempt - 1))
        if not self.jitter:
            return bound
        return (rng or _RANDOM).uniform(0.0, bound)

    def delay(self, error: QpuError, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``error`` on attempt ``attempt`` before the next one."""
        asked = _server_asked_wait(error)
        if asked is not None:
            return min(asked, self.max_retry_after)
        return self.backoff(attempt, rng)


def _server_asked_wait(error: QpuError) -> float | None:
    if not isinstance(error, APIError):
        return None
    if error.retry_after is not None:
        return float(error.retry_after)
    # The 429 body carries the same advice when a proxy strips the header.
    reset = error.fields.get("reset_seconds") if error.type == "too_many_requests" else None
    if isinstance(reset, (int, float)) and not isinstance(reset, bool) and reset >= 0:
        return float(reset)
    return None


DEFAULT_RETRY_POLICY = RetryPolicy()
"""The policy a client uses unless told otherwise: 5 attempts within 90 s."""

PULUMI_RETRY_POLICY = RetryPolicy(max_attempts=10)
"""The policy of the Session provider and the functions: 10 attempts within the same 90 s.

There a call that gives up fails a whole resource step or program, and the engine never
retries one: the user must run ``pulumi up`` again. A bigger budget costs nothing when
the API is well and rides out a burst of faults (at 32 % of requests failing, one call in
~300 gives up after 5 attempts, one in ~90,000 after 10); the deadline still bounds how
long a call can take when the API is down."""

NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries (one attempt)."""

_RANDOM = random.Random()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, in either of its forms.

    ``"120"`` (delay-seconds; a fraction like ``"1.5"`` is accepted too) or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, measured against ``now``, a Unix time that
    defaults to the current one). A date in the past gives 0; garbage gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT by definition
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def run_with_retries(
    attempt: Callable[[float], T],
    *,
    policy: RetryPolicy,
    repeatable: bool,
    first_contact: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call ``attempt(remaining_seconds)`` until it returns, retrying as ``policy`` says.

    ``attempt`` raises :class:`QpuError` subclasses (already mapped from HTTP); any other
    exception propagates at once. ``deadline`` is an absolute ``clock()`` time that
    further bounds the policy's own deadline (a wait passes its own). The last error is
    raised with ``attempts`` set when the policy gives up. ``first_contact``: the API has
    never answered this client (see ``RetryPolicy.first_contact_attempts``).
    """
    limit = clock() + policy.deadline
    if deadline is not None:
        limit = min(limit, deadline)
    number = 1
    while True:
        try:
            return attempt(limit - clock())
        except (APIError, TransportError) as error:
            error.attempts = number
            if number >= policy.max_attempts or not policy.is_retryable(
                error, repeatable=repeatable
            ):
                raise
            never_opened = isinstance(error, ConnectionFailedError) and not error.request_sent
            if first_contact and never_opened and number >= policy.first_contact_attempts:
                raise
            wait = policy.delay(error, number, rng)
            if clock() + wait >= limit:
                # Waiting would cross the deadline: the caller learns now, not later.
                raise
            logger.info(
                "%s %s failed (%s), attempt %d of %d; retrying in %.2fs",
                error.method,
                error.url,
                _summary(error),
                number,
                policy.max_attempts,
                wait,
            )
        sleep(wait)
        number += 1


def _summary(error: QpuError) -> str:
    if isinstance(error, APIError):
        return f"{error.status_code} {error.type}".rstrip()
    return type(error).__name__


# --- poll schedule ------------------------------------------------------------------

DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds :meth:`QaasClient.wait_for_session` waits unless told otherwise."""

MIN_POLL_BUDGET = 2.0
"""Seconds a poll (with its retries) may take even when made at the wait's deadline."""


@dataclass(frozen=True)
class PollSchedule:
    """How long to sleep between polls while waiting for a session.

    The sleep after a poll made ``elapsed`` seconds into the wait is
    ``clamp(growth * elapsed, first, cap)``, and never more than the time left before the
    deadline. Once past the floor this grows geometrically (each sleep is ``growth`` of
    the time waited so far, so the elapsed time grows by ``1 + growth`` per poll), and it
    bounds the overshoot: a session that becomes ready ``d`` seconds into the wait is seen
    at most ``max(first, growth * d)`` (plus one request) later. With the defaults that is
    ≤ 0.25 s for short starts and ≤ 18 % of the start time for long ones, in about 20
    polls for a 10 s start, and never more than one poll per ``cap`` seconds after.
    """

    first: float = 0.15
    growth: float = 0.18
    cap: float = 2.0

    def __post_init__(self) -> None:
        if not (0 < self.first <= self.cap):
            raise ValueError("PollSchedule needs 0 < first <= cap")
        if not (self.growth >= 0 and math.isfinite(self.cap)):
            raise ValueError("PollSchedule needs growth >= 0 and a finite cap")

    def interval(self, elapsed: float) -> float:
        """Sleep after a poll made ``elapsed`` seconds into the wait."""
        return min(self.cap, max(self.first, self.growth * elapsed))

    def next_sleep(self, elapsed: float, remaining: float) -> float:
        """Return the sleep to take now: :meth:`interval`, clipped to ``remaining``."""
        return max(0.0, min(self.interval(elapsed), remaining))


DEFAULT_POLL_SCHEDULE = PollSchedule()
"""The schedule :meth:`QaasClient.wait_for_session` uses unless told otherwise."""


def poll_intervals(
    timeout: float, schedule: PollSchedule = DEFAULT_POLL_SCHEDULE
) -> Iterator[float]:
    """Yield the sleeps of a wait of ``timeout`` seconds, if every poll took no time.

    The last one is clipped so the sum is exactly ``timeout``; used by docs and tests
    to show the schedule, while the wait itself calls :meth:`PollSchedule.next_sleep`
    with the real clock.
    """
    elapsed = 0.0
    while True:
        sleep = schedule.next_sleep(elapsed, timeout - elapsed)
        if sleep <= 1e-9:  # float residue: the deadline is reached
            return
        yield sleep
        elapsed += sleep
