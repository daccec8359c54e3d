"""Cost of a session: exact money, rounding, currencies, free platforms, unknowns, budgets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pulumi
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_qpu import estimate_cost
from pulumi_qpu.client import QaasClient
from pulumi_qpu.cost import (
    COST_OUTPUT_KEYS,
    Budget,
    Cost,
    PlatformPrices,
    accrued_cost,
    budget_failure,
    check_budget,
    cost_outputs,
    format_amount,
    money_to_decimal,
    parse_budget,
    platform_prices,
    total_by_currency,
    worst_case_cost,
    worst_case_line,
)
from pulumi_qpu.durations import to_wire_duration
from pulumi_qpu.errors import InvalidBudgetError
from pulumi_qpu.models import Money, Platform
from pulumi_qpu.provider import SessionProvider
from tests.provider.conftest import stack_config
from tests.support.emulator import RunningEmulator


def _prices(
    per_hour: str | None = "0.90",
    currency: str = "EUR",
    per_shot: str | None = "0",
    per_circuit: str | None = "0",
    name: str = "EMU-TEST",
) -> PlatformPrices:
    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return PlatformPrices(name, currency, dec(per_hour), dec(per_shot), dec(per_circuit))


# --- exact money --------------------------------------------------------------------


def test_money_becomes_the_exact_decimal_of_units_and_nanos() -> None:
    assert money_to_decimal(Money(units=3, nanos=200_000_000)) == Decimal("3.2")
    assert money_to_decimal(Money(units=0, nanos=350_000)) == Decimal("0.00035")
    assert money_to_decimal(Money(units=-1, nanos=-500_000_000)) == Decimal("-1.5")


@pytest.mark.parametrize(
    "money",
    [Money(units=1, nanos=-1), Money(units=0, nanos=1_000_000_000)],
    ids=["signs-differ", "nanos-out-of-range"],
)
def test_malformed_money_is_refused(money: Money) -> None:
    with pytest.raises(ValueError, match="nanos"):
        money_to_decimal(money)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("3.2", "EUR", "3.20"),
        ("0", "EUR", "0.00"),
        ("0.00035", "EUR", "0.00035"),
        ("1E+3", "EUR", "1000.00"),
        ("1500", "JPY", "1500"),
        ("1.5", "KWD", "1.500"),
    ],
)
def test_amounts_are_written_with_at_least_the_minor_unit_and_never_rounded(
    amount: str, currency: str, text: str
) -> None:
    assert format_amount(Decimal(amount), currency) == text


def test_platform_prices_keep_the_currency_and_exact_amounts() -> None:
    platform = Platform(
        id="p",
        name="QPU-X",
        price_per_hour=Money(currency_code="USD", units=12, nanos=345_000_000),
        price_per_shot=Money(currency_code="USD", units=0, nanos=350_000),
        price_per_circuit=None,
    )
    prices = platform_prices(platform)
    assert (prices.currency, prices.per_hour, prices.per_shot, prices.per_circuit) == (
        "USD",
        Decimal("12.345"),
        Decimal("0.00035"),
        None,
    )


def test_a_zero_price_in_another_currency_does_not_count_as_a_second_currency() -> None:
    platform = Platform(
        id="p",
        name="QPU-X",
        price_per_hour=Money(currency_code="EUR", units=0),
        price_per_shot=Money(currency_code="USD", units=0, nanos=1000),
    )
    assert platform_prices(platform).currency == "USD"


def test_platform_prices_in_two_currencies_are_refused() -> None:
    platform = Platform(
        id="p",
        name="QPU-X",
        price_per_hour=Money(currency_code="EUR", units=1),
        price_per_shot=Money(currency_code="USD", units=1),
    )
    with pytest.raises(ValueError, match="several currencies"):
        platform_prices(platform)


# --- worst case: rounding, free platforms, unknowns ---------------------------------


@pytest.mark.parametrize(
    ("per_hour", "max_duration", "worst"),
    [
        ("0.90", "3600s", "0.90"),
        ("0.90", "1000s", "0.25"),
        ("0.90", "1s", "0.01"),  # 0.00025 rounds *up*: a bound never understates
        ("12.80", "8100s", "28.80"),
        ("3.20", "2.5s", "0.01"),
        ("0.75", "5400s", "1.13"),  # 1.125 up
        ("1800", "900s", "450.00"),
    ],
)
def test_worst_case_is_price_per_hour_times_max_duration_rounded_up_to_the_cent(
    per_hour: str, max_duration: str, worst: str
) -> None:
    assert worst_case_cost(_prices(per_hour), max_duration) == Cost(Decimal(worst), "EUR")


def test_worst_case_takes_seconds_as_a_decimal_too() -> None:
    assert worst_case_cost(_prices("3.60"), Decimal("0.5")) == Cost(Decimal("0.01"), "EUR")


def test_worst_case_rounds_to_the_currency_minor_unit() -> None:
    worst = worst_case_cost(_prices("1000", currency="JPY"), "60s")
    assert worst is not None
    assert (str(worst), worst.text) == ("17 JPY", "17")  # 16.67 up to the yen


def test_a_free_platform_costs_nothing_whatever_the_duration() -> None:
    free = _prices("0")
    assert worst_case_cost(free, "86400s") == Cost(Decimal("0.00"), "EUR")
    assert worst_case_cost(free, None) == Cost(Decimal("0.00"), "EUR")


def test_an_unknown_max_duration_leaves_a_paid_platform_worst_case_unknown() -> None:
    assert worst_case_cost(_prices("0.90"), None) is None


def test_a_platform_without_a_price_per_hour_has_no_worst_case() -> None:
    assert worst_case_cost(_prices(None), "3600s") is None


# --- accrued cost -------------------------------------------------------------------

_START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_accrued_cost_runs_from_started_at_to_terminated_at_rounded_half_up() -> None:
    end = _START + timedelta(minutes=90)
    assert accrued_cost(_prices("0.75"), _START, end) == Cost(Decimal("1.13"), "EUR")  # 1.125


def test_accrued_cost_of_a_running_session_runs_to_now() -> None:
    now = _START + timedelta(seconds=1000)
    assert accrued_cost(_prices("0.90"), _START, None, now) == Cost(Decimal("0.25"), "EUR")


def test_accrued_cost_rounds_a_tiny_amount_down_unlike_the_worst_case() -> None:
    now = _START + timedelta(seconds=1)
    assert accrued_cost(_prices("0.90"), _START, None, now) == Cost(Decimal("0.00"), "EUR")


def test_a_session_that_has_not_started_has_accrued_nothing() -> None:
    assert accrued_cost(_prices("1800"), None, None) == Cost(Decimal("0.00"), "EUR")


def test_an_end_before_the_start_accrues_nothing() -> None:
    earlier = _START - timedelta(seconds=5)
    assert accrued_cost(_prices("1800"), _START, earlier) == Cost(Decimal("0.00"), "EUR")


# --- outputs and sums ---------------------------------------------------------------


def test_cost_outputs_are_decimal_text_and_a_separate_currency() -> None:
    prices = _prices("12.80", per_shot="0.00035", per_circuit=None)
    outputs = cost_outputs(prices, "8100s", started_at=_START, now=_START + timedelta(hours=1))
    assert outputs == {
        "currency": "EUR",
        "price_per_hour": "12.80",
        "price_per_shot": "0.00035",
        "worst_case_cost": "28.80",
        "accrued_cost": "12.80",
    }


def test_cost_outputs_before_creation_leave_out_what_is_unknown() -> None:
    outputs = cost_outputs(_prices("0.90"), None, accrued=False)
    assert "worst_case_cost" not in outputs
    assert "accrued_cost" not in outputs
    assert outputs["price_per_hour"] == "0.90"


def test_totals_are_summed_per_currency_never_across() -> None:
    pairs = [("0.90", "EUR"), ("28.80", "EUR"), ("17", "JPY"), ("0.00", "EUR")]
    assert total_by_currency(pairs) == {"EUR": "29.70", "JPY": "17"}


def test_a_total_with_one_unknown_worst_case_is_unknown() -> None:
    assert total_by_currency([("0.90", "EUR"), (None, "EUR")]) is None


def test_the_total_of_nothing_is_empty() -> None:
    assert total_by_currency([]) == {}


# --- budgets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "budget"),
    [
        ("12.50 EUR", Budget(Decimal("12.50"), "EUR")),
        (" 12.5eur ", Budget(Decimal("12.5"), "EUR")),
        ("EUR 12.50", Budget(Decimal("12.50"), "EUR")),
        ("12.50", Budget(Decimal("12.50"), None)),
        ("0 EUR", Budget(Decimal("0"), "EUR")),
        ({"amount": "12.50", "currency": "EUR"}, Budget(Decimal("12.50"), "EUR")),
        ({"amount": 12.5}, Budget(Decimal("12.5"), None)),
        (
            {"currency_code": "EUR", "units": 12, "nanos": 500_000_000},
            Budget(Decimal("12.5"), "EUR"),
        ),
        (Money(currency_code="EUR", units=3), Budget(Decimal("3"), "EUR")),
        (Decimal("12.50"), Budget(Decimal("12.50"), None)),
        (12.5, Budget(Decimal("12.5"), None)),
        (0.1, Budget(Decimal("0.1"), None)),  # the float's shortest repr, not 0.1000000000000000055
        (12, Budget(Decimal(12), None)),
    ],
)
def test_budget_forms(value: object, budget: Budget) -> None:
    assert parse_budget(value) == budget


@pytest.mark.parametrize(
    "value",
    [
        "twelve euros",
        "12.50 EURO",
        "-1 EUR",
        "",
        True,
        float("nan"),
        float("inf"),
        [12],
        {"amount": "12", "currency": "EUR", "extra": 1},
        {"currency": "EUR"},
        {"amount": "12", "currency": "euro"},
        {"currency_code": "EUR", "units": -1},
    ],
)
def test_malformed_budgets_are_refused_with_the_forms_that_work(value: object) -> None:
    with pytest.raises(InvalidBudgetError, match=r'like "12\.50 EUR"'):
        parse_budget(value)


def test_a_budget_the_worst_case_fits_passes() -> None:
    assert budget_failure(parse_budget("0.90 EUR"), _prices("0.90"), "3600s") is None


def test_a_worst_case_equal_to_the_budget_after_rounding_passes() -> None:
    # 0.90 EUR/h for 1001 s is 0.25025, shown as 0.26: compared as shown.
    assert budget_failure(parse_budget("0.26"), _prices("0.90"), "1001s") is None
    assert budget_failure(parse_budget("0.25"), _prices("0.90"), "1001s") is not None


def test_an_exceeded_budget_names_the_numbers_and_every_fix() -> None:
    message = budget_failure(
        parse_budget("12.50 EUR"), _prices("12.80", name="EMU-CUDAQ-4H100SXM"), "8100s"
    )
    assert message == (
        "worst case 28.80 EUR (12.80 EUR/h for its max_duration) exceeds max_cost: set "
        "max_duration to at most 58m35s, choose a cheaper platform, or raise max_cost to at "
        "least 28.80 EUR"
    )


def test_a_budget_failure_repeats_no_input_a_program_may_have_made_secret() -> None:
    # The budget, the duration and the platform's name: each may be a secret input.
    prices = _prices("12.80", name="EMU-CUDAQ-4H100SXM")
    for budget, duration in (("12.34 EUR", "8100s"), ("12.34 EUR", None), ("12.34 USD", None)):
        message = budget_failure(parse_budget(budget), prices, duration)
        assert message is not None
        for value in ("12.34", "USD", "2h15m", "8100", "EMU-CUDAQ-4H100SXM"):
            assert value not in message


def test_the_suggested_max_duration_fits_the_budget() -> None:
    prices = _prices("12.80")
    fits = to_wire_duration("58m35s")
    assert budget_failure(parse_budget("12.50 EUR"), prices, fits) is None
    assert budget_failure(parse_budget("12.50 EUR"), prices, "3516s") is not None


def test_the_failure_names_where_the_budget_came_from() -> None:
    message = budget_failure(
        parse_budget("1"), _prices("12.80"), "3600s", source="qpu:maxCostPerSession"
    )
    assert message is not None
    assert "exceeds qpu:maxCostPerSession:" in message
    assert "raise qpu:maxCostPerSession to at least 12.80 EUR" in message


def test_a_budget_in_another_currency_is_an_error_not_a_conversion() -> None:
    message = budget_failure(parse_budget("1000 USD"), _prices("0.90"), "3600s")
    assert message == (
        "max_cost is in another currency than the platform's prices, which are in EUR; "
        "write the budget in EUR (currencies are never converted)"
    )


def test_a_zero_budget_admits_a_free_platform_with_any_duration() -> None:
    assert budget_failure(parse_budget("0 EUR"), _prices("0"), None) is None
    assert budget_failure(parse_budget("0 EUR"), _prices("0"), "86400s") is None


def test_a_zero_budget_on_a_paid_platform_says_no_duration_fits() -> None:
    message = budget_failure(parse_budget("0 EUR"), _prices("0.90"), "60s")
    assert message is not None
    assert "no max_duration fits this budget on this platform" in message


def test_a_budget_without_max_duration_on_a_paid_platform_fails_with_the_longest_that_fits() -> (
    None
):
    message = budget_failure(parse_budget("0.45 EUR"), _prices("0.90"), None)
    assert message == (
        "max_cost cannot be checked without max_duration on this platform (0.90 EUR/h): "
        "the API's default duration is not known before the session exists; set "
        "max_duration to at most 30m"
    )


def test_a_budget_on_a_platform_without_a_price_per_hour_fails() -> None:
    message = budget_failure(parse_budget("5 EUR"), _prices(None), "3600s")
    assert message is not None
    assert "publishes no price per hour" in message


# --- against the emulator's catalogue ------------------------------------------------


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[QaasClient]:
    with QaasClient(
        secret_key=emulator.secret_key, api_url=emulator.url, default_project_id=emulator.project_id
    ) as made:
        yield made


def test_every_platform_of_the_emulator_publishes_all_three_prices(client: QaasClient) -> None:
    for platform in client.list_platforms():
        prices = platform_prices(platform)
        assert None not in (prices.per_hour, prices.per_shot, prices.per_circuit), platform.name
        assert prices.currency == "EUR"


def test_the_emulator_has_free_and_paid_hours(client: QaasClient) -> None:
    hourly = {p.name: platform_prices(p).per_hour for p in client.list_platforms()}
    assert hourly["EMU-SAMPLING-L4"] == 0
    assert hourly["QPU-IBEX-12PQ"] == 0  # billed per shot and per circuit only
    assert hourly["QPU-GARNET-20PQ"] == Decimal(1800)


def test_worst_case_of_an_emulator_platform_read_over_http(client: QaasClient) -> None:
    prices = platform_prices(client.find_platform("EMU-AER-H100"))
    assert str(worst_case_cost(prices, to_wire_duration("2h30m"))) == "8.00 EUR"


def test_budget_of_a_bookable_qpu_read_over_http(client: QaasClient) -> None:
    prices = platform_prices(client.find_platform("QPU-GARNET-20PQ"))
    message = budget_failure(parse_budget("500 EUR"), prices, to_wire_duration("1h"))
    assert message is not None
    assert message.startswith("worst case 1800.00 EUR (1800.00 EUR/h for its max_duration)")
    assert "set max_duration to at most 16m40s" in message


# --- the stack's total --------------------------------------------------------------


@dataclass
class _Costed:
    """What estimate_cost reads of a Session."""

    worst_case_cost: pulumi.Output[str | None]
    currency: pulumi.Output[str | None]


def _output(value: str | None, *, known: bool = True) -> pulumi.Output[str | None]:
    loop = asyncio.get_running_loop()
    resolved: asyncio.Future[str | None] = loop.create_future()
    resolved.set_result(value)
    is_known: asyncio.Future[bool] = loop.create_future()
    is_known.set_result(known)
    return pulumi.Output(set(), resolved, is_known)


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def _estimate(*sessions: tuple[str | None, str | None, bool]) -> tuple[bool, object]:
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    seen: dict[str, object] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        costed = [_Costed(_output(a, known=k), _output(c)) for a, c, k in sessions]
        total = estimate_cost(costed)

        async def look() -> None:
            seen["known"] = await total.is_known()
            seen["total"] = await total.future()

        return pulumi.Output.from_input(asyncio.ensure_future(look()))

    program()
    return bool(seen["known"]), seen["total"]


def test_estimate_cost_sums_the_worst_cases_of_sessions_per_currency() -> None:
    known, total = _estimate(("1.80", "EUR", True), ("450.00", "EUR", True), ("17", "JPY", True))
    assert (known, total) == (True, {"EUR": "451.80", "JPY": "17"})


def test_estimate_cost_is_unknown_while_one_worst_case_is_unknown() -> None:
    known, _ = _estimate(("1.80", "EUR", True), (None, "EUR", False))
    assert known is False


def test_estimate_cost_is_none_when_one_worst_case_cannot_be_known() -> None:
    assert _estimate(("1.80", "EUR", True), (None, "EUR", True)) == (True, None)


# --- the preview line ---------------------------------------------------------------


def _line(per_hour: str, max_duration: str | None, **prices: str) -> str | None:
    costs = cost_outputs(_prices(per_hour, **prices), max_duration, accrued=False)
    return worst_case_line("session analysis", costs, max_duration)


def test_the_preview_line_says_the_worst_case_and_how_it_is_made() -> None:
    assert _line("0.90", "7200s") == (
        "qpu: session analysis: worst case 1.80 EUR (0.90 EUR/h for its max_duration)"
    )


def test_the_preview_line_adds_non_zero_job_prices_as_extra() -> None:
    assert _line("1800", "900s", per_shot="0.00035", per_circuit="0.3") == (
        "qpu: session analysis: worst case 450.00 EUR (1800.00 EUR/h for its max_duration), "
        "plus 0.00035 EUR per shot and 0.30 EUR per circuit"
    )


def test_the_preview_line_of_a_free_platform() -> None:
    assert _line("0", None, per_shot="0.01") == (
        "qpu: session analysis: worst case 0.00 EUR (free by the hour), plus 0.01 EUR per shot"
    )


def test_the_preview_line_without_max_duration_says_the_worst_case_is_unknown() -> None:
    line = _line("0.90", None)
    assert line is not None
    assert "worst case unknown until it exists (0.90 EUR/h, no max_duration" in line


def test_the_preview_line_while_max_duration_is_an_unknown_output() -> None:
    costs = cost_outputs(_prices("0.90"), None, accrued=False)
    line = worst_case_line("session s", costs, object())
    assert line is not None
    assert "worst case known at up" in line


def test_no_preview_line_without_prices() -> None:
    assert worst_case_line("session s", {}, "3600s") is None


# --- which budget applies -----------------------------------------------------------


def test_the_session_budget_wins_over_the_stack_budget() -> None:
    assert check_budget("2 EUR", "0.50 EUR", _prices("0.90"), "3600s") is None


def test_the_stack_budget_applies_when_the_session_sets_none() -> None:
    reason = check_budget(None, "0.50 EUR", _prices("0.90"), "3600s")
    assert reason is not None
    assert "exceeds qpu:maxCostPerSession:" in reason


def test_no_budget_anywhere_checks_nothing() -> None:
    assert check_budget(None, None, _prices("0.90"), None) is None
    assert check_budget(None, "", _prices("0.90"), None) is None


def test_a_malformed_budget_fails_even_while_the_platform_is_unknown() -> None:
    reason = check_budget(None, "lots", None, None)
    assert reason is not None
    assert reason.startswith("qpu:maxCostPerSession is not a valid budget: it is not an amount")
    assert "lots" not in reason


def test_a_wellformed_budget_waits_for_up_while_the_platform_is_unknown() -> None:
    assert check_budget("0 EUR", None, None, "3600s") is None


# --- in the provider, through the real dynamic provider host ------------------------


def _provider(emulator: RunningEmulator, **config: str) -> SessionProvider:
    provider = SessionProvider()
    request = ConfigureRequest(Config({**stack_config(emulator), **config}, "project"))
    provider.configure(request)
    return provider


def test_a_sessions_budget_fails_its_max_cost_property(emulator: RunningEmulator) -> None:
    provider = _provider(emulator)
    news = {"platform_name": "EMU-AER-16C-128M", "max_duration": "2h", "max_cost": "1 EUR"}
    failures = [(f.property, f.reason[:22]) for f in provider.check({}, news).failures]
    provider.close()
    assert failures == [("max_cost", "worst case 1.80 EUR (0")]


def test_the_stack_budget_fails_the_resource_not_a_property(emulator: RunningEmulator) -> None:
    provider = _provider(emulator, **{"qpu:maxCostPerSession": "1 EUR"})
    news = {"platform_name": "EMU-AER-16C-128M", "max_duration": "2h"}
    failures = [(f.property, f.reason[:22]) for f in provider.check({}, news).failures]
    provider.close()
    assert failures == [("", "worst case 1.80 EUR (0")]


def test_checked_inputs_carry_the_cost_known_before_the_session_exists(
    emulator: RunningEmulator,
) -> None:
    provider = _provider(emulator)
    news = {"platform_name": "QPU-GARNET-20PQ", "max_duration": "15m"}
    inputs = provider.check({}, news).inputs
    provider.close()
    assert {k: inputs.get(k) for k in COST_OUTPUT_KEYS} == {
        "currency": "EUR",
        "price_per_hour": "1800.00",
        "price_per_shot": "0.00035",
        "price_per_circuit": "0.30",
        "worst_case_cost": "450.00",
        "accrued_cost": None,
    }
