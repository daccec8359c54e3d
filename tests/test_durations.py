"""The duration parser: every accepted spelling, its canonical wire form, and refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from pulumi_qpu.durations import duration_seconds, to_wire_duration
from pulumi_qpu.errors import InvalidDurationError


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (3600, "3600s"),
        (2.5, "2.5s"),
        (Decimal("0.1"), "0.1s"),
        ("90s", "90s"),
        ("2.5s", "2.5s"),
        ("3600.000s", "3600s"),
        ("1h30m", "5400s"),
        ("1h 30m", "5400s"),
        ("1d", "86400s"),
        ("59m", "3540s"),
        ("12h", "43200s"),
        ("500ms", "0.5s"),
        ("PT1H30M", "5400s"),
        ("pt45s", "45s"),
        ("P1DT2H", "93600s"),
        ("P1W", "604800s"),
        ("3600", "3600s"),
        (timedelta(hours=1, microseconds=500000), "3600.5s"),
    ],
)
def test_accepted_spellings_become_canonical_wire_form(value: object, wire: str) -> None:
    assert to_wire_duration(value) == wire  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        "0s",
        "-5s",
        "",
        "  ",
        "abc",
        "Nones",
        "1x",
        "P",
        "PT",
        "1h30",
        "h",
        True,
        float("nan"),
        float("inf"),
        None,
        [60],
        "1e3s",
        "100000000000d",
    ],
)
def test_refused_values_raise_an_error_naming_the_value(value: object) -> None:
    with pytest.raises(InvalidDurationError) as info:
        duration_seconds(value)  # type: ignore[arg-type]
    assert repr(value) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [-300, -300.0, "-300", "-300s", "-5m", " - 5m", "-PT5M", "-0s"])
def test_a_negative_duration_gets_the_same_reason_in_every_form(value: object) -> None:
    with pytest.raises(InvalidDurationError) as info:
        duration_seconds(value)  # type: ignore[arg-type]
    assert info.value.reason == "it must be greater than zero"


def test_a_plus_sign_is_allowed_in_every_form() -> None:
    assert to_wire_duration("+5m") == to_wire_duration("+300") == "300s"


def test_spelling_does_not_change_the_canonical_form() -> None:
    assert to_wire_duration("1h") == to_wire_duration("3600s") == to_wire_duration(3600.0)
