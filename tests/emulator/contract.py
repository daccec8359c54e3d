"""Checking emulator replies against schema/qaas-sessions.openapi.yml with openapi-core.

openapi-core is the validator; this module only adapts httpx exchanges to its request
and response protocols. :func:`check_reply` is installed as a response hook on every
client of :func:`tests.emulator.helpers.api`, so every reply of every emulator test is
checked against the contract, not only those of ``test_schema.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "qaas-sessions.openapi.yml"


class OpenAPIRequest:
    """An httpx request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        self.path = url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")


class OpenAPIResponse:
    """An httpx response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "application/json")
        self.data: bytes | None = response.content or None


@functools.lru_cache(maxsize=16)
def contract(base_url: str) -> OpenAPI:
    """The project's schema, served at ``base_url`` (an emulator's URL)."""
    spec: dict[str, Any] = yaml.safe_load(SCHEMA.read_text())
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec)


def check_reply(response: httpx.Response, *, check_request: bool = False) -> None:
    """Raise if ``response`` (and, on demand, its request) breaks the contract."""
    response.read()
    url = response.request.url
    openapi = contract(f"{url.scheme}://{url.netloc.decode()}")
    request = OpenAPIRequest(response.request)
    try:
        if check_request:
            openapi.validate_request(request)
        openapi.validate_response(request, OpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        # Routes outside the contract may only answer "no such route" / "wrong method".
        assert response.status_code in (404, 405), response.text
