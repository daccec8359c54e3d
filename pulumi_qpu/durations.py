"""The one duration parser: every form a user may write, one canonical wire form.

The API carries durations as strings of seconds with an ``s`` suffix (``"3600s"``,
``"2.5s"``). Users write ``3600``, ``"1h"``, ``"1h30m"``, ``"PT1H30M"``. Everything is
parsed here, exactly (``Decimal``, so ``"0.1s"`` stays ``"0.1s"``), and anything else,
zero or negative raises :class:`~pulumi_qpu.errors.InvalidDurationError` naming the
value, never a silent ``"Nones"``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from pulumi_qpu.errors import InvalidDurationError

__all__ = ["DurationInput", "duration_seconds", "to_wire_duration"]

DurationInput = int | float | str | timedelta | Decimal
"""What a user may pass wherever a duration is expected."""

_UNIT_SECONDS = {
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
    "d": Decimal(86400),
    "w": Decimal(604800),
}
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
# "1h30m", "90s", "2.5s", "1d 2h", "500ms": one or more number+unit parts, largest first.
_COMPOUND = re.compile(rf"^(?:\s*(?:{_NUMBER})\s*(?:ms|s|m|h|d|w)\s*)+$")
_PART = re.compile(rf"({_NUMBER})\s*(ms|s|m|h|d|w)")
_ISO = re.compile(
    rf"^P(?:(?P<w>{_NUMBER})W)?(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?$"
)
# Past this the value is surely a mistake (and would overflow timestamps): 100 years.
_MAX_SECONDS = Decimal(100 * 365 * 86400)


def duration_seconds(value: DurationInput) -> Decimal:
    """Return ``value`` as a positive, exact number of seconds.

    Accepts ints and floats (seconds), ``timedelta``, numeric strings, ``"90s"``,
    ``"2.5s"``, ``"1h30m"``, ``"1d"``, ``"500ms"`` and ISO 8601 (``"PT1H30M"``).
    Raises :class:`InvalidDurationError` for anything else, zero or negative.
    """
    seconds = _parse(value)
    if not seconds.is_finite():
        raise InvalidDurationError(value, "it is not a finite number")
    if seconds <= 0:
        raise InvalidDurationError(value, "it must be greater than zero")
    if seconds > _MAX_SECONDS:
        raise InvalidDurationError(value, "it is longer than 100 years")
    return seconds


def to_wire_duration(value: DurationInput) -> str:
    """Return the canonical wire form of a duration: ``"5400s"``, ``"2.5s"``."""
    seconds = duration_seconds(value)
    # normalize() drops trailing zeros; format "f" keeps "1E+3" from appearing.
    text = format(seconds.normalize(), "f")
    return f"{text}s"


def _parse(value: DurationInput) -> Decimal:
    # bool is an int subclass; True meaning "1s" would be a silent surprise.
    if isinstance(value, bool):
        raise InvalidDurationError(value, "a boolean is not a duration")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        try:
            # str() gives the shortest repr, so 2.5 -> "2.5", not 2.5000000001.
            return Decimal(str(value))
        except InvalidOperation as exc:  # pragma: no cover - str(float) always parses
            raise InvalidDurationError(value, "it is not a number") from exc
    if isinstance(value, timedelta):
        return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / (
            Decimal(10**6)
        )
    if isinstance(value, str):
        return _parse_text(value)
    raise InvalidDurationError(value, f"a {type(value).__name__} is not a duration")


def _parse_text(value: str) -> Decimal:
    text = value.strip()
    if not text:
        raise InvalidDurationError(value, "it is empty")
    # A sign applies to any form ("-300", "-5m", "-PT5M"): a negative duration is then
    # refused by the caller with the one message for every form, not as unknown text.
    if text[0] in "+-" and text[1:].strip():
        unsigned = _parse_unsigned(value, text[1:].strip())
        return -unsigned if text[0] == "-" else unsigned
    return _parse_unsigned(value, text)


def _parse_unsigned(value: str, text: str) -> Decimal:
    if re.fullmatch(_NUMBER, text):
        return Decimal(text)
    lowered = text.lower()
    if _COMPOUND.match(lowered):
        return sum(
            (Decimal(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(lowered)),
            Decimal(0),
        )
    iso = _ISO.match(text.upper())
    if iso and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        factors = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
        return sum(
            (Decimal(part) * factors[key] for key, part in iso.groupdict().items() if part),
            Decimal(0),
        )
    raise InvalidDurationError(value, "it is not a duration this parser knows")
