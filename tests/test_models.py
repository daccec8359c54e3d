"""Wire conventions of the models: timestamps, durations, lenient reply enums."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from pulumi_qpu.models import (
    CreateSessionRequest,
    Session,
    SessionStatus,
    UpdateSessionRequest,
)

_SESSION = {"id": "s", "platform_id": "p", "project_id": "x"}


def test_timestamps_are_written_in_utc_with_microseconds_and_z() -> None:
    paris = timezone(timedelta(hours=1))
    session = Session.model_validate(
        {**_SESSION, "created_at": datetime(2026, 1, 2, 13, 4, 5, 6, tzinfo=paris)}
    )
    assert session.model_dump(mode="json")["created_at"] == "2026-01-02T12:04:05.000006Z"


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        Session.model_validate({**_SESSION, "created_at": "2026-01-02T12:04:05"})


def test_an_unknown_status_in_a_reply_becomes_unknown_status() -> None:
    assert Session.model_validate({**_SESSION, "status": "hibernating"}).status is (
        SessionStatus.UNKNOWN_STATUS
    )


def test_request_durations_are_kept_canonical() -> None:
    request = UpdateSessionRequest(max_duration="3600.000s")
    assert request.max_duration == "3600s"


@pytest.mark.parametrize(("value", "kind"), [("1h", "format"), ("0s", "constraint")])
def test_request_durations_refuse_non_wire_or_non_positive_values(value: str, kind: str) -> None:
    with pytest.raises(ValidationError) as info:
        CreateSessionRequest(project_id="x", platform_id="p", max_duration=value)
    assert info.value.errors()[0]["type"] == kind
    assert info.value.errors()[0]["loc"] == ("max_duration",)


def test_requests_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError) as info:
        UpdateSessionRequest.model_validate({"platform_id": "p"})
    assert info.value.errors()[0]["loc"] == ("platform_id",)
