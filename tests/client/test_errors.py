"""Every reply and failure becomes the right typed error (httpx.MockTransport level).

A server is overkill here: these tests need exact bodies, headers and transport
exceptions that the emulator is not meant to produce (HTML error pages, cut bodies,
echoed tokens, malformed 2xx replies).
"""

from __future__ import annotations

import json
import pickle
import traceback
from collections.abc import Callable
from email.utils import formatdate
from time import time as wall_time
from typing import Any

import httpx
import pytest

from pulumi_qpu import __version__
from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import (
    APIError,
    ConnectionFailedError,
    DeniedAuthenticationError,
    InvalidArgumentsError,
    InvalidDurationError,
    InvalidInputError,
    MissingConfigurationError,
    NotFoundError,
    OutOfStockError,
    PermissionsDeniedError,
    PreconditionFailedError,
    QuotasExceededError,
    RequestTimeoutError,
    ResourceExpiredError,
    ServerError,
    TooManyRequestsError,
    TransientStateError,
    UnexpectedResponseError,
)
from pulumi_qpu.retry import NO_RETRY, RetryPolicy
from tests.client.conftest import FakeTime

SECRET = "5ec2e7aa-1111-2222-3333-444444444444"
PROJECT = "11111111-2222-3333-4444-555555555555"
BASE = "http://qaas.test"
Handler = Callable[[httpx.Request], httpx.Response]


def session_json(**fields: Any) -> dict[str, Any]:
    return {
        "id": "s-1",
        "platform_id": "p-1",
        "project_id": PROJECT,
        "status": "starting",
        **fields,
    }


def make(handler: Handler, **kwargs: Any) -> QaasClient:
    time = FakeTime()
    options: dict[str, Any] = {
        "secret_key": SECRET,
        "api_url": BASE,
        "default_project_id": PROJECT,
        "transport": httpx.MockTransport(handler),
        "retry": NO_RETRY,
        "sleep": time.sleep,
        "clock": time.clock,
    }
    options.update(kwargs)
    return QaasClient(**options)


def reply(status: int, body: Any = None, **kwargs: Any) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, (dict, list)):
            return httpx.Response(status, json=body, **kwargs)
        return httpx.Response(status, content=body or b"", **kwargs)

    return handler


def raising(exc_type: type[httpx.RequestError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)

    return handler


# --- API error types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (
            400,
            {
                "type": "invalid_arguments",
                "message": "invalid argument(s)",
                "details": [{"argument_name": "name", "reason": "constraint"}],
            },
            InvalidArgumentsError,
        ),
        (401, {"type": "denied_authentication", "message": "denied"}, DeniedAuthenticationError),
        (403, {"type": "permissions_denied", "message": "no"}, PermissionsDeniedError),
        (403, {"type": "quotas_exceeded", "message": "quota"}, QuotasExceededError),
        (
            404,
            {
                "type": "not_found",
                "message": "resource is not found",
                "resource": "session",
                "resource_id": "s-1",
            },
            NotFoundError,
        ),
        (409, {"type": "transient_state", "message": "busy"}, TransientStateError),
        (410, {"type": "resource_expired", "message": "gone"}, ResourceExpiredError),
        (410, {"type": "expired", "message": "gone"}, ResourceExpiredError),
        (412, {"type": "precondition_failed", "message": "no"}, PreconditionFailedError),
        (503, {"type": "out_of_stock", "message": "empty"}, OutOfStockError),
        (429, {"type": "too_many_requests", "message": "slow"}, TooManyRequestsError),
        (500, {"type": "internal", "message": "oops"}, ServerError),
    ],
)
def test_error_body_type_picks_the_class(status: int, body: dict[str, Any], cls: type) -> None:
    with pytest.raises(APIError) as info, make(reply(status, body)) as client:
        client.get_session("s-1")
    assert type(info.value) is cls
    assert (info.value.status_code, info.value.type) == (status, body["type"])


def test_error_keeps_the_type_fields() -> None:
    body = {
        "type": "not_found",
        "message": "resource is not found",
        "resource": "session",
        "resource_id": "s-1",
    }
    with pytest.raises(NotFoundError) as info, make(reply(404, body)) as client:
        client.get_session("s-1")
    assert info.value.fields == {"resource": "session", "resource_id": "s-1"}


def test_invalid_arguments_details_are_exposed() -> None:
    details = [{"argument_name": "name", "reason": "constraint", "help_message": "too long"}]
    body = {"type": "invalid_arguments", "message": "invalid", "details": details}
    with pytest.raises(InvalidArgumentsError) as info, make(reply(400, body)) as client:
        client.create_session(platform_id="p-1")
    assert info.value.details == details


def test_error_names_method_and_url() -> None:
    body = {"type": "not_found", "message": "resource is not found"}
    with pytest.raises(NotFoundError) as info, make(reply(404, body)) as client:
        client.terminate_session("s-1")
    assert (info.value.method, info.value.url) == (
        "POST",
        f"{BASE}/qaas/v1alpha1/sessions/s-1/terminate",
    )
    assert f"POST {BASE}/qaas/v1alpha1/sessions/s-1/terminate -> 404" in str(info.value)


def test_unauthenticated_error_hints_at_the_key_and_its_source() -> None:
    body = {"type": "denied_authentication", "message": "denied"}
    sources = {"secret_key": "environment variable SCW_SECRET_KEY"}
    with (
        pytest.raises(DeniedAuthenticationError) as info,
        make(reply(401, body), config_sources=sources) as client,
    ):
        client.get_session("s-1")
    assert "environment variable SCW_SECRET_KEY" in info.value.hint
    assert "qpu:secretKey" in info.value.hint


def test_permission_error_hints_at_iam_and_the_project() -> None:
    body = {"type": "permissions_denied", "message": "no"}
    with pytest.raises(PermissionsDeniedError) as info, make(reply(403, body)) as client:
        client.get_session("s-1")
    assert PROJECT in info.value.hint
    assert "IAM" in info.value.hint


# --- replies that are not the API's shape -------------------------------------------


def test_html_error_page_keeps_the_status_meaning() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    handler = reply(502, page, headers={"Content-Type": "text/html"})
    with pytest.raises(ServerError) as info, make(handler) as client:
        client.get_session("s-1")
    assert "502 Bad Gateway" in info.value.message
    assert "text/html" in info.value.message


def test_non_json_reply_with_unmapped_status_is_unexpected() -> None:
    with pytest.raises(UnexpectedResponseError) as info, make(reply(418, b"teapot")) as client:
        client.get_session("s-1")
    assert info.value.status_code == 418


def test_truncated_json_error_body_still_gives_the_status_class() -> None:
    with pytest.raises(NotFoundError) as info, make(reply(404, b'{"type": "not_fo')) as client:
        client.get_session("s-1")
    assert info.value.status_code == 404


def test_redirect_is_not_followed() -> None:
    handler = reply(302, b"", headers={"Location": "http://elsewhere.test/"})
    with pytest.raises(UnexpectedResponseError) as info, make(handler) as client:
        client.get_session("s-1")
    assert info.value.status_code == 302


def test_success_that_is_not_json_is_unexpected() -> None:
    with pytest.raises(UnexpectedResponseError) as info, make(reply(200, b"ok")) as client:
        client.get_session("s-1")
    assert "not JSON" in info.value.message


def test_truncated_success_body_is_unexpected() -> None:
    handler = reply(200, json.dumps(session_json()).encode()[:30])
    with pytest.raises(UnexpectedResponseError), make(handler) as client:
        client.get_session("s-1")


def test_success_that_does_not_validate_is_unexpected_not_a_pydantic_error() -> None:
    with pytest.raises(UnexpectedResponseError) as info, make(reply(200, {"id": 3})) as client:
        client.get_session("s-1")
    assert "platform_id" in info.value.message
    assert info.value.__cause__ is None


# --- transport failures -------------------------------------------------------------


def test_connect_failure_is_connection_failed_and_unsent() -> None:
    with pytest.raises(ConnectionFailedError) as info, make(raising(httpx.ConnectError)) as c:
        c.get_session("s-1")
    assert info.value.request_sent is False


def test_reset_after_sending_is_connection_failed_and_sent() -> None:
    handler = raising(httpx.RemoteProtocolError)
    with pytest.raises(ConnectionFailedError) as info, make(handler) as client:
        client.get_session("s-1")
    assert info.value.request_sent is True


@pytest.mark.parametrize(
    "exc_type", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout]
)
def test_timeouts_are_request_timeout_errors(exc_type: type[httpx.RequestError]) -> None:
    with pytest.raises(RequestTimeoutError), make(raising(exc_type)) as client:
        client.get_session("s-1")


def test_transport_error_chains_nothing_that_holds_the_request() -> None:
    with pytest.raises(ConnectionFailedError) as info, make(raising(httpx.ReadError)) as c:
        c.get_session("s-1")
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


# --- the secret key never shows -----------------------------------------------------


def test_secret_key_echoed_by_the_server_is_hidden() -> None:
    body = {"type": "denied_authentication", "message": f"bad token {SECRET}", "token": SECRET}
    with pytest.raises(DeniedAuthenticationError) as info, make(reply(401, body)) as client:
        client.get_session("s-1")
    rendered = "".join(traceback.format_exception(info.value)) + repr(info.value.fields)
    assert SECRET not in rendered


def test_client_repr_hides_the_secret_key() -> None:
    with make(reply(200, session_json())) as client:
        assert SECRET not in repr(client)
        assert "<hidden>" in repr(client)


def test_client_cannot_be_pickled() -> None:
    with make(reply(200, session_json())) as client, pytest.raises(TypeError):
        pickle.dumps(client)


# --- what is sent -------------------------------------------------------------------


def recording(response: Handler) -> tuple[list[httpx.Request], Handler]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response(request)

    return seen, handler


def test_user_agent_names_pulumi_qpu_and_its_version() -> None:
    seen, handler = recording(reply(200, session_json()))
    with make(handler) as client:
        client.get_session("s-1")
    assert seen[0].headers["User-Agent"].startswith(f"pulumi-qpu/{__version__} ")


def test_secret_key_is_sent_as_x_auth_token() -> None:
    seen, handler = recording(reply(200, session_json()))
    with make(handler) as client:
        client.get_session("s-1")
    assert seen[0].headers["X-Auth-Token"] == SECRET


def test_session_id_cannot_escape_its_path() -> None:
    seen, handler = recording(reply(200, session_json()))
    with make(handler) as client:
        client.get_session("../platforms")
    assert seen[0].url.raw_path == b"/qaas/v1alpha1/sessions/..%2Fplatforms"


def test_durations_are_sent_in_wire_form() -> None:
    seen, handler = recording(reply(200, session_json()))
    with make(handler) as client:
        client.create_session(platform_id="p-1", max_duration="1h30m", max_idle_duration=90)
    body = json.loads(seen[0].content)
    assert (body["max_duration"], body["max_idle_duration"]) == ("5400s", "90s")


def test_bad_duration_is_refused_before_any_request() -> None:
    seen, handler = recording(reply(200, session_json()))
    with pytest.raises(InvalidDurationError), make(handler) as client:
        client.create_session(platform_id="p-1", max_duration="soon")
    assert seen == []


def test_tags_given_as_a_string_are_refused() -> None:
    with pytest.raises(InvalidInputError), make(reply(200, session_json())) as client:
        client.create_session(platform_id="p-1", tags="prod")


def test_unknown_order_by_lists_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="name_desc"), make(reply(200, {})) as client:
        client.list_sessions(order_by="newest")


def test_create_without_any_project_says_where_to_set_one() -> None:
    with (
        pytest.raises(MissingConfigurationError) as info,
        make(reply(200, session_json()), default_project_id=None) as client,
    ):
        client.create_session(platform_id="p-1")
    assert info.value.field == "project_id"


def test_empty_secret_key_is_missing_configuration() -> None:
    with pytest.raises(MissingConfigurationError):
        QaasClient(secret_key="")


def test_update_with_nothing_to_change_sends_no_patch() -> None:
    seen, handler = recording(reply(200, session_json()))
    with make(handler) as client:
        client.update_session("s-1")
    assert [r.method for r in seen] == ["GET"]


# --- retries that MockTransport can show exactly ------------------------------------


def sequence(*responses: Handler) -> Handler:
    remaining = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return remaining.pop(0)(request) if len(remaining) > 1 else remaining[0](request)

    return handler


def test_create_without_deduplication_id_is_retried_when_the_connection_never_opened() -> None:
    seen, handler = recording(sequence(raising(httpx.ConnectError), reply(200, session_json())))
    with make(handler, retry=RetryPolicy()) as client:
        client.create_session(platform_id="p-1")
    assert len(seen) == 2


def test_retry_after_http_date_is_honoured() -> None:
    time = FakeTime()
    header = formatdate(timeval=wall_time() + 20, usegmt=True)
    handler = sequence(reply(503, b"", headers={"Retry-After": header}), reply(200, session_json()))
    with make(handler, retry=RetryPolicy(), sleep=time.sleep, clock=time.clock) as client:
        client.get_session("s-1")
    assert len(time.sleeps) == 1
    assert 15.0 <= time.sleeps[0] <= 20.0  # whole seconds on the wire, minus time elapsed


def test_retry_after_seconds_are_slept() -> None:
    time = FakeTime()
    handler = sequence(reply(429, b"", headers={"Retry-After": "3"}), reply(200, session_json()))
    with make(handler, retry=RetryPolicy(), sleep=time.sleep, clock=time.clock) as client:
        client.get_session("s-1")
    assert time.sleeps == [3.0]


def test_delete_404_on_first_attempt_is_not_found() -> None:
    body = {"type": "not_found", "message": "resource is not found"}
    with pytest.raises(NotFoundError), make(reply(404, body), retry=RetryPolicy()) as client:
        client.delete_session("s-1")


def test_delete_404_after_a_lost_reply_is_success() -> None:
    body = {"type": "not_found", "message": "resource is not found"}
    seen, handler = recording(sequence(raising(httpx.ReadError), reply(404, body)))
    with make(handler, retry=RetryPolicy()) as client:
        client.delete_session("s-1")
    assert len(seen) == 2


def test_the_apis_reason_is_shown_without_an_echoed_key() -> None:
    details = [
        {"argument_name": "name", "reason": "format", "help_message": f"{SECRET} is no name"},
        {"argument_name": "tags", "reason": "required"},
    ]
    body = {"type": "invalid_arguments", "message": "invalid argument(s)", "details": details}
    with pytest.raises(InvalidArgumentsError) as info, make(reply(400, body)) as client:
        client.create_session(platform_id="p-1")
    assert str(info.value).endswith(
        "400 invalid_arguments: name: <hidden> is no name; tags is required"
    )
    assert SECRET not in str(info.value) + repr(info.value.fields)
