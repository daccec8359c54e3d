"""The retry policy, Retry-After parsing, the retry loop and the poll schedule."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from pulumi_qpu.errors import (
    APIError,
    ConnectionFailedError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
    TooManyRequestsError,
    TransientStateError,
)
from pulumi_qpu.retry import (
    DEFAULT_POLL_SCHEDULE,
    DEFAULT_RETRY_POLICY,
    PollSchedule,
    RetryPolicy,
    Timeouts,
    parse_retry_after,
    poll_intervals,
    run_with_retries,
)
from tests.client.conftest import FakeTime


def api_error(status: int, type: str = "", **fields: object) -> APIError:
    return APIError("x", status_code=status, type=type, fields=dict(fields))


# --- what is retried ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "repeatable", "retried"),
    [
        (ConnectionFailedError("x", method="GET", url="u", request_sent=False), False, True),
        (RequestTimeoutError("x", method="GET", url="u", request_sent=False), False, True),
        (ConnectionFailedError("x", method="POST", url="u", request_sent=True), False, False),
        (ConnectionFailedError("x", method="POST", url="u", request_sent=True), True, True),
        (RequestTimeoutError("x", method="GET", url="u"), True, True),
        (api_error(408), True, True),
        (api_error(429, "too_many_requests"), True, True),
        (api_error(429, "too_many_requests"), False, True),
        (api_error(500), True, True),
        (api_error(503), True, True),
        (api_error(503), False, False),
        (api_error(501), True, False),
        (api_error(409, "transient_state"), True, True),
        (api_error(409, "transient_state"), False, False),
        (api_error(409, "conflict"), True, False),
        (api_error(400, "invalid_arguments"), True, False),
        (api_error(404, "not_found"), True, False),
    ],
)
def test_which_failures_are_retried(error: APIError, repeatable: bool, retried: bool) -> None:
    assert DEFAULT_RETRY_POLICY.is_retryable(error, repeatable=repeatable) is retried


# --- how long to wait ---------------------------------------------------------------


def test_backoff_is_full_jitter_under_a_doubling_bound() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=3.0)
    rng = random.Random(7)
    for attempt, bound in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in draws)
        assert max(draws) > bound * 0.9  # the whole range is used, not a fixed step


def test_backoff_without_jitter_is_the_bound() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=3.0, jitter=False)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]


def test_retry_after_header_beats_backoff() -> None:
    error = api_error(503)
    error.retry_after = 7.0
    assert DEFAULT_RETRY_POLICY.delay(error, 1) == 7.0


def test_retry_after_is_capped() -> None:
    error = api_error(503)
    error.retry_after = 3600.0
    assert RetryPolicy(max_retry_after=20.0).delay(error, 1) == 20.0


def test_reset_seconds_of_a_429_body_is_used_without_the_header() -> None:
    error = TooManyRequestsError(
        "slow down", status_code=429, type="too_many_requests", fields={"reset_seconds": 4}
    )
    assert DEFAULT_RETRY_POLICY.delay(error, 1) == 4.0


@pytest.mark.parametrize(
    ("header", "seconds"), [("120", 120.0), ("1.5", 1.5), ("0", 0.0), (" 3 ", 3.0)]
)
def test_retry_after_in_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    header = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 30.0


def test_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "nan", "Wed, 99 Foo 2015"])
def test_unusable_retry_after_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header) is None


# --- the loop -----------------------------------------------------------------------


def failing(
    errors: list[Exception], result: str = "ok"
) -> tuple[list[float], Callable[[float], str]]:
    remaining_seen: list[float] = []

    def attempt(remaining: float) -> str:
        remaining_seen.append(remaining)
        if errors:
            raise errors.pop(0)
        return result

    return remaining_seen, attempt


def run(
    attempt: Callable[[float], str], time: FakeTime, policy: RetryPolicy = DEFAULT_RETRY_POLICY
) -> str:
    return run_with_retries(
        attempt, policy=policy, repeatable=True, sleep=time.sleep, clock=time.clock
    )


def test_loop_retries_until_success() -> None:
    time = FakeTime()
    _, attempt = failing([api_error(503), api_error(502)])
    result = run(attempt, time)
    assert (result, len(time.sleeps)) == ("ok", 2)


def test_loop_gives_up_after_max_attempts_and_says_how_many() -> None:
    time = FakeTime()
    _, attempt = failing([ServerError("x", status_code=503) for _ in range(10)])
    with pytest.raises(ServerError) as info:
        run(attempt, time, RetryPolicy(max_attempts=3))
    assert info.value.attempts == 3


def test_loop_does_not_retry_what_is_not_retryable() -> None:
    time = FakeTime()
    _, attempt = failing([NotFoundError("x", status_code=404, type="not_found")])
    with pytest.raises(NotFoundError):
        run(attempt, time)
    assert time.sleeps == []


def test_loop_stops_before_a_wait_that_would_cross_the_deadline() -> None:
    time = FakeTime()
    error = TransientStateError("busy", status_code=409, type="transient_state")
    error.retry_after = 8.0
    _, attempt = failing([error, error, error])
    with pytest.raises(TransientStateError):
        run(attempt, time, RetryPolicy(deadline=10.0))
    assert time.sleeps == [8.0]


def test_loop_tells_each_attempt_the_time_left() -> None:
    time = FakeTime()
    error = api_error(503)
    error.retry_after = 4.0
    remaining, attempt = failing([error])
    run(attempt, time, RetryPolicy(deadline=30.0))
    assert remaining == [30.0, 26.0]


def test_other_exceptions_pass_through_untouched() -> None:
    time = FakeTime()
    _, attempt = failing([KeyError("bug")])
    with pytest.raises(KeyError):
        run(attempt, time)


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# --- timeouts -----------------------------------------------------------------------


def test_timeouts_are_clipped_to_the_time_left() -> None:
    clipped = Timeouts(connect=5, read=30, write=30, pool=10).clipped(2.0)
    assert (clipped.connect, clipped.read, clipped.write, clipped.pool) == (2.0, 2.0, 2.0, 2.0)


def test_timeouts_reject_non_positive_values() -> None:
    with pytest.raises(ValueError, match="read"):
        Timeouts(read=0)


# --- poll schedule ------------------------------------------------------------------


def test_first_poll_interval_is_fast() -> None:
    assert 0.1 <= DEFAULT_POLL_SCHEDULE.interval(0.0) <= 0.2


def test_poll_interval_grows_geometrically_then_caps() -> None:
    schedule = PollSchedule(first=0.1, growth=0.2, cap=2.0)
    sleeps = list(poll_intervals(60.0, schedule))[:-1]  # the last one is clipped
    growing = [s for s in sleeps if 0.1 < s < 2.0]
    ratios = {round(b / a, 6) for a, b in itertools.pairwise(growing)}
    assert ratios == {1.2}
    assert max(sleeps) == 2.0


def test_poll_interval_never_exceeds_five_seconds() -> None:
    assert max(poll_intervals(3600.0)) <= 5.0


def test_last_poll_sleep_is_clipped_to_the_deadline() -> None:
    sleeps = list(poll_intervals(7.0))
    assert sum(sleeps) == pytest.approx(7.0)
    assert sleeps[-1] < DEFAULT_POLL_SCHEDULE.interval(7.0)


def test_poll_sleep_bounds_the_overshoot() -> None:
    # A session ready at time d is seen by the poll that follows; the sleep crossing
    # d is at most max(first, growth * d), the documented overshoot bound.
    elapsed, sleeps = 0.0, list(poll_intervals(30.0))
    for sleep in sleeps:
        assert sleep <= max(DEFAULT_POLL_SCHEDULE.first, DEFAULT_POLL_SCHEDULE.growth * elapsed)
        elapsed += sleep


def test_ten_second_wait_takes_at_most_25_polls() -> None:
    assert len(list(poll_intervals(10.0))) + 1 <= 25  # + the immediate first poll
