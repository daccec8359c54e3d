"""Thousands of generated inputs thrown at check: it always answers, never changes
anything remotely, and every failure names the property to fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckResult
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from pulumi_qpu.provider import INPUT_KEYS, SessionProvider
from tests.reliability.helpers import PLATFORM, mutations
from tests.support.emulator import RunningEmulator
from tests.support.host import ProviderHost

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PLATFORM_ID = "3cd822eb-ac66-53d6-91da-09695149edc2"  # EMU-AER-16C-128M, stable uuid5
DIRECT_EXAMPLES = 2500
HOST_EXAMPLES = 300

# Values a user plausibly gets almost right, so generation reaches the deep branches.
NEAR_MISSES = [
    "",
    " ",
    "0",
    "-5s",
    "1h",
    "3600s",
    "PT1H30M",
    "forever",
    "1e400",
    "nan",
    rpc.UNKNOWN,
    PLATFORM,
    PLATFORM.lower(),
    "EMU-AER-16C",
    PLATFORM_ID,
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "terminate",
    "terminate_and_delete",
    "delete",
    "x" * 300,
    '{"shots": 100}',
    "{not json",
    "2030-01-01T10:00:00Z",
    "yesterday",
]


def json_values(*, finite: bool) -> st.SearchStrategy[Any]:
    """Any JSON-like value, with near misses; ``finite`` keeps NaN and infinities out."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=not finite, allow_infinity=not finite),
        st.text(max_size=30),
        st.sampled_from(NEAR_MISSES),
    )
    # booking_demand's own fields, so nested validation is reached too.
    field_names = st.text(max_size=12) | st.sampled_from(["started_at", "finished_at"])
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(field_names, inner, max_size=4),
            inner.map(rpc.wrap_rpc_secret),  # a value the program marked secret
        ),
        max_leaves=12,
    )


def inputs(*, finite: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A Session's inputs: a plausible base with arbitrary keys and values laid over it."""
    base = st.sampled_from(
        [{}, {"platform_name": PLATFORM}, {"platform_id": PLATFORM_ID}, {"resource_key": "p/s/r"}]
    )
    keys = st.sampled_from(INPUT_KEYS) | st.text(max_size=15)
    extra = st.dictionaries(keys, json_values(finite=finite), max_size=8)
    return st.builds(lambda b, e: {**b, **e}, base, extra)


def olds(*, finite: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Stored inputs: none (a new resource) or a previous generation, however malformed."""
    return st.one_of(
        st.just({}),
        st.builds(
            lambda g: {"platform_id": PLATFORM_ID, "generation": g},
            json_values(finite=finite),
        ),
    )


def generated(examples: int) -> settings:
    """Run ``examples`` generated cases, the same ones every run (derandomized), unhurried."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def assert_named_failures(failures: list[tuple[str, str]], given: dict[str, Any]) -> None:
    """Each failure names a property the user gave or a Session takes, and says why."""
    for prop, reason in failures:
        assert prop in given or prop in INPUT_KEYS, f"failure names no property: {reason}"
        assert reason


@pytest.mark.timeout(150)
def test_check_answers_thousands_of_generated_inputs_without_changing_anything(
    provider: SessionProvider, qpu: RunningEmulator
) -> None:
    qpu.reset_counters()
    seen = {"examples": 0, "failed": 0}

    @generated(DIRECT_EXAMPLES)
    @given(old=olds(finite=False), new=inputs(finite=False))
    def check_one(old: dict[str, Any], new: dict[str, Any]) -> None:
        result = provider.check(old, new)  # an exception here fails the property
        assert isinstance(result, CheckResult)
        failures = [(f.property, f.reason) for f in result.failures or []]
        assert_named_failures(failures, new)
        seen["examples"] += 1
        seen["failed"] += bool(failures)
        if not failures and rpc.UNKNOWN not in json.dumps(_plain(result.inputs)):
            # What passes check with every value known (an up, not a preview) must be
            # storable: JSON without NaN or infinities.
            json.dumps(_plain(result.inputs), allow_nan=False)

    check_one()
    assert seen["examples"] >= DIRECT_EXAMPLES
    assert 0 < seen["failed"] < seen["examples"]  # both sides were reached
    assert mutations(qpu.counters()) == {}
    print(f"check: {seen['examples']} generated inputs, {seen['failed']} rejected")


@pytest.mark.timeout(120)
def test_check_through_the_host_survives_generated_inputs(
    host: ProviderHost, qpu: RunningEmulator
) -> None:
    provider = serialize_provider(SessionProvider())
    qpu.reset_counters()

    @generated(HOST_EXAMPLES)
    @given(old=olds(finite=True), new=inputs(finite=True))
    def check_one(old: dict[str, Any], new: dict[str, Any]) -> None:
        outcome = host.check(URN, old, {**new, "__provider": provider})
        assert_named_failures(outcome.failures, new)

    check_one()
    assert host.alive
    assert mutations(qpu.counters()) == {}
    # And the host still serves a sound request.
    sound = host.check(URN, {}, {"__provider": provider, "platform_name": PLATFORM})
    assert sound.failures == []
    assert sound.inputs["platform_id"] == PLATFORM_ID


def _plain(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
