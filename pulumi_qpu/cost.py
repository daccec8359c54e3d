"""What a session costs: exact money from a platform's published prices, and budgets.

Everything here is plain Python (no Pulumi, no HTTP): the provider, the functions for
programs and the tests share it. The decisions, stated once (``docs/cost.md`` explains
them for users):

* **Exact money.** The API writes prices as ``google.type.Money`` (``units`` + ``nanos``
  + ``currency_code``); they become :class:`~decimal.Decimal` without ever passing
  through a float, and the currency code travels with every amount (:class:`Cost`).
* **Prices are kept exact** (``0.00035`` per shot stays ``0.00035``); they are written
  with at least the currency's minor-unit digits (``3.20``, not ``3.2``).
* **The worst case is rounded up** to the currency's minor unit (the cent for EUR,
  :data:`WORST_CASE_ROUNDING`): it is an upper bound, so it never understates.
  ``price_per_hour * max_duration`` is computed exactly before that one rounding.
* **The accrued cost is rounded half up** to the minor unit (:data:`ACCRUED_ROUNDING`):
  it is an estimate of what has been spent, not a bound.
* **A budget is compared with the rounded worst case**, the number the user sees, so
  ``worst case 12.50 EUR`` never fails a ``12.50 EUR`` budget.
* **No conversion.** A budget in another currency than the platform's prices is an
  error; a budget without a currency is in the platform's currency.
* **Unknown stays unknown.** Without a price per hour, or without a ``max_duration``
  (the API's default is not known before the session exists), there is no worst case
  (``None``), except on a platform whose price per hour is 0: nothing times anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)
from typing import Final

from pydantic import ValidationError

from pulumi_qpu.errors import InvalidBudgetError
from pulumi_qpu.models import Money, Platform, wire_duration_seconds

__all__ = [
    "ACCRUED_ROUNDING",
    "COST_OUTPUT_KEYS",
    "WORST_CASE_ROUNDING",
    "Budget",
    "Cost",
    "PlatformPrices",
    "accrued_cost",
    "budget_failure",
    "check_budget",
    "cost_outputs",
    "format_amount",
    "minor_unit",
    "money_to_decimal",
    "parse_budget",
    "platform_prices",
    "total_by_currency",
    "worst_case_cost",
    "worst_case_line",
]

WORST_CASE_ROUNDING: Final = ROUND_CEILING
"""How a worst case is rounded to the minor unit: up, so a bound never understates."""

ACCRUED_ROUNDING: Final = ROUND_HALF_UP
"""How an accrued cost is rounded to the minor unit: to the nearest, half up."""

COST_OUTPUT_KEYS: Final = (
    "currency",
    "price_per_hour",
    "price_per_shot",
    "price_per_circuit",
    "worst_case_cost",
    "accrued_cost",
)
"""Return the cost outputs of a Session, in the order the docs list them."""

_NANOS: Final = Decimal(10) ** 9
_HOUR: Final = Decimal(3600)
# ISO 4217 currencies whose minor unit is not the hundredth; every other code has two
# decimals. Scaleway prices in EUR today; the table keeps a future currency honest.
# fmt: off
_MINOR_DIGITS: Final = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                     "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
# fmt: on
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
_AMOUNT: Final = r"(?:\d+(?:\.\d*)?|\.\d+)"
_BUDGET_TEXT: Final = re.compile(
    rf"^\s*(?:(?P<amount>{_AMOUNT})\s*(?P<currency>[A-Za-z]{{3}})?"
    rf"|(?P<currency_first>[A-Za-z]{{3}})\s*(?P<amount_last>{_AMOUNT}))\s*$"
)


# --- amounts ------------------------------------------------------------------------


def minor_unit(currency: str) -> Decimal:
    """Return the smallest unit of ``currency``: ``0.01`` for EUR, ``1`` for JPY."""
    return Decimal(1).scaleb(-_MINOR_DIGITS.get(currency, 2))


def money_to_decimal(money: Money) -> Decimal:
    """Return the exact amount of an API ``Money`` (``units`` + ``nanos`` / 10⁹).

    Raises ValueError when ``nanos`` is out of range or its sign contradicts ``units``,
    as ``google.type.Money`` forbids: such a price cannot be trusted to mean anything.
    """
    if not -999_999_999 <= money.nanos <= 999_999_999:
        raise ValueError(f"nanos {money.nanos} of {money.currency_code} money is out of range")
    if (money.units > 0 and money.nanos < 0) or (money.units < 0 and money.nanos > 0):
        raise ValueError(f"units {money.units} and nanos {money.nanos} have different signs")
    return Decimal(money.units) + Decimal(money.nanos) / _NANOS


def format_amount(amount: Decimal, currency: str) -> str:
    """Write ``amount`` as plain decimal text with at least the minor-unit digits.

    Never rounds (``0.00035`` stays as is) and never uses an exponent: ``3.2`` EUR is
    ``"3.20"``, ``0`` is ``"0.00"``, ``1E+3`` is ``"1000.00"``.
    """
    exponent = min(amount.normalize().as_tuple().exponent, minor_unit(currency).as_tuple().exponent)
    assert isinstance(exponent, int)  # finite amounts only: "n", "N", "F" never get here
    with localcontext() as context:
        # Quantizing 1E+26 to cents needs 29 digits, one more than the default context.
        context.prec = max(context.prec, amount.adjusted() + 2 - exponent)
        return format(amount.quantize(Decimal(1).scaleb(exponent)), "f")


@dataclass(frozen=True)
class Cost:
    """An exact amount of money in one currency (``Cost(Decimal("12.50"), "EUR")``)."""

    amount: Decimal
    currency: str

    @property
    def text(self) -> str:
        """The amount as decimal text, without the currency (``"12.50"``)."""
        return format_amount(self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.text} {self.currency}"


def _rounded(amount: Decimal, currency: str, rounding: str) -> Decimal:
    unit = minor_unit(currency)
    with localcontext() as context:
        # As in format_amount: a huge budget must not overflow the default 28 digits.
        context.prec = max(context.prec, amount.adjusted() + 2 - unit.adjusted())
        return amount.quantize(unit, rounding=rounding)


def _hourly(price_per_hour: Decimal, seconds: Decimal) -> Decimal:
    # Enough digits that the one rounding to the minor unit is the only rounding: a
    # price has at most 9 decimals and a duration a few, so 50 digits is exact or beyond
    # anything that could move a rounding at the cent.
    with localcontext() as context:
        context.prec = 50
        return price_per_hour * seconds / _HOUR


# --- a platform's prices ------------------------------------------------------------


@dataclass(frozen=True)
class PlatformPrices:
    """The published prices of one platform, exact; ``None`` where the API gives none."""

    platform_name: str
    currency: str
    per_hour: Decimal | None
    per_shot: Decimal | None
    per_circuit: Decimal | None


def platform_prices(platform: Platform) -> PlatformPrices:
    """Read a platform's prices as exact decimals in one currency.

    A zero price carries no currency worth comparing (``Money`` defaults to EUR), so
    only non-zero prices must agree; prices in two currencies raise ValueError rather
    than be added up as if they were one.
    """
    named = {
        "per_hour": platform.price_per_hour,
        "per_shot": platform.price_per_shot,
        "per_circuit": platform.price_per_circuit,
    }
    amounts = {key: money_to_decimal(m) if m is not None else None for key, m in named.items()}
    currencies = {
        m.currency_code for key, m in named.items() if m is not None and amounts[key] != 0
    }
    if len(currencies) > 1:
        raise ValueError(
            f"platform {platform.name} has prices in several currencies "
            f"({', '.join(sorted(currencies))}); no single cost can be computed"
        )
    present = [m.currency_code for m in named.values() if m is not None]
    currency = next(iter(currencies), present[0] if present else "EUR")
    return PlatformPrices(
        platform_name=platform.name,
        currency=currency,
        per_hour=amounts["per_hour"],
        per_shot=amounts["per_shot"],
        per_circuit=amounts["per_circuit"],
    )


# --- worst case and accrued cost ----------------------------------------------------


def _duration_seconds(max_duration: str | Decimal) -> Decimal:
    return (
        max_duration if isinstance(max_duration, Decimal) else wire_duration_seconds(max_duration)
    )


def worst_case_cost(prices: PlatformPrices, max_duration: str | Decimal | None) -> Cost | None:
    """Return ``price_per_hour * max_duration``, rounded up to the minor unit.

    ``max_duration`` is a wire duration (``"3600s"``) or seconds. ``None`` when the
    platform publishes no price per hour, or when ``max_duration`` is unknown on a
    platform that charges by the hour. Per-shot and per-circuit prices are not included:
    they depend on the jobs run, which no session declares.
    """
    if prices.per_hour is None:
        return None
    if prices.per_hour == 0:
        return Cost(_rounded(Decimal(0), prices.currency, WORST_CASE_ROUNDING), prices.currency)
    if max_duration is None:
        return None
    amount = _hourly(prices.per_hour, _duration_seconds(max_duration))
    return Cost(_rounded(amount, prices.currency, WORST_CASE_ROUNDING), prices.currency)


def accrued_cost(
    prices: PlatformPrices,
    started_at: datetime | None,
    terminated_at: datetime | None,
    now: datetime | None = None,
) -> Cost | None:
    """Return ``price_per_hour`` times the time from ``started_at`` to ``terminated_at`` or now.

    Rounded half up to the minor unit. A session that has not started (still
    ``starting``, or waiting for its booked slot) has accrued nothing; ``None`` when the
    platform publishes no price per hour.
    """
    if prices.per_hour is None:
        return None
    end = terminated_at or now or datetime.now(timezone.utc)
    if started_at is None or end <= started_at:
        seconds = Decimal(0)
    else:
        elapsed = end - started_at
        seconds = Decimal(elapsed.days * 86400 + elapsed.seconds) + Decimal(
            elapsed.microseconds
        ) / Decimal(10**6)
    amount = _hourly(prices.per_hour, seconds)
    return Cost(_rounded(amount, prices.currency, ACCRUED_ROUNDING), prices.currency)


def cost_outputs(
    prices: PlatformPrices,
    max_duration: str | None,
    *,
    started_at: datetime | None = None,
    terminated_at: datetime | None = None,
    now: datetime | None = None,
    accrued: bool = True,
) -> dict[str, str]:
    """Return the cost outputs of a Session (:data:`COST_OUTPUT_KEYS`) that are known.

    Amounts are decimal text without the currency, which is its own output, so a
    program can ``Decimal(session.worst_case_cost)`` and sum. ``accrued=False`` leaves
    out the accrued cost (before the session exists it means nothing).
    """
    outputs = {"currency": prices.currency}
    for key, value in (
        ("price_per_hour", prices.per_hour),
        ("price_per_shot", prices.per_shot),
        ("price_per_circuit", prices.per_circuit),
    ):
        if value is not None:
            outputs[key] = format_amount(value, prices.currency)
    worst = worst_case_cost(prices, max_duration)
    if worst is not None:
        outputs["worst_case_cost"] = worst.text
    if accrued:
        spent = accrued_cost(prices, started_at, terminated_at, now)
        if spent is not None:
            outputs["accrued_cost"] = spent.text
    return outputs


def total_by_currency(costs: Iterable[tuple[str | None, str | None]]) -> dict[str, str] | None:
    """Sum ``(amount text, currency)`` pairs per currency: ``{"EUR": "41.30"}``.

    ``None`` as soon as one amount is missing: a sum that leaves a session out is not a
    worst case. Amounts in different currencies are never added together.
    """
    totals: dict[str, Decimal] = {}
    for amount, currency in costs:
        if amount is None or currency is None:
            return None
        totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount)
    return {currency: format_amount(total, currency) for currency, total in sorted(totals.items())}


# --- budgets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """The most a session may cost; ``currency`` None means the platform's currency."""

    amount: Decimal
    currency: str | None

    def __str__(self) -> str:
        if self.currency is None:
            return format(self.amount, "f")
        return f"{format_amount(self.amount, self.currency)} {self.currency}"


def _budget_amount(value: object, original: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidBudgetError(original, "a boolean is not an amount")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # The engine carries every number as a float; str() is the shortest repr, so
        # 12.5 stays 12.5. Arithmetic is never done in floats.
        amount = Decimal(str(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidBudgetError(original, "the amount is not a number") from None
    else:
        raise InvalidBudgetError(original, f"a {type(value).__name__} is not an amount")
    if not amount.is_finite():
        raise InvalidBudgetError(original, "the amount is not a finite number")
    if amount < 0:
        raise InvalidBudgetError(original, "the amount is negative")
    return amount


def _budget_currency(value: object, original: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        raise InvalidBudgetError(original, "the currency is not an ISO 4217 code like EUR")
    return value.strip().upper()


def parse_budget(value: object) -> Budget:
    """Read a budget in one of the forms a user may write.

    * ``"12.50 EUR"`` (or ``"EUR 12.50"``); ``"12.50"`` alone is in the platform's
      currency;
    * ``{"amount": "12.50", "currency": "EUR"}`` (``currency`` optional);
    * the API's Money, ``{"currency_code": "EUR", "units": 12, "nanos": 500000000}``;
    * a number (``Decimal("12.50")``, ``12.5``, ``12``): in the platform's currency.

    Zero is a valid budget (only free sessions). Raises
    :class:`~pulumi_qpu.errors.InvalidBudgetError` for anything else or a negative amount.
    """
    if isinstance(value, Money):
        value = value.model_dump()
    if isinstance(value, str):
        match = _BUDGET_TEXT.match(value)
        if not match:
            raise InvalidBudgetError(value, "it is not an amount followed by a currency code")
        amount = match.group("amount") or match.group("amount_last")
        currency = match.group("currency") or match.group("currency_first")
        return Budget(_budget_amount(amount, value), _budget_currency(currency, value))
    if isinstance(value, Mapping):
        keys = set(value)
        if keys <= {"currency_code", "units", "nanos"} and keys:
            try:
                money = Money.model_validate(value)
                amount = money_to_decimal(money)
            except ValidationError as exc:
                # Field names and pydantic's words: str(exc) would quote the input.
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()
                )
                raise InvalidBudgetError(value, f"it is not valid Money ({problems})") from None
            except ValueError:
                raise InvalidBudgetError(
                    value,
                    "it is not valid Money (nanos must be within ±999999999 and have the "
                    "sign of units)",
                ) from None
            if amount < 0:
                raise InvalidBudgetError(value, "the amount is negative")
            return Budget(amount, _budget_currency(money.currency_code, value))
        if "amount" not in value or not keys <= {"amount", "currency"}:
            raise InvalidBudgetError(
                value, "a budget dict has the keys 'amount' and, optionally, 'currency'"
            )
        return Budget(
            _budget_amount(value["amount"], value), _budget_currency(value.get("currency"), value)
        )
    return Budget(_budget_amount(value, value), None)


def _human_duration(seconds: int) -> str:
    # A form the duration parser reads back ("58m35s"), so the fix can be pasted.
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def budget_failure(
    budget: Budget,
    prices: PlatformPrices,
    max_duration: str | None,
    *,
    source: str = "max_cost",
) -> str | None:
    """Return why a session breaks its budget, naming the numbers and the fix; else None.

    ``source`` names where the budget came from (``max_cost``, ``qpu:maxCostPerSession``).
    A budget that cannot be checked (no price per hour, no ``max_duration`` on a paid
    platform) fails too: a budget exists to stop what it cannot vouch for.

    The numbers named are the platform's prices and what follows from them (the worst
    case, the longest ``max_duration`` that fits), never an input as given: not the
    budget, the duration or the platform's name, any of which a program may have made
    secret (the provider cannot know which: the engine strips secretness before calling
    it, and prints the reason as is).
    """
    if budget.currency is not None and budget.currency != prices.currency:
        return (
            f"{source} is in another currency than the platform's prices, which are in "
            f"{prices.currency}; write the budget in {prices.currency} (currencies are "
            "never converted)"
        )
    if prices.per_hour is None:
        return (
            f"the platform publishes no price per hour, so {source} cannot be checked; "
            "choose a platform with a published price or remove the budget"
        )
    # The longest max_duration whose rounded worst case fits: the budget floored to the
    # minor unit, so that rounding the worst case up cannot take it past the budget.
    fits = None
    if prices.per_hour > 0:
        floor = _rounded(budget.amount, prices.currency, ROUND_FLOOR)
        fits = int((floor * _HOUR / prices.per_hour).to_integral_value(rounding=ROUND_FLOOR))
    shorter = (
        f"set max_duration to at most {_human_duration(fits)}"
        if fits
        else "no max_duration fits this budget on this platform"
    )
    worst = worst_case_cost(prices, max_duration)
    if worst is None:
        return (
            f"{source} cannot be checked without max_duration on this platform "
            f"({format_amount(prices.per_hour, prices.currency)} {prices.currency}/h): the "
            f"API's default duration is not known before the session exists; {shorter}"
        )
    if worst.amount <= budget.amount:
        return None
    return (
        f"worst case {worst} ({format_amount(prices.per_hour, prices.currency)} "
        f"{prices.currency}/h for its max_duration) exceeds {source}: "
        f"{shorter}, choose a cheaper platform, or raise {source} to at least {worst}"
    )


def worst_case_line(label: str, costs: Mapping[str, object], max_duration: object) -> str | None:
    """Return the line a preview prints for a Session to be created or replaced.

    ``costs`` are the Session's cost outputs (:func:`cost_outputs`), ``max_duration``
    its canonical input (``None`` when not set, anything else not a string while
    unknown). ``None`` when the platform's prices are not known yet. The line names no
    input value (not the platform, not the duration): the engine prints provider output
    as is and strips secrets before the provider sees them, so the provider cannot know
    which inputs a program made secret.
    """
    currency = costs.get("currency")
    per_hour = costs.get("price_per_hour")
    if not isinstance(currency, str) or not isinstance(per_hour, str):
        return None
    head = f"qpu: {label}"
    worst = costs.get("worst_case_cost")
    if isinstance(worst, str):
        if Decimal(per_hour) == 0:
            bound = f"worst case {worst} {currency} (free by the hour)"
        else:
            bound = f"worst case {worst} {currency} ({per_hour} {currency}/h for its max_duration)"
    elif max_duration is None:
        bound = (
            f"worst case unknown until it exists ({per_hour} {currency}/h, no max_duration: "
            "the API's default applies)"
        )
    else:
        bound = f"worst case known at up ({per_hour} {currency}/h, max_duration not known yet)"
    extras = [
        f"{costs[key]} {currency} per {unit}"
        for key, unit in (("price_per_shot", "shot"), ("price_per_circuit", "circuit"))
        if isinstance(costs.get(key), str) and Decimal(str(costs[key])) != 0
    ]
    return f"{head}: {bound}" + (f", plus {' and '.join(extras)}" if extras else "")


def check_budget(
    max_cost: object,
    per_session: object,
    prices: PlatformPrices | None,
    max_duration: str | None,
) -> str | None:
    """Return why a Session fails its budget (the check failure's reason), else None.

    The budget is the Session's ``max_cost`` when set, else the stack-wide
    ``qpu:maxCostPerSession`` (``per_session``); none set, nothing to check. With
    ``prices`` None (the platform or ``max_duration`` unknown at preview) only the
    budget's form is checked; the rest waits for ``up``, where check runs again.
    """
    if max_cost is not None:
        value, source = max_cost, "max_cost"
    elif per_session is not None and per_session != "":
        value, source = per_session, "qpu:maxCostPerSession"
    else:
        return None
    try:
        budget = parse_budget(value)
    except InvalidBudgetError as exc:
        # The reason without the value, which may be secret.
        return f"{source} is not a valid budget: {exc.reason}. {exc.FORMS}"
    if prices is None:
        return None
    return budget_failure(budget, prices, max_duration, source=source)
