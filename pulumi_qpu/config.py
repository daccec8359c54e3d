"""Where the client's settings come from: one resolution, one precedence.

Each setting is taken from the first of these places that sets it (empty counts as
unset):

1. explicit arguments to :func:`resolve_config`;
2. Pulumi stack config as the provider's ``configure`` receives it
   (``qpu:secretKey``, ``qpu:projectId``, ``qpu:apiUrl``, ``qpu:profile``);
3. the environment (``SCW_SECRET_KEY``, ``SCW_DEFAULT_PROJECT_ID``, ``SCW_API_URL``,
   ``SCW_PROFILE``);
4. the scw config file — ``$SCW_CONFIG_PATH``, else ``$XDG_CONFIG_HOME/scw/config.yaml``,
   else ``~/.config/scw/config.yaml``. Its top-level keys are the default profile,
   ``profiles:`` holds named ones, and ``active_profile`` picks one unless a profile is
   named above. A named profile falls back to the top-level keys for what it lacks, as
   the scw CLI does.

The API URL falls back to :data:`DEFAULT_API_URL`. Values are checked here, so a bad one
is reported with its field and its source before any request is made. The secret key is
never part of a message or a ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pulumi_qpu.errors import (
    ConfigurationError,
    InvalidConfigurationError,
    MissingConfigurationError,
)
from pulumi_qpu.models import UUID_PATTERN

__all__ = [
    "DEFAULT_API_URL",
    "ResolvedConfig",
    "config_file_path",
    "fix_for",
    "for_stack",
    "resolve_config",
    "stack_problem",
    "validate_api_url",
    "validate_project_id",
    "validate_secret_key",
]

DEFAULT_API_URL = "https://api.scaleway.com"
"""The Scaleway API; QaaS is global, so there is no region in the URL."""

# field -> (stack config key, environment variable, config file key)
_PLACES: dict[str, tuple[str, str, str]] = {
    "secret_key": ("qpu:secretKey", "SCW_SECRET_KEY", "secret_key"),
    "project_id": ("qpu:projectId", "SCW_DEFAULT_PROJECT_ID", "default_project_id"),
    "api_url": ("qpu:apiUrl", "SCW_API_URL", "api_url"),
}
_UUID = re.compile(UUID_PATTERN)
_HOW_TO_SET_SECRET = (
    "export SCW_SECRET_KEY=<secret key>, or `pulumi config set --secret qpu:secretKey "
    "<secret key>`, or run `scw init` (writes secret_key to the scw config file), or pass "
    "secret_key= explicitly. Create a key in the Scaleway console under IAM > API keys."
)
_HOW_TO_SET_PROJECT = (
    "export SCW_DEFAULT_PROJECT_ID=<project uuid>, or `pulumi config set qpu:projectId "
    "<project uuid>`, or set default_project_id in the scw config file, or pass "
    "project_id= explicitly."
)


@dataclass(frozen=True)
class ResolvedConfig:
    """Settings for a client, each with the place it came from.

    Attributes:
        secret_key: the API secret key (hidden from ``repr``).
        project_id: the default project for creates and lists, or None.
        api_url: the API base URL, without a trailing slash.
        profile: the scw config profile used, or None for the default one.
        sources: field name -> where its value came from, e.g.
            ``{"secret_key": "environment variable SCW_SECRET_KEY"}``.

    """

    secret_key: str = field(repr=False)
    project_id: str | None
    api_url: str
    profile: str | None
    sources: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Show every field but the secret key, which shows as ``<hidden>``."""
        return (
            f"ResolvedConfig(secret_key=<hidden>, project_id={self.project_id!r}, "
            f"api_url={self.api_url!r}, profile={self.profile!r}, sources={self.sources!r})"
        )


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """Path of the scw config file the environment designates (it may not exist)."""
    env = os.environ if environ is None else environ
    explicit = env.get("SCW_CONFIG_PATH", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    if xdg:
        return Path(xdg) / "scw" / "config.yaml"
    home = env.get("HOME", "").strip()
    if home:
        return Path(home) / ".config" / "scw" / "config.yaml"
    if environ is None:
        return Path.home() / ".config" / "scw" / "config.yaml"
    # An explicit environment without HOME: never reach for the real user's file.
    return Path("~") / ".config" / "scw" / "config.yaml"


def validate_secret_key(value: str, source: str) -> str:
    """Return the secret key stripped; reject one that cannot be sent as a header."""
    key = value.strip()
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        # The value itself is never quoted: it is a credential.
        raise InvalidConfigurationError(
            "secret_key", source, "it contains spaces or control characters"
        )
    return key


def validate_project_id(value: str, source: str) -> str:
    """Return the project id (a UUID, lower-cased) or raise naming the field and source."""
    text = value.strip()
    if not _UUID.match(text):
        raise InvalidConfigurationError(
            "project_id",
            source,
            f"{text!r} is not a UUID like 11111111-2222-3333-4444-555555555555",
        )
    return text.lower()


def validate_api_url(value: str, source: str) -> str:
    """Return the API URL without a trailing slash; reject paths, credentials, no scheme."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidConfigurationError("api_url", source, f"{text!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidConfigurationError(
            "api_url",
            source,
            f"{text!r} is not an absolute http(s) URL like {DEFAULT_API_URL}",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidConfigurationError(
            "api_url", source, "it holds credentials; put the key in secret_key instead"
        )
    if parts.path.rstrip("/") or parts.query or parts.fragment:
        raise InvalidConfigurationError(
            "api_url",
            source,
            f"{text!r} has a path, query or fragment; give the base URL only, "
            f"like {DEFAULT_API_URL} (the client adds /qaas/v1alpha1)",
        )
    return f"{parts.scheme}://{parts.netloc}"


def resolve_config(
    *,
    secret_key: str | None = None,
    project_id: str | None = None,
    api_url: str | None = None,
    profile: str | None = None,
    stack_config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    require_project: bool = False,
    require_secret_key: bool = True,
) -> ResolvedConfig:
    """Resolve the client settings from arguments, stack config, environment and file.

    Args:
        secret_key: explicit secret key; beats every other place.
        project_id: explicit default project id.
        api_url: explicit API base URL.
        profile: explicit scw config profile name.
        stack_config: the Pulumi stack config as ``configure`` receives it
            (``{"qpu:secretKey": ..., ...}``).
        environ: the environment to read (default ``os.environ``).
        require_project: raise when no project id is set anywhere.
        require_secret_key: raise when no secret key is set anywhere (the default);
            False gives ``secret_key=""`` instead, for a caller that needs the other
            settings only (the project a check fills in), so that one missing setting
            is not reported as the failure of another.

    Raises:
        MissingConfigurationError: no secret key (or no project id when required);
            the message lists every place looked and how to set it.
        InvalidConfigurationError: a value is malformed, or the file or profile asked
            for cannot be read; names the field and its source.

    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    stack = stack_config or {}
    explicit = {"secret_key": secret_key, "project_id": project_id, "api_url": api_url}
    sources: dict[str, str] = {}

    profile_name, profile_source = _first_set(
        [
            (profile, "argument profile"),
            (_stack_value(stack, "qpu:profile"), "stack config qpu:profile"),
            (env.get("SCW_PROFILE"), "environment variable SCW_PROFILE"),
        ]
    )
    path = config_file_path(environ)
    file_layer = _FileLayer(path, profile_name, profile_source)

    values: dict[str, str | None] = {}
    for name, (stack_key, env_key, file_key) in _PLACES.items():
        value, source = _first_set(
            [
                (explicit[name], f"argument {name}"),
                (_stack_value(stack, stack_key), f"stack config {stack_key}"),
                (env.get(env_key), f"environment variable {env_key}"),
            ]
        )
        if value is None:
            value, source = file_layer.get(file_key)
        values[name] = value
        if source is not None:
            sources[name] = source

    key = ""
    if values["secret_key"] is not None:
        key = validate_secret_key(values["secret_key"], sources["secret_key"])
    elif require_secret_key:
        raise MissingConfigurationError(
            "secret_key", _looked("secret_key", file_layer), _HOW_TO_SET_SECRET, sources=sources
        )

    project: str | None = None
    if values["project_id"] is not None:
        project = validate_project_id(values["project_id"], sources["project_id"])
    elif require_project:
        raise MissingConfigurationError(
            "project_id", _looked("project_id", file_layer), _HOW_TO_SET_PROJECT, sources=sources
        )

    if values["api_url"] is not None:
        url = validate_api_url(values["api_url"], sources["api_url"])
    else:
        url = DEFAULT_API_URL
        sources["api_url"] = "default"

    resolved_profile, where = profile_name, profile_source
    if file_layer.loaded:  # the file may have picked one through active_profile
        resolved_profile, where = file_layer.profile_used, file_layer.profile_source
    if resolved_profile is not None and where is not None:
        sources["profile"] = where
    return ResolvedConfig(
        secret_key=key, project_id=project, api_url=url, profile=resolved_profile, sources=sources
    )


# What a value-bearing setting must look like: said instead of the reason, which quotes
# the value (stack config may hold it as a secret).
_EXPECTED: dict[str, tuple[str, str]] = {
    "secret_key": ("<secret key>", "a secret key, without spaces or control characters"),
    "project_id": ("<project uuid>", "a project UUID like 11111111-2222-3333-4444-555555555555"),
    "api_url": ("<API URL>", f"a base URL like {DEFAULT_API_URL}, without path or credentials"),
}


def stack_problem(exc: ConfigurationError) -> str:
    """Say a configuration problem as a Pulumi user fixes it: the ``qpu:`` key to set.

    For the provider and the program's lookups, which take no ``secret_key=`` or
    ``project_id=`` argument: the fix names ``pulumi config set`` or the ``SCW_*``
    variable, whichever the stack's other settings use (stack config outranks the
    environment). Never quotes a value: stack config may hold it as a secret. A plain
    :class:`ConfigurationError` is taken as said already (its text is returned).
    """
    if isinstance(exc, MissingConfigurationError) and exc.field in _PLACES:
        looked = [place for place in exc.looked if not place.startswith("argument ")]
        return (
            f"qpu configuration: no {exc.field} is set: {_how_to_set(exc.field, exc.sources)}. "
            f"Looked in {'; '.join(looked)}"
        )
    if isinstance(exc, InvalidConfigurationError) and exc.field in _PLACES:
        return (
            f"qpu configuration: {exc.field} from {exc.source} is not valid: it must be "
            f"{_EXPECTED[exc.field][1]}; {fix_for(exc.field, exc.source)}"
        )
    if isinstance(exc, InvalidConfigurationError):
        # The profile's and the file's own problems name no value (a name, a position).
        return f"qpu configuration: {exc.field} from {exc.source} is invalid: {exc.reason}"
    return str(exc)


def for_stack(exc: ConfigurationError) -> ConfigurationError:
    """Return ``exc`` (same type, same attributes) saying :func:`stack_problem`'s text."""
    exc.args = (stack_problem(exc),)
    return exc


def _how_to_set(name: str, sources: Mapping[str, str]) -> str:
    stack_key, env_key, _ = _PLACES[name]
    placeholder = _EXPECTED[name][0]
    secret = " --secret" if name == "secret_key" else ""
    stack_way = f"`pulumi config set{secret} {stack_key} {placeholder}`"
    env_way = f"export {env_key}={placeholder} where pulumi runs"
    # The place the stack's other settings come from is the one its user keeps them in.
    in_stack = [s.removeprefix("stack config ") for s in sources.values() if "stack config" in s]
    in_env = [s.removeprefix("environment variable ") for s in sources.values() if "variable" in s]
    if in_stack:
        return f"set it with {stack_way}, like this stack's {', '.join(in_stack)}"
    if in_env:
        return f"{env_way}, like {', '.join(in_env)} (or set {stack_way})"
    return f"set it with {stack_way}, or {env_way}"


def fix_for(name: str, source: str) -> str:
    """How to replace the value of setting ``name`` that came from ``source``.

    ``source`` is one of :attr:`ResolvedConfig.sources`' values; the answer names that
    place (``pulumi config set``, the ``SCW_*`` variable, the scw config file's key).
    """
    stack_key, env_key, file_key = _PLACES[name]
    placeholder = _EXPECTED[name][0]
    secret = " --secret" if name == "secret_key" else ""
    stack_way = f"`pulumi config set{secret} {stack_key} {placeholder}`"
    if source.startswith("stack config"):
        return f"set the right one with {stack_way}"
    if source.startswith("environment variable"):
        return f"export the right one in {env_key}, or set {stack_way}, which outranks it"
    if source.startswith("scw config file"):
        return f"fix {file_key} in that file, or set {stack_way}, which outranks it"
    return f"pass the right {name}"


def _stack_value(stack: Mapping[str, str], key: str) -> str | None:
    # Pulumi hands configure "qpu:secretKey"; the long form "qpu:config:secretKey" is what
    # a stack file spells, so accept it too rather than ignore it silently.
    namespace, _, name = key.partition(":")
    return stack.get(key) or stack.get(f"{namespace}:config:{name}")


def _first_set(candidates: list[tuple[str | None, str]]) -> tuple[str | None, str | None]:
    for value, source in candidates:
        if value is not None and str(value).strip():
            return str(value), source
    return None, None


def _looked(name: str, file_layer: _FileLayer) -> list[str]:
    stack_key, env_key, file_key = _PLACES[name]
    return [
        f"argument {name}",
        f"stack config {stack_key}",
        f"environment variable {env_key}",
        file_layer.describe(file_key),
    ]


class _FileLayer:
    """The scw config file, read on first need (most runs never need it)."""

    def __init__(self, path: Path, profile: str | None, profile_source: str | None) -> None:
        self.path = path
        self.requested_profile = profile
        self.requested_source = profile_source
        self.loaded = False
        self.exists = False
        self.profile_used: str | None = None
        self.profile_source: str | None = None
        self._values: dict[str, Any] = {}
        self._default: dict[str, Any] = {}

    def get(self, key: str) -> tuple[str | None, str | None]:
        self._load()
        for values, where in ((self._values, self._where()), (self._default, self._where(True))):
            value = values.get(key)
            if value is not None and str(value).strip():
                return str(value), f"{where}, key {key}"
        return None, None

    def describe(self, key: str) -> str:
        self._load()
        state = "" if self.exists else " (file not found)"
        return f"{self._where()}, key {key}{state}"

    def _where(self, default: bool = False) -> str:
        name = None if default else self.profile_used
        label = f"profile {name!r}" if name else "default profile"
        return f"scw config file {self.path} ({label})"

    def _load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        source = f"scw config file {self.path}"
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = None
        except OSError as exc:
            raise InvalidConfigurationError(
                "config file", source, f"cannot be read: {exc.strerror}"
            ) from None
        data: Any = {}
        if text is not None:
            self.exists = True
            try:
                data = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise InvalidConfigurationError(
                    "config file", source, f"is not valid YAML: {_yaml_problem(exc)}"
                ) from None
            if not isinstance(data, dict):
                raise InvalidConfigurationError("config file", source, "is not a YAML mapping")
        self._default = {k: v for k, v in data.items() if k not in ("profiles", "active_profile")}
        profiles = data.get("profiles") or {}
        if not isinstance(profiles, dict):
            raise InvalidConfigurationError("profiles", source, "is not a mapping of profiles")
        name, where = self.requested_profile, self.requested_source
        active = data.get("active_profile")
        if name is None and isinstance(active, str) and active.strip():
            name, where = active.strip(), f"{source}, key active_profile"
        if name is None or name == "default" or not self.exists:
            # "default" names the top-level keys, as in the scw CLI; a missing file has
            # no profiles to check the name against, and holds nothing either way.
            self.profile_used, self.profile_source = name, where
            self._values = self._default
            return
        if name not in profiles or not isinstance(profiles[name], dict):
            known = ", ".join(sorted(str(p) for p in profiles)) or "none"
            reason = f"no profile {name!r} under profiles: in {self.path} (known: {known})"
            raise InvalidConfigurationError("profile", where or source, reason)
        self.profile_used, self.profile_source = name, where
        self._values = profiles[name]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    # Only the position: YAML errors quote the offending line, which may hold the key.
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "syntax error"
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)
