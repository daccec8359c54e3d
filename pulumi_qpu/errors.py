"""Every error pulumi-qpu raises, in one hierarchy.

```
QpuError
├── InvalidDurationError          (also ValueError) a duration that cannot be parsed
├── InvalidBudgetError            (also ValueError) a budget that is not an amount of money
├── InvalidInputError             (also ValueError) a client argument rejected before sending
├── ConfigurationError            credentials, project or URL cannot be resolved
│   ├── MissingConfigurationError     a value is set nowhere (lists every place looked)
│   └── InvalidConfigurationError     a value is set but malformed (names the field)
├── TransportError                the request never got an HTTP reply
│   ├── RequestTimeoutError           connect/read/write timeout
│   └── ConnectionFailedError         refused, reset, DNS, ...
├── APIError                      the API replied with an error (or with garbage)
│   ├── InvalidArgumentsError         400 invalid_arguments (details)
│   ├── DeniedAuthenticationError     401 denied_authentication
│   ├── PermissionsDeniedError        403 permissions_denied (details)
│   ├── QuotasExceededError           403 quotas_exceeded
│   ├── NotFoundError                 404 not_found (resource, resource_id)
│   │   └── PlatformNotFoundError         no platform has that name (closest_names; the
│   │                                     listing itself answered 200)
│   ├── TransientStateError           409 transient_state (current_state)
│   ├── ResourceExpiredError          410 resource_expired / expired
│   ├── PreconditionFailedError       412 precondition_failed
│   ├── OutOfStockError               out_of_stock
│   ├── TooManyRequestsError          429 too_many_requests (limit, reset_seconds)
│   ├── ServerError                   5xx
│   └── UnexpectedResponseError       a reply that is not what the contract says
└── WaitError                     waiting for a session did not reach the wanted state
    ├── WaitTimeoutError              the deadline passed first
    └── SessionEndedError             the session ended (stopped/gone) instead
```

No message, ``repr`` or attribute of these classes ever holds the secret key: the
client never passes it in, and the request headers are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "APIError",
    "ConfigurationError",
    "ConnectionFailedError",
    "DeniedAuthenticationError",
    "InvalidArgumentsError",
    "InvalidBudgetError",
    "InvalidConfigurationError",
    "InvalidDurationError",
    "InvalidInputError",
    "MissingConfigurationError",
    "NotFoundError",
    "OutOfStockError",
    "PermissionsDeniedError",
    "PlatformNotFoundError",
    "PreconditionFailedError",
    "QpuError",
    "QuotasExceededError",
    "RequestTimeoutError",
    "ResourceExpiredError",
    "ServerError",
    "SessionEndedError",
    "TooManyRequestsError",
    "TransientStateError",
    "TransportError",
    "UnexpectedResponseError",
    "WaitError",
    "WaitTimeoutError",
    "error_class_for",
    "explanation",
]


class QpuError(Exception):
    """Base class of every error raised by pulumi-qpu."""


class InvalidDurationError(QpuError, ValueError):
    """A duration that is not a positive number of seconds or a known duration text.

    ``reason`` never holds the value, so it can be shown where the value may be secret.
    """

    FORMS: ClassVar[str] = 'Use seconds (3600, 2.5), "90s", "1h30m", "1d" or ISO 8601 ("PT1H30M").'
    """The forms a duration may take: the fix, in every message."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"invalid duration {value!r}: {reason}. {self.FORMS}")


class InvalidBudgetError(QpuError, ValueError):
    """A budget (``max_cost``, ``qpu:maxCostPerSession``) that is not an amount of money.

    ``reason`` never holds the value, so it can be shown where the value may be secret.
    """

    FORMS: ClassVar[str] = (
        'Write an amount and a currency code, like "12.50 EUR" or '
        '{"amount": "12.50", "currency": "EUR"}.'
    )
    """The forms a budget may take: the fix, in every message."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"invalid budget {value!r}: {reason}. {self.FORMS}")


class InvalidInputError(QpuError, ValueError):
    """An argument given to the client is malformed; no request was sent."""

    def __init__(self, argument: str, reason: str) -> None:
        self.argument = argument
        self.reason = reason
        super().__init__(f"invalid {argument}: {reason}")


class ConfigurationError(QpuError):
    """Credentials, project or API URL could not be resolved."""


class MissingConfigurationError(ConfigurationError):
    """A required setting is set nowhere; the message lists every place looked."""

    def __init__(
        self,
        field: str,
        looked: list[str],
        how_to_fix: str,
        *,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self.field = field
        self.looked = list(looked)
        # Where the settings that are set came from: the fix follows the user's habit.
        self.sources = dict(sources or {})
        places = "\n".join(f"  - {place}" for place in looked)
        super().__init__(f"{field} is not set. Looked in:\n{places}\nFix: {how_to_fix}")


class InvalidConfigurationError(ConfigurationError):
    """A setting is present but malformed; the message names the field and its source."""

    def __init__(self, field: str, source: str, reason: str) -> None:
        self.field = field
        self.source = source
        self.reason = reason  # may quote the value: show it only where it cannot be secret
        super().__init__(f"{field} from {source} is invalid: {reason}")


class TransportError(QpuError):
    """The request got no HTTP reply at all.

    Attributes:
        method: the HTTP method of the request.
        url: the URL of the request (it never holds credentials).
        request_sent: False when the failure happened before any byte of the request
            left (connect refused or timed out), so the server cannot have acted on it.
        attempts: how many attempts were made before giving up.

    """

    def __init__(self, message: str, *, method: str, url: str, request_sent: bool = True) -> None:
        self.method = method
        self.url = url
        self.request_sent = request_sent
        self.attempts = 1
        super().__init__(f"{method} {url}: {message}")


class RequestTimeoutError(TransportError):
    """The connection or the reply took longer than the configured timeout."""


class ConnectionFailedError(TransportError):
    """The connection was refused, reset or could not be opened."""


class APIError(QpuError):
    """The API answered with an error.

    Attributes:
        status_code: the HTTP status.
        type: the error type from the body (``not_found``, ...), or ``""``.
        message: the error message from the body, or a summary of the raw body; the
            text of the error adds what the body says besides (:func:`explanation`).
        fields: every other field of the error body (``details``, ``resource``, ...).
        method: the HTTP method of the request.
        url: the URL of the request (it never holds credentials).
        hint: how to fix it, when the client knows (401/403), else ``""``.
        retry_after: seconds the server asked to wait (``Retry-After``), or None.
        attempts: how many attempts were made before giving up.

    """

    error_type: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        type: str = "",
        fields: dict[str, Any] | None = None,
        method: str = "",
        url: str = "",
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.type = type
        self.message = message
        self.fields: dict[str, Any] = dict(fields or {})
        self.method = method
        self.url = url
        self.hint = hint
        self.retry_after = retry_after
        self.attempts = 1
        text = f"{method} {url} -> {status_code}"
        if type:
            text += f" {type}"
        text += f": {explanation(message, self.fields)}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class InvalidArgumentsError(APIError):
    """400 ``invalid_arguments``: ``details`` lists argument_name, reason, help_message."""

    error_type = "invalid_arguments"

    @property
    def details(self) -> list[dict[str, Any]]:
        """The per-argument details of the error body."""
        details = self.fields.get("details")
        return details if isinstance(details, list) else []


class DeniedAuthenticationError(APIError):
    """401 ``denied_authentication``: the secret key is missing, unknown or revoked."""

    error_type = "denied_authentication"


class PermissionsDeniedError(APIError):
    """403 ``permissions_denied``: the key may not act on this project or resource."""

    error_type = "permissions_denied"


class QuotasExceededError(APIError):
    """403 ``quotas_exceeded``."""

    error_type = "quotas_exceeded"


class NotFoundError(APIError):
    """404 ``not_found``: ``resource`` and ``resource_id`` say what is missing."""

    error_type = "not_found"


class PlatformNotFoundError(NotFoundError):
    """No platform has the name asked for; ``closest_names`` lists the nearest ones.

    A :class:`NotFoundError` for callers that catch one, but the API did not answer 404:
    it listed its platforms (``status_code`` is that listing's 200, ``listed`` how many)
    and none had the name, so the message says exactly that, with the count: "lists
    none" alone would read as "the API has no platforms".
    """

    def __init__(
        self, name: str, closest_names: list[str], *, listed: int, method: str, url: str
    ) -> None:
        self.name = name
        self.closest_names = list(closest_names)
        self.listed = listed
        if closest_names:
            suggestion = "closest names: " + ", ".join(closest_names)
        else:
            suggestion = "no platform name is close; list them with list_platforms()"
        found = (
            f"none of the {listed} platforms {method} {url} lists has that name"
            if listed
            else f"{method} {url} lists no platform at all"
        )
        super().__init__(
            f"no platform is named {name!r}",
            status_code=200,
            type="not_found",
            fields={"resource": "platform", "resource_name": name},
            method=method,
            url=url,
            hint=suggestion,
        )
        # Not APIError's "GET <url> -> 404 not_found: ...": the listing succeeded.
        Exception.__init__(
            self,
            f"no platform is named {name!r} ({found}); {suggestion}",
        )


class TransientStateError(APIError):
    """409 ``transient_state``: the resource is ``starting``/``stopping``; try again later."""

    error_type = "transient_state"


class ResourceExpiredError(APIError):
    """410 ``resource_expired`` or ``expired``."""

    error_type = "resource_expired"


class PreconditionFailedError(APIError):
    """412 ``precondition_failed``."""

    error_type = "precondition_failed"


class OutOfStockError(APIError):
    """``out_of_stock``: the platform has no capacity now."""

    error_type = "out_of_stock"


class TooManyRequestsError(APIError):
    """429 ``too_many_requests``: rate limited; ``reset_seconds`` says when to retry."""

    error_type = "too_many_requests"


class ServerError(APIError):
    """A 5xx reply."""


class UnexpectedResponseError(APIError):
    """A reply that does not match the contract (not JSON, missing fields, wrong status)."""


class WaitError(QpuError):
    """Waiting for a session did not end in the wanted state."""

    def __init__(self, message: str, *, session_id: str, last_status: str | None) -> None:
        self.session_id = session_id
        self.last_status = last_status
        super().__init__(message)


class WaitTimeoutError(WaitError):
    """The wait's deadline passed before the session reached the wanted state."""


class SessionEndedError(WaitError):
    """The session ended (stopped or deleted) instead of reaching the wanted state."""


_REASON_WORDS: dict[str, str] = {
    "required": "is required",
    "format": "is wrongly formatted",
    "constraint": "does not respect a constraint",
}
_MOST_DETAILS = 5


def explanation(message: str, fields: Mapping[str, Any]) -> str:
    """Say why the API refused, in its own words: its message and what the type adds.

    A Scaleway error body carries its reason besides ``message``: ``details`` of
    ``invalid_arguments`` (``argument_name``, ``reason``, ``help_message`` each),
    ``details`` of ``quotas_exceeded`` (``resource``, ``quota``, ``current``), and a
    top-level ``help_message`` (``precondition_failed``, ``too_many_requests``).
    ``invalid_arguments``'s message only lists the argument names the details repeat, so
    the details replace it: ``booking_demand.finished_at: on QPU-GARNET-20PQ the
    booking lasts at least 900s from its start``. Values that are not strings are
    ignored: a malformed body still gives its message.
    """
    details = fields.get("details")
    entries = [d for d in details if isinstance(d, Mapping)] if isinstance(details, list) else []
    arguments = [_argument(d) for d in entries if isinstance(d.get("argument_name"), str)]
    quotas = [_quota(d) for d in entries if isinstance(d.get("resource"), str) and "quota" in d]
    said = arguments or quotas
    text = message
    if arguments:
        text = "; ".join(arguments[:_MOST_DETAILS])  # the message only lists these names
    elif quotas:
        text = f"{message}: " + "; ".join(quotas[:_MOST_DETAILS]) if message else "; ".join(quotas)
    if len(said) > _MOST_DETAILS:
        text += f" (and {len(said) - _MOST_DETAILS} more)"
    help_message = fields.get("help_message")
    if isinstance(help_message, str) and help_message.strip() and help_message not in text:
        text = f"{text}: {help_message.strip()}" if text else help_message.strip()
    return text


def _argument(detail: Mapping[str, Any]) -> str:
    name = detail["argument_name"]
    help_message = detail.get("help_message")
    if isinstance(help_message, str) and help_message.strip():
        return f"{name}: {help_message.strip()}"
    reason = detail.get("reason")
    words = _REASON_WORDS.get(reason, "is invalid") if isinstance(reason, str) else "is invalid"
    return f"{name} {words}"


def _quota(detail: Mapping[str, Any]) -> str:
    return f"{detail['resource']} (quota {detail.get('quota')}, in use {detail.get('current')})"


_BY_TYPE: dict[str, type[APIError]] = {
    cls.error_type: cls
    for cls in (
        InvalidArgumentsError,
        DeniedAuthenticationError,
        PermissionsDeniedError,
        QuotasExceededError,
        NotFoundError,
        TransientStateError,
        ResourceExpiredError,
        PreconditionFailedError,
        OutOfStockError,
        TooManyRequestsError,
    )
}
_BY_TYPE["expired"] = ResourceExpiredError

_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidArgumentsError,
    401: DeniedAuthenticationError,
    403: PermissionsDeniedError,
    404: NotFoundError,
    409: TransientStateError,
    410: ResourceExpiredError,
    412: PreconditionFailedError,
    429: TooManyRequestsError,
}


def error_class_for(status_code: int, error_type: str) -> type[APIError]:
    """Pick the error class for a reply: by the body's ``type``, else by the status."""
    if error_type in _BY_TYPE:
        return _BY_TYPE[error_type]
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIError)
