"""The published QaaS contract, and how our copy of it departs from it.

``schema/published/qaas-v1alpha1.openapi.yml`` is Scaleway's document as published with
its QaaS client, unchanged; ``schema/qaas-sessions.openapi.yml`` is our copy of the part
we serve. :func:`departures` walks both for every operation of our copy and names each
difference that matters to a client: a type or nullability, an enum, a required
property, a pattern, a closed object, a property or response on one side only.
Formats and descriptions are not compared (the published ``uint64`` is a protobuf
type name, not a JSON Schema format).

A departure is a pair ``(where, what)``: ``where`` is the published schema's component
name (``Session``, ``Platform.hardware``) or the operation (``GET /qaas/v1alpha1/sessions
query.project_id``), ``what`` a short fixed sentence. The accepted ones are the table
under "Departures from the published contract" in ``docs/emulator.md``: the one place
they are listed, with their evidence; :func:`documented_departures` reads it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DOC",
    "OURS",
    "PUBLISHED",
    "departures",
    "documented_departures",
    "load",
    "operations",
]

_ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = _ROOT / "schema" / "published" / "qaas-v1alpha1.openapi.yml"
OURS = _ROOT / "schema" / "qaas-sessions.openapi.yml"
DOC = _ROOT / "docs" / "emulator.md"
_DEPARTURES_HEADING = "## Departures from the published contract"
_METHODS = ("get", "put", "post", "delete", "patch")
_API_COMPONENT = "scaleway.qaas.v1alpha1."

Departure = tuple[str, str]


@functools.cache
def load(path: Path) -> dict[str, Any]:
    """Parse an OpenAPI document (cached: treat the result as read-only)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``(METHOD, path)`` of ``document``, in document order."""
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in _METHODS
    ]


def _resolve(document: dict[str, Any], node: Any) -> tuple[Any, str | None]:
    """Follow ``$ref``s; also return the last one's component name."""
    name = None
    while isinstance(node, dict) and "$ref" in node:
        reference: str = node["$ref"]
        target: Any = document
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
        name = reference.rsplit("/", 1)[-1]
        node = target
    return node, name


def _types(node: dict[str, Any]) -> frozenset[str]:
    """JSON types a schema allows: 3.1 type lists and 3.0 ``nullable`` alike."""
    declared = node.get("type")
    if declared is None:
        found: set[str] = set()
    elif isinstance(declared, list):
        found = set(declared)
    else:
        found = {declared}
    if node.get("nullable") is True:
        found.add("null")
    return frozenset(found)


class _Walk:
    """One comparison of two documents; collects departures."""

    def __init__(self, published: dict[str, Any], ours: dict[str, Any]) -> None:
        self.published = published
        self.ours = ours
        self.found: set[Departure] = set()
        self._seen: set[str] = set()

    def add(self, where: str, what: str) -> None:
        self.found.add((where, what))

    def _unwrap_ours(self, node: Any) -> tuple[dict[str, Any], bool, str | None]:
        """Our ``oneOf: [X, {type: "null"}]`` is X, nullable; also X's component name."""
        node, name = _resolve(self.ours, node)
        branches = node.get("oneOf") if isinstance(node, dict) else None
        if branches:
            others = [b for b in branches if b != {"type": "null"}]
            if len(others) == 1 and len(others) < len(branches):
                inner, name = _resolve(self.ours, others[0])
                return inner, True, name
        return node, False, name

    def schema(self, where: str, published: Any, ours: Any) -> None:
        published, name = _resolve(self.published, published)
        if name is not None and name.startswith(_API_COMPONENT):
            # Named by the API's own message (Session), not by the way it was reached.
            where = name.removeprefix(_API_COMPONENT)
        if where in self._seen:
            return
        self._seen.add(where)
        ours, ours_nullable, ours_name = self._unwrap_ours(ours)
        ours_types = _types(ours) | ({"null"} if ours_nullable else set())
        published_types = _types(published)
        if ours_types != published_types:
            self.add(where, f"type {_words(published_types)} -> {_words(ours_types)}")
        if set(ours.get("enum", [])) != set(published.get("enum", [])):
            self.add(where, "enum differs")
        if ours.get("pattern") != published.get("pattern"):
            # Our patterns live in named components (UUID, Duration): name them so.
            label = ours_name or ours.get("pattern")
            self.add(where, f"pattern only in ours: {label}")
        if ours.get("additionalProperties") is False and "additionalProperties" not in published:
            self.add(where, "closed (additionalProperties false) only in ours")
        for side, more, less in (
            ("ours", ours.get("required", []), published.get("required", [])),
            ("published", published.get("required", []), ours.get("required", [])),
        ):
            extra = sorted(set(more) - set(less))
            if extra:
                self.add(where, f"required only in {side}: {', '.join(extra)}")
        published_properties = published.get("properties", {})
        ours_properties = ours.get("properties", {})
        for prop in published_properties.keys() - ours_properties.keys():
            self.add(f"{where}.{prop}", "only in published")
        for prop in ours_properties.keys() - published_properties.keys():
            self.add(f"{where}.{prop}", "only in ours")
        for prop in published_properties.keys() & ours_properties.keys():
            self.schema(f"{where}.{prop}", published_properties[prop], ours_properties[prop])
        if "items" in published or "items" in ours:
            self.schema(f"{where}[]", published.get("items", {}), ours.get("items", {}))

    def parameters(self, where: str, published: list[Any], ours: list[Any]) -> None:
        def by_key(document: dict[str, Any], listed: list[Any]) -> dict[str, dict[str, Any]]:
            resolved = [_resolve(document, p)[0] for p in listed]
            return {f"{p['in']}.{p['name']}": p for p in resolved}

        published_by, ours_by = by_key(self.published, published), by_key(self.ours, ours)
        for key in published_by.keys() - ours_by.keys():
            self.add(f"{where} {key}", "only in published")
        for key in ours_by.keys() - published_by.keys():
            self.add(f"{where} {key}", "only in ours")
        for key in published_by.keys() & ours_by.keys():
            mine, theirs = ours_by[key], published_by[key]
            if bool(mine.get("required")) != bool(theirs.get("required")):
                self.add(f"{where} {key}", "required differs")
            self.schema(f"{where} {key}", theirs.get("schema", {}), mine.get("schema", {}))

    def operation(self, method: str, path: str) -> None:
        where = f"{method} {path}"
        published_item = self.published["paths"].get(path, {})
        published = published_item.get(method.lower())
        if published is None:
            self.add(where, "only in ours")
            return
        ours_item = self.ours["paths"][path]
        ours = ours_item[method.lower()]
        self.parameters(
            where,
            published_item.get("parameters", []) + published.get("parameters", []),
            ours_item.get("parameters", []) + ours.get("parameters", []),
        )
        published_body = published.get("requestBody")
        ours_body = ours.get("requestBody")
        if (published_body is None) != (ours_body is None):
            side = "ours" if published_body is None else "published"
            self.add(f"{where} body", f"only in {side}")
        elif published_body is not None and ours_body is not None:
            if bool(published_body.get("required")) != bool(ours_body.get("required")):
                self.add(f"{where} body", "required differs")
            self.schema(f"{where} body", _json_schema(published_body), _json_schema(ours_body))
        published_replies = published.get("responses", {})
        ours_replies = ours.get("responses", {})
        for status in published_replies.keys() - ours_replies.keys():
            self.add(f"{where} {status}", "only in published")
        errors_only_in_ours = sorted(
            str(status)
            for status in ours_replies.keys() - published_replies.keys()
            if not str(status).startswith("2")
        )
        if errors_only_in_ours:
            self.add(where, "error replies only in ours")
        for status in ours_replies.keys() - published_replies.keys():
            if str(status).startswith("2"):
                self.add(f"{where} {status}", "only in ours")
        for status in published_replies.keys() & ours_replies.keys():
            published_reply, _ = _resolve(self.published, published_replies[status])
            ours_reply, _ = _resolve(self.ours, ours_replies[status])
            self.schema(
                f"{where} {status}", _json_schema(published_reply), _json_schema(ours_reply)
            )


def _json_schema(body_or_reply: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = body_or_reply.get("content", {}).get("application/json", {})
    schema: dict[str, Any] = media.get("schema", {})
    return schema


def _words(types: frozenset[str]) -> str:
    # " or ", not "|": the words go into a Markdown table.
    return " or ".join(sorted(types)) or "any"


def departures(published: dict[str, Any], ours: dict[str, Any]) -> set[Departure]:
    """Every departure of ``ours`` from ``published`` over the operations of ``ours``."""
    walk = _Walk(published, ours)
    for method, path in operations(ours):
        walk.operation(method, path)
    return walk.found


def documented_departures(doc: Path = DOC) -> set[Departure]:
    """The departures listed in ``doc``'s table (``| `where` ... | `what` | evidence |``).

    A row's first cell may name several places (each in backticks); its second cell is
    the departure, in backticks, exactly as :func:`departures` words it.
    """
    text = doc.read_text(encoding="utf-8")
    _, found, rest = text.partition(_DEPARTURES_HEADING)
    if not found:
        raise AssertionError(f"{doc} has no section {_DEPARTURES_HEADING!r}")
    section = rest.split("\n## ", 1)[0]
    listed: set[Departure] = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        what = re.fullmatch(r"`([^`]+)`", cells[1])
        if what is None:
            raise AssertionError(f"departure cell not in backticks: {line}")
        for where in re.findall(r"`([^`]+)`", cells[0]):
            listed.add((where, what.group(1)))
    return listed
