"""The Pulumi package schema of the ``qpu`` provider plugin (pulumi_qpu/plugin.py).

Derived, never written by hand: the Session's inputs from the spec
(:mod:`pulumi_qpu.spec`), its outputs from the JSON Schema of
:mod:`pulumi_qpu.resource_schema` (the wire model and the spec's cost outputs), the
provider's config from the stack config keys the dynamic provider reads
(:data:`pulumi_qpu.provider.CONFIG_KEYS`), the invokes from the wire models. Pulumi
names properties in camelCase; the lifecycle core speaks snake_case, so :func:`camel`
and :func:`snake` translate at the plugin's edge.

``make schema`` writes it to ``schema/pulumi-package.json`` (a test fails when stale);
``pulumi package get-schema`` on the plugin gives the same.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pulumi_qpu._version import __version__
from pulumi_qpu.models import Platform
from pulumi_qpu.models import Session as WireSession
from pulumi_qpu.provider import CONFIG_KEYS
from pulumi_qpu.resource_schema import session_schema
from pulumi_qpu.spec import camel

__all__ = [
    "FUNCTIONS",
    "PACKAGE",
    "SECRET_CONFIG",
    "SESSION_TYPE",
    "camel",
    "package_schema",
    "snake",
]

PACKAGE: Final = "qpu"
"""The plugin's package name: ``pulumi-resource-qpu``, config ``qpu:*``."""

REPOSITORY: Final = "https://github.com/pulumi-qpu/pulumi-qpu"
"""Where the project lives (the Go SDK's module path derives from it)."""

SESSION_TYPE: Final = "qpu:index:Session"
"""The Session's type token."""

_BOOKING_TYPE: Final = "qpu:index:BookingDemand"
_SESSION_RESULT: Final = "qpu:index:SessionInfo"
_PLATFORM_RESULT: Final = "qpu:index:PlatformInfo"

SECRET_CONFIG: Final = frozenset({"secretKey"})
"""Provider config keys that are secrets (the engine and SDKs keep them encrypted)."""

FUNCTIONS: Final = {
    "getSession": f"{PACKAGE}:index:getSession",
    "listSessions": f"{PACKAGE}:index:listSessions",
    "getPlatform": f"{PACKAGE}:index:getPlatform",
    "listPlatforms": f"{PACKAGE}:index:listPlatforms",
}
"""The invokes, as :mod:`pulumi_qpu.functions` offers them to Python programs."""

# Outputs Pulumi reserves on every resource: the session id is the resource's id.
_RESERVED: Final = frozenset({"id", "urn"})

_CONFIG_DOCS: Final = {
    "secretKey": "Scaleway secret key; default SCW_SECRET_KEY or the scw config file.",
    "projectId": "Default project of Sessions; default SCW_DEFAULT_PROJECT_ID.",
    "apiUrl": "QaaS API base URL; default SCW_API_URL or Scaleway's.",
    "profile": "Profile of the scw config file to read credentials from.",
    "maxCostPerSession": 'Budget of every Session that sets no maxCost ("12.50 EUR").',
}


def snake(name: str) -> str:
    """``maxIdleDuration`` -> ``max_idle_duration`` (the lifecycle core's spelling)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _type(prop: dict[str, Any]) -> dict[str, Any]:
    """Map one JSON Schema property (the spec's or a wire model's) to a Pulumi type spec."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        if name == "BookingDemand":
            return {"$ref": f"#/types/{_BOOKING_TYPE}"}
        return {"type": "string"}  # the status and origin enums: text on the wire
    kind = prop.get("type")
    if isinstance(kind, list):
        alternatives = [{"type": k} for k in kind if k != "null"]
    else:
        alternatives = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    if len(alternatives) == 1:
        only = {**prop, **alternatives[0]} if "anyOf" not in prop else alternatives[0]
        if "$ref" in only:
            return _type(only)
        kind = only.get("type")
        if kind == "array":
            return {"type": "array", "items": _type(only.get("items", {}))}
        if kind == "object" and only.get("properties"):
            return {"$ref": f"#/types/{_BOOKING_TYPE}"}  # the one object input
        if kind in ("string", "number", "integer", "boolean"):
            return {"type": kind}
        return {"$ref": "pulumi.json#/Any"}
    kinds = {p.get("type") for p in alternatives}
    if kinds <= {"number", "string"}:
        # A duration: seconds or text ("90s", "1h30m").
        return {"oneOf": [{"type": "number"}, {"type": "string"}], "type": "string"}
    return {"$ref": "pulumi.json#/Any"}  # parameters, max_cost: a dict or text


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if name in _RESERVED:
            continue
        spec = _type(prop)
        description = prop.get("description") or prop.get("title")
        if description:
            spec["description"] = description
        # Go's generator cannot write a default of a oneOf (a duration): the check applies it.
        if "default" in prop and prop["default"] is not None and "oneOf" not in spec:
            spec["default"] = prop["default"]
        out[camel(name)] = spec
    return out


def _function(description: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "inputs": {"properties": inputs},
        "outputs": {"properties": outputs},
    }


def package_schema(version: str = __version__) -> dict[str, Any]:
    """Return the package schema of the ``qpu`` plugin at ``version``."""
    session = session_schema()["properties"]
    inputs = session["inputs"]
    outputs = session["outputs"]
    booking = inputs["properties"]["booking_demand"]
    session_outputs = _properties(outputs)
    platform = _properties(Platform.model_json_schema(mode="serialization"))
    wire_session = _properties(WireSession.model_json_schema(mode="serialization"))
    # The ids are no reserved words in invoke results.
    wire_session["id"] = {"type": "string", "description": "The session's id."}
    platform["id"] = {"type": "string", "description": "The platform's id."}
    string = {"type": "string"}
    config: dict[str, dict[str, Any]] = {}
    for key in CONFIG_KEYS:
        name = key.removeprefix(f"{PACKAGE}:")
        config[name] = {"type": "string", "description": _CONFIG_DOCS.get(name, name)}
        if name in SECRET_CONFIG:
            config[name]["secret"] = True
    return {
        "name": PACKAGE,
        "displayName": "Scaleway QaaS (pulumi-qpu)",
        "version": version,
        "description": "Scaleway QaaS quantum computing sessions as Pulumi resources.",
        "keywords": ["pulumi", "scaleway", "quantum", "qaas", "category/cloud"],
        "license": "Apache-2.0",
        "config": {"variables": config},
        "provider": {
            "description": "The qpu provider: credentials, API and budgets.",
            "inputProperties": config,
            "properties": {k: v for k, v in config.items() if k != "secretKey"},
        },
        "types": {
            _BOOKING_TYPE: {
                "type": "object",
                "description": booking["description"],
                "properties": _properties(booking),
            },
            _SESSION_RESULT: {
                "type": "object",
                "description": "A session as the API returns it.",
                "properties": wire_session,
            },
            _PLATFORM_RESULT: {
                "type": "object",
                "description": "A platform as the API returns it.",
                "properties": platform,
            },
        },
        "resources": {
            SESSION_TYPE: {
                "description": (
                    "A quantum computing session on one platform, created, updated and "
                    "ended by Pulumi (docs/provider.md)."
                ),
                "inputProperties": _properties(inputs),
                "properties": session_outputs,
                "required": ["platformId", "projectId", "status"],
            }
        },
        "functions": {
            FUNCTIONS["getSession"]: _function(
                "One session, by id.",
                {"sessionId": string},
                {"session": {"$ref": f"#/types/{_SESSION_RESULT}"}},
            ),
            FUNCTIONS["listSessions"]: _function(
                "Every session of a project matching the filters.",
                {
                    "projectId": string,
                    "platformId": string,
                    "tags": {"type": "array", "items": string},
                    "orderBy": string,
                },
                {"sessions": {"type": "array", "items": {"$ref": f"#/types/{_SESSION_RESULT}"}}},
            ),
            FUNCTIONS["getPlatform"]: _function(
                "One platform, by name or id.",
                {"name": string, "platformId": string},
                {"platform": {"$ref": f"#/types/{_PLATFORM_RESULT}"}},
            ),
            FUNCTIONS["listPlatforms"]: _function(
                "Every platform matching the filters.",
                {
                    "providerName": string,
                    "backendName": string,
                    "name": string,
                    "platformType": string,
                    "platformTechnology": string,
                    "orderBy": string,
                },
                {
                    "platforms": {
                        "type": "array",
                        "items": {"$ref": f"#/types/{_PLATFORM_RESULT}"},
                    }
                },
            ),
        },
        "repository": REPOSITORY,
        "language": {
            # Not pulumi_qpu: that is this package, which the SDK's users have installed.
            "python": {"packageName": "pulumi_qpu_sdk"},
            "go": {"importBasePath": f"{REPOSITORY.removeprefix('https://')}/sdk/go/qpu"},
            "nodejs": {"packageName": "@pulumi-qpu/qpu"},
        },
    }


def render(version: str = __version__) -> str:
    """Return the package schema as ``make schema`` writes it."""
    return json.dumps(package_schema(version), indent=2, sort_keys=True) + "\n"
