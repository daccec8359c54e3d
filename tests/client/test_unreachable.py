"""An API that cannot be reached: the error says what was tried and what to check."""

from __future__ import annotations

import socket

import httpx
import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import ConnectionFailedError, RequestTimeoutError
from pulumi_qpu.retry import RetryPolicy
from tests.client.conftest import FakeTime

SECRET = "5ec2e7aa-1111-2222-3333-444444444444"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _client(api_url: str, **kwargs: object) -> QaasClient:
    time = FakeTime()
    return QaasClient(
        secret_key=SECRET,
        api_url=api_url,
        retry=RetryPolicy(max_attempts=3, jitter=False),
        sleep=time.sleep,
        clock=time.clock,
        **kwargs,  # type: ignore[arg-type]
    )


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def test_a_stopped_emulator_is_named_with_attempts_time_and_url_source() -> None:
    port = _free_port()  # nothing listens there once the probe is closed
    sources = {"api_url": "environment variable SCW_API_URL"}
    client = _client(f"http://127.0.0.1:{port}", config_sources=sources)
    with client, pytest.raises(ConnectionFailedError) as info:
        list(client.list_platforms())
    message = str(info.value)
    assert "gave up after 3 attempts over 0.8s" in message  # 0.25 + 0.5 s of backoff
    assert (
        f"the API at http://127.0.0.1:{port} (URL from environment variable SCW_API_URL) is "
        "unreachable: ConnectError: "
    ) in message
    assert f"Nothing is listening on 127.0.0.1:{port}" in message
    assert f"qpu-emulator --port {port}" in message
    assert info.value.attempts == 3


def test_an_emulator_url_from_stack_config_is_not_fixed_by_exporting_variables() -> None:
    port = _free_port()
    sources = {"api_url": "stack config qpu:apiUrl"}
    client = _client(f"http://127.0.0.1:{port}", config_sources=sources)
    with client, pytest.raises(ConnectionFailedError) as info:
        list(client.list_platforms())
    message = str(info.value)
    assert "(URL from stack config qpu:apiUrl) is unreachable: ConnectError: " in message
    assert f"s. Nothing is listening on 127.0.0.1:{port}" in message
    # Stack config outranks the environment: exported SCW_* lines would change nothing.
    assert message.endswith(f"Start it with `qpu-emulator --port {port}` (docs/emulator.md).")


def test_an_unreachable_remote_api_names_the_default_url_and_no_emulator() -> None:
    transport = httpx.MockTransport(_refused)
    sources = {"api_url": "default"}  # what resolve_config records when nothing set it
    client = _client("https://api.scaleway.com", transport=transport, config_sources=sources)
    with client, pytest.raises(ConnectionFailedError) as info:
        client.get_session("3cd822eb-ac66-53d6-91da-09695149edc2")
    message = str(info.value)
    assert "gave up after 3 attempts" in message
    assert "the API at https://api.scaleway.com (URL from the default; set SCW_API_URL" in message
    assert "emulator" not in message
    assert "proxy, firewall" in message


def test_a_timeout_keeps_its_class_and_gains_the_attempts() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    client = _client("http://localhost:1", transport=httpx.MockTransport(slow))
    with client, pytest.raises(RequestTimeoutError) as info:
        client.get_session("3cd822eb-ac66-53d6-91da-09695149edc2")
    assert "connecting timed out; gave up after 3 attempts" in str(info.value)
    assert info.value.__context__ is None


def test_an_api_never_reached_is_given_up_after_the_first_contact_attempts() -> None:
    # A wrong URL or an emulator not started: waiting does not heal it, so the default
    # policy's 10 attempts (about 15 s of backoff) are not spent on it.
    port = _free_port()
    time = FakeTime()
    client = QaasClient(
        secret_key=SECRET,
        api_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=10, jitter=False),
        sleep=time.sleep,
        clock=time.clock,
    )
    with client, pytest.raises(ConnectionFailedError) as info:
        list(client.list_platforms())
    assert info.value.attempts == RetryPolicy().first_contact_attempts == 3
    assert time.sleeps == [0.25, 0.5]


def test_once_the_api_answered_a_refused_connection_is_an_outage_and_retried() -> None:
    answered = {"count": 0}

    def first_answers_then_refuses(request: httpx.Request) -> httpx.Response:
        answered["count"] += 1
        if answered["count"] == 1:
            return httpx.Response(200, json={"platforms": [], "total_count": 0})
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    time = FakeTime()
    client = QaasClient(
        secret_key=SECRET,
        api_url="http://127.0.0.1:1",
        retry=RetryPolicy(max_attempts=6, jitter=False),
        transport=httpx.MockTransport(first_answers_then_refuses),
        sleep=time.sleep,
        clock=time.clock,
    )
    with client:
        assert list(client.list_platforms()) == []
        with pytest.raises(ConnectionFailedError) as info:
            list(client.list_platforms())
    assert info.value.attempts == 6
