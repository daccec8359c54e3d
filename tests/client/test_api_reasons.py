"""An API refusal is shown with the API's own reason, not only its type (the emulator).

The Scaleway error bodies carry the reason besides ``message``: per-argument
``details`` of ``invalid_arguments``, ``help_message`` of ``precondition_failed`` and
``too_many_requests``, ``details`` of ``quotas_exceeded``. The text of the error is what
a user reads (at ``pulumi up``, it is the whole reason), so it must carry them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import (
    InvalidArgumentsError,
    PreconditionFailedError,
    QuotasExceededError,
    TooManyRequestsError,
)
from pulumi_qpu.models import BookingDemand
from pulumi_qpu.retry import NO_RETRY
from tests.client.conftest import ClientFactory
from tests.support.emulator import RunningEmulator


def booking(client: QaasClient, *, starts_in: timedelta, lasts: timedelta) -> BookingDemand:
    start = client.server_now() + starts_in
    return BookingDemand(started_at=start, finished_at=start + lasts)


def test_a_booking_too_short_says_the_platforms_minimum(client: QaasClient) -> None:
    garnet = client.find_platform("QPU-GARNET-20PQ").id
    demand = booking(client, starts_in=timedelta(hours=2), lasts=timedelta(minutes=5))
    with pytest.raises(InvalidArgumentsError) as refused:
        client.create_session(platform_id=garnet, booking_demand=demand)
    assert str(refused.value).endswith(
        "-> 400 invalid_arguments: booking_demand.finished_at: on QPU-GARNET-20PQ the "
        "booking lasts at least 900s from its start"
    )


def test_a_max_duration_above_the_apis_limit_says_the_limit(
    client: QaasClient, platform_id: str
) -> None:
    with pytest.raises(InvalidArgumentsError) as refused:
        client.create_session(platform_id=platform_id, max_duration="30d")
    assert str(refused.value).endswith(
        "-> 400 invalid_arguments: max_duration: at most 604800s (7 days)"
    )


def test_every_invalid_argument_is_named_with_its_reason(client: QaasClient) -> None:
    garnet = client.find_platform("QPU-GARNET-20PQ").id
    with pytest.raises(InvalidArgumentsError) as refused:
        client.create_session(platform_id=garnet, booking_demand=BookingDemand(description="x"))
    assert str(refused.value).endswith(
        "-> 400 invalid_arguments: booking_demand.started_at: a booking needs started_at; "
        "booking_demand.finished_at: a booking needs finished_at"
    )


def test_a_platform_in_maintenance_says_so(client: QaasClient) -> None:
    ascella = client.find_platform("QPU-ASCELLA-6PQ").id
    with pytest.raises(PreconditionFailedError) as refused:
        client.create_session(platform_id=ascella)
    assert str(refused.value).endswith(
        "-> 412 precondition_failed: precondition is not respected: platform "
        "QPU-ASCELLA-6PQ is in maintenance; try another platform"
    )


def test_a_quota_names_the_resource_and_its_use(client: QaasClient) -> None:
    garnet = client.find_platform("QPU-GARNET-20PQ").id
    # Three bookings on one UTC day; the platform's max_booking_per_day is 2.
    demands = [
        booking(client, starts_in=timedelta(hours=hours), lasts=timedelta(minutes=20))
        for hours in (2, 3, 4)
    ]
    if len({demand.started_at.date() for demand in demands if demand.started_at}) != 1:
        pytest.skip("the emulator's clock is near midnight: the bookings span two days")
    for demand in demands[:2]:
        client.create_session(platform_id=garnet, booking_demand=demand)
    with pytest.raises(QuotasExceededError) as refused:
        client.create_session(platform_id=garnet, booking_demand=demands[2])
    assert (
        "-> 403 quotas_exceeded: quota(s) exceeded for this resource: bookings_per_day "
        "(quota 2, in use 2) (a quota is used up"
    ) in str(refused.value)


def test_a_rate_limit_says_when_to_retry(
    make_client: ClientFactory, emulator: RunningEmulator
) -> None:
    emulator.set_faults(throttle_rate=1.0)
    client = make_client(retry=NO_RETRY)
    with pytest.raises(TooManyRequestsError) as refused:
        client.find_platform("EMU-AER-H100")
    assert "429 too_many_requests: too many requests: retry in 1 s" in str(refused.value)
