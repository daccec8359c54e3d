"""Replies that break the contract: a clear error, and the host lives on to answer the
next call. Through the real host against a loopback server that says what it is told."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.provider import SessionProvider
from tests.reliability.loopback import Loopback, Reply, session_body
from tests.support.host import HostCallError, ProviderHost

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PROJECT = str(uuid.uuid4())
PLATFORM_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
PROVIDER = serialize_provider(SessionProvider())


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


@pytest.fixture
def loophost(loopback: Loopback, tmp_path: Path) -> Iterator[ProviderHost]:
    env = {
        "SCW_API_URL": loopback.url,
        "SCW_SECRET_KEY": SECRET,
        "SCW_DEFAULT_PROJECT_ID": PROJECT,
        "SCW_CONFIG_PATH": str(tmp_path / "none.yaml"),
    }
    with ProviderHost(env) as host:
        host.configure({})
        yield host


def body(**fields: Any) -> dict[str, Any]:
    return session_body(PROJECT, PLATFORM_ID, **fields)


def create(host: ProviderHost, **inputs: Any) -> tuple[str, dict[str, Any]]:
    checked = host.check(URN, {}, {"__provider": PROVIDER, "platform_id": PLATFORM_ID, **inputs})
    assert checked.failures == []
    return host.create(URN, checked.inputs)


def reason(error: HostCallError) -> str:
    """The provider's own message: the last line of what the engine is shown."""
    return error.details.strip().splitlines()[-1]


def assert_host_answers_next_call(host: ProviderHost, loopback: Loopback) -> None:
    running = Reply.json(200, body(status="running", name="after"))
    loopback.replies[("POST", "sessions")] = running
    loopback.replies[("GET", "session")] = running
    assert host.alive
    id_, outs = create(host, name="after")
    assert (id_, outs["status"]) == (body()["id"], "running")


FULL = json.dumps(body()).encode()
MALFORMED = {
    "error body not JSON": (
        Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        r"502.*text/html.*Bad Gateway",
    ),
    "session without its id": (
        Reply.json(200, {k: v for k, v in body().items() if k != "id"}),
        r"not a valid Session: id: Field required",
    ),
    "body truncated": (Reply(200, FULL[:70]), r"not JSON"),
    "reply cut on the wire": (Reply(200, FULL, cut=70), r"ConnectionFailedError|closed|incomplete"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.timeout(120)  # a 5xx is retried: ten attempts of backoff take up to ~40 s
def test_malformed_reply_to_create_is_a_clear_error_and_the_host_lives_on(
    case: str, loopback: Loopback, loophost: ProviderHost
) -> None:
    reply, expected = MALFORMED[case]
    loopback.replies[("POST", "sessions")] = reply
    with pytest.raises(HostCallError) as caught:
        create(loophost, wait_for_running=False)
    assert re.search(expected, reason(caught.value), re.S), reason(caught.value)
    assert_host_answers_next_call(loophost, loopback)


def test_unknown_status_is_kept_as_unknown_status(
    loopback: Loopback, loophost: ProviderHost
) -> None:
    loopback.replies[("POST", "sessions")] = Reply.json(200, body(status="hibernating"))
    _, outs = create(loophost, wait_for_running=False)
    assert outs["status"] == "unknown_status"
    assert_host_answers_next_call(loophost, loopback)


@pytest.mark.timeout(60)
def test_waiting_on_an_unknown_status_times_out_clearly_and_ends_the_session(
    loopback: Loopback, loophost: ProviderHost
) -> None:
    hibernating = Reply.json(200, body(status="hibernating"))
    loopback.replies[("POST", "sessions")] = hibernating
    loopback.replies[("GET", "session")] = hibernating
    loopback.replies[("POST", "terminate")] = Reply.json(200, body(status="stopping"))
    with pytest.raises(HostCallError) as caught:
        create(loophost, create_timeout="1s")
    assert re.search(r"did not reach running.*unknown_status.*terminated", reason(caught.value))
    assert loopback.calls("POST", "terminate") == 1  # nothing left running
    assert_host_answers_next_call(loophost, loopback)


@pytest.mark.parametrize("case", ["body truncated", "session without its id"])
def test_malformed_reply_to_refresh_is_a_clear_error(
    case: str, loopback: Loopback, loophost: ProviderHost
) -> None:
    loopback.replies[("POST", "sessions")] = Reply.json(200, body(status="running"))
    id_, outs = create(loophost)
    loopback.replies[("GET", "session")] = MALFORMED[case][0]
    with pytest.raises(HostCallError) as caught:
        loophost.read(id_, URN, outs)
    assert re.search(MALFORMED[case][1], reason(caught.value))
    assert_host_answers_next_call(loophost, loopback)


PLATFORMS = ("GET", "/qaas/v1alpha1/platforms")


def test_garbage_from_the_platform_lookup_fails_check_on_platform_name(
    loopback: Loopback, loophost: ProviderHost
) -> None:
    loopback.replies[PLATFORMS] = Reply(200, b"<html>maintenance</html>", "text/html")
    checked = loophost.check(URN, {}, {"__provider": PROVIDER, "platform_name": "EMU-X"})
    [(prop, text)] = checked.failures
    assert prop == "platform_name"
    assert "not JSON" in text
    assert loophost.alive


def test_platform_with_unknown_enum_values_still_resolves(
    loopback: Loopback, loophost: ProviderHost
) -> None:
    platform = {
        "id": PLATFORM_ID,
        "name": "EMU-X",
        "type": "quantum_annealer",
        "technology": "alien",
        "availability": "sometimes",
    }
    loopback.replies[PLATFORMS] = Reply.json(200, {"platforms": [platform], "total_count": 1})
    checked = loophost.check(URN, {}, {"__provider": PROVIDER, "platform_name": "EMU-X"})
    assert checked.failures == []
    assert checked.inputs["platform_id"] == PLATFORM_ID
