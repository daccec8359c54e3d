"""The one spec of the Session resource: every input and output, written once.

Each input says its type, its default, its limits (read from the wire models, where the
API's own limits live), what a change of it does, and its documentation. Everything else
that lists a Session's fields derives from here:

* the key sets of :mod:`pulumi_qpu.checks` (which inputs update in place, replace, or
  are settings only);
* the dynamic resource's typed inputs and outputs (``pulumi_qpu/_session_fields.py``,
  generated);
* the JSON Schema in ``schema/session.schema.json`` (:mod:`pulumi_qpu.resource_schema`);
* the Pulumi package schema of the native plugin (:mod:`pulumi_qpu.package_schema`);
* the input and output tables of ``README.md`` and ``docs/provider.md``.

``python -m pulumi_qpu.spec`` (``make schema``) writes every derived artefact; a test
fails when one is stale. No Pulumi import here: the spec is read by the emulator-free
core, the plugin and the docs alike.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pulumi_qpu.models import (
    MAX_DEDUPLICATION_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    UUID_PATTERN,
    CreateSessionRequest,
    UpdateSessionRequest,
)
from pulumi_qpu.models import Session as WireSession

__all__ = [
    "COST_OUTPUTS",
    "DECLARABLE_TAGS",
    "DEFAULT_CREATE_TIMEOUT",
    "DEFAULT_DELETE_TIMEOUT",
    "INPUTS",
    "ON_DELETE_MODES",
    "OUTPUTS",
    "Change",
    "Input",
    "Output",
    "keys",
]

Change = Literal["update", "replace", "resolve", "adopt", "setting", "internal"]
"""What a change of an input does.

``update``: PATCH in place. ``replace``: a new session. ``resolve``: resolved to another
input at check (``platform_name`` to ``platform_id``), so it replaces only when what it
resolves to changes. ``adopt``: take over an existing session. ``setting``: provider
behaviour only, never sent to the API. ``internal``: filled by the resource class.
"""

DEFAULT_CREATE_TIMEOUT: Final = "600s"
"""How long create waits for ``running`` unless ``create_timeout`` says otherwise."""

DEFAULT_DELETE_TIMEOUT: Final = "600s"
"""How long delete waits for ``stopped`` unless ``delete_timeout`` says otherwise."""

ON_DELETE_MODES: Final = ("terminate", "terminate_and_delete")
"""What destroy does: end the session (its data stays readable), or end and delete it."""

DECLARABLE_TAGS: Final = MAX_TAGS - 1
"""Most tags a Session declares: the API's limit less the one create needs while it runs."""

# JSON Schema fragments shared by several inputs.
_DURATION: Final[dict[str, Any]] = {"type": ["number", "string"]}
_DURATION_TEXT = 'seconds (3600, 2.5) or text ("90s", "1h30m", "1d", "PT1H30M"); stored as "<n>s"'
_UUID: Final[dict[str, Any]] = {"type": "string", "pattern": UUID_PATTERN}


@dataclass(frozen=True)
class Input:
    """One input of a Session.

    Attributes:
        name: the input's name, as a program writes it (snake case).
        python: the type a program gives, as Python annotation text inside
            ``pulumi.Input[...]`` (the generated ``SessionArgs`` uses it).
        schema: the JSON Schema of the value (limits included).
        change: what a change of it does (:data:`Change`).
        doc: one sentence: what it is.
        type_text: the type column of the docs' table.
        default_text: the default column of the docs' table.
        effect: what a change does, as the docs' table says it (beyond :attr:`change`).
        default: the value the provider uses when the input is unset (settings only).

    """

    name: str
    python: str
    schema: dict[str, Any]
    change: Change
    doc: str
    type_text: str
    default_text: str
    effect: str = ""
    default: Any = None


@dataclass(frozen=True)
class Output:
    """One output of a Session (every input the API stores comes back as one).

    Attributes:
        name: the output's name.
        python: the Python type of its value, as annotation text.
        schema: the JSON Schema of the value.
        doc: one sentence: what it is.

    """

    name: str
    python: str
    schema: dict[str, Any]
    doc: str


def _api_change(name: str) -> Change:
    """Return ``update`` for a field PATCH takes, ``replace`` for any other API field."""
    if name in UpdateSessionRequest.model_fields:
        return "update"
    if name in CreateSessionRequest.model_fields:
        return "replace"
    raise ValueError(f"{name} is no field of the API's create request")


INPUTS: Final[tuple[Input, ...]] = (
    Input(
        "platform_name",
        "str",
        {"type": "string"},
        "resolve",
        'Platform name ("EMU-AER-16C-128M"), resolved to its id at check.',
        'str, e.g. `"EMU-AER-16C-128M"`',
        "— (give this or `platform_id`)",
        "resolved to `platform_id` at check (exact name, then case-insensitive; close names "
        "suggested on a miss); replaces only when it resolves to another platform",
    ),
    Input(
        "platform_id",
        "str",
        _UUID,
        _api_change("platform_id"),
        "Platform id; or give platform_name.",
        "str (UUID)",
        "— (give this or `platform_name`)",
    ),
    Input(
        "project_id",
        "str",
        _UUID,
        _api_change("project_id"),
        "Project UUID; default qpu:projectId / SCW_DEFAULT_PROJECT_ID.",
        "str (UUID)",
        "stack config `qpu:projectId`, then `SCW_DEFAULT_PROJECT_ID`, then "
        "`default_project_id` of the scw config file",
    ),
    Input(
        "name",
        "str",
        {"type": "string", "maxLength": MAX_NAME_LENGTH},
        _api_change("name"),
        "Session name.",
        f"str (≤ {MAX_NAME_LENGTH})",
        "API-generated (`qs-…` on the emulator)",
    ),
    Input(
        "max_idle_duration",
        "DurationInput",
        _DURATION,
        _api_change("max_idle_duration"),
        f"End after this long without jobs: {_DURATION_TEXT}.",
        '`3600`, `"1h"`, `"90m"`, `"PT1H"`, `timedelta`…',
        "API default (1800 s on the emulator)",
        'stored canonical (`"3600s"`), so `"1h"` after `"3600s"` is no change',
    ),
    Input(
        "max_duration",
        "DurationInput",
        _DURATION,
        _api_change("max_duration"),
        f"End after this long in total: {_DURATION_TEXT}.",
        "duration, as `max_idle_duration`",
        "API default (3600 s on the emulator)",
        "stored canonical; shortened to no more than the time already run, a new session "
        "is made (a PATCH would end this one)",
    ),
    Input(
        "tags",
        "Sequence[pulumi.Input[str]]",
        {
            "type": "array",
            "maxItems": DECLARABLE_TAGS,
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
        },
        _api_change("tags"),
        f"Session tags (the API takes {MAX_TAGS}, create needs one while it runs).",
        f"list of str (≤ {DECLARABLE_TAGS}, each 1–{MAX_TAG_LENGTH} chars)",  # noqa: RUF001
        "none",
        "order kept",
    ),
    Input(
        "deduplication_id",
        "str",
        {"type": "string", "minLength": 1, "maxLength": MAX_DEDUPLICATION_ID_LENGTH},
        _api_change("deduplication_id"),
        "Share one live session; derived per resource when unset.",
        f"str (≤ {MAX_DEDUPLICATION_ID_LENGTH})",
        "derived per resource",
        "the old session is ended first (`delete_before_replace`)",
    ),
    Input(
        "booking_demand",
        "Mapping[str, Any] | BaseModel",
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "started_at": {"type": "string", "format": "date-time"},
                "finished_at": {"type": "string", "format": "date-time"},
                "description": {"type": "string"},
                "time_zone": {"type": "string"},
            },
        },
        _api_change("booking_demand"),
        "A slot on a bookable platform.",
        "dict or `pulumi_qpu.models.BookingDemand`: `started_at`, `finished_at` (RFC 3339), "
        "`description`, `time_zone`",
        "none",
        "stored canonical (UTC, `Z`)",
    ),
    Input(
        "model_id",
        "str",
        _UUID,
        _api_change("model_id"),
        "Model to load in the session.",
        "str (UUID, checked at preview)",
        "none",
    ),
    Input(
        "parameters",
        "Mapping[str, Any] | str",
        {"type": ["object", "string"]},
        _api_change("parameters"),
        "Platform parameters, a dict or JSON text; stored canonical.",
        "dict or JSON text",
        "none",
        "sent and stored as canonical JSON, and a dict and its JSON text are the same; "
        "integers reach the API exactly however large, except in a dict given to the plugin "
        "(the engine carries its numbers as float64: exact up to 2⁵³; JSON text is exact)",
    ),
    Input(
        "session_id",
        "str",
        _UUID,
        "adopt",
        "Adopt this existing session instead of creating one.",
        "str (UUID)",
        "none",
        "adopts that existing session; replaces when the declared id changes",
    ),
    Input(
        "wait_for_running",
        "bool",
        {"type": "boolean"},
        "setting",
        "Create returns once running.",
        "bool",
        "`True`",
        "`up` returns once the session runs, or as soon as the API accepted it",
        default=True,
    ),
    Input(
        "create_timeout",
        "DurationInput",
        _DURATION,
        "setting",
        f"Longest wait for running: {_DURATION_TEXT}.",
        "duration",
        f'`"{DEFAULT_CREATE_TIMEOUT}"`',
        "longest wait for `running`",
        default=DEFAULT_CREATE_TIMEOUT,
    ),
    Input(
        "delete_timeout",
        "DurationInput",
        _DURATION,
        "setting",
        f"Longest wait for stopped: {_DURATION_TEXT}.",
        "duration",
        f'`"{DEFAULT_DELETE_TIMEOUT}"`',
        "longest wait for `stopped` on destroy",
        default=DEFAULT_DELETE_TIMEOUT,
    ),
    Input(
        "on_delete",
        'Literal["terminate", "terminate_and_delete"]',
        {"type": "string", "enum": list(ON_DELETE_MODES)},
        "setting",
        "What destroy does.",
        " or ".join(f'`"{mode}"`' for mode in ON_DELETE_MODES),
        f'`"{ON_DELETE_MODES[0]}"`',
        "destroy ends the session (its data stays readable), or ends and deletes it",
        default=ON_DELETE_MODES[0],
    ),
    Input(
        "max_cost",
        "str | Mapping[str, Any] | Decimal | float | BaseModel",
        {"type": ["string", "number", "object"]},
        "setting",
        'Budget: "12.50 EUR", {"amount": "12.50", "currency": "EUR"}, Money, or an amount '
        "in the platform's currency; default qpu:maxCostPerSession (docs/cost.md).",
        'budget: `"12.50 EUR"`, `{"amount": "12.50", "currency": "EUR"}`, Money, or an '
        "amount in the platform's currency",
        "`qpu:maxCostPerSession`, else none",
        "a worst case above it fails preview (docs/cost.md)",
    ),
    Input(
        "resource_key",
        "str",
        {"type": "string"},
        "internal",
        "What tells this Session apart from every other (set by the resource class).",
        "str",
        "`<organization>/<project>/<stack>/<name>`",
        "a rename (alias) updates the state only",
    ),
)
"""Every input of a Session, in the order the docs list them."""


def _output_schema(annotation: str) -> dict[str, Any]:
    base = annotation.removesuffix(" | None")
    kind = {"str": "string", "int": "integer", "list[str]": "array"}[base]
    schema: dict[str, Any] = {"type": kind}
    if kind == "array":
        schema["items"] = {"type": "string"}
    return schema


def _out(name: str, python: str, doc: str) -> Output:
    return Output(name, python, _output_schema(python), doc)


OUTPUTS: Final[tuple[Output, ...]] = (
    _out("name", "str", "The session's name."),
    _out("platform_id", "str", "The platform the session runs on."),
    _out("project_id", "str", "The project the session belongs to."),
    _out("status", "str", "`starting`, `running`, `stopping`, `stopped` or `unknown_status`."),
    _out("created_at", "str", "RFC 3339 creation time."),
    _out("started_at", "str | None", "RFC 3339 time the session started running."),
    _out("updated_at", "str | None", "RFC 3339 time of the last change."),
    _out("terminated_at", "str | None", "RFC 3339 time the session ended."),
    _out("max_idle_duration", "str", 'Idle time after which the session ends (`"1800s"`).'),
    _out("max_duration", "str", 'Total time after which the session ends (`"3600s"`).'),
    _out("waiting_job_count", "int", "Jobs waiting in the session."),
    _out("finished_job_count", "int", "Jobs finished in the session."),
    _out("tags", "list[str] | None", "The session's tags."),
    _out("deduplication_id", "str", "The deduplication id the session was created with."),
    _out("origin_type", "str", "What created the session (`customer`, `process`)."),
    _out("origin_id", "str | None", "Id of what created the session."),
    _out("progress_message", "str | None", "Latest progress message of the session."),
    _out("booking_id", "str | None", "Booking of the session, when booked."),
    _out("model_id", "str | None", "Model loaded in the session."),
    _out("parameters", "str | None", "Parameters as canonical JSON text."),
)
"""Every field of the API's session, as an output (``id`` is the resource's id)."""

COST_OUTPUTS: Final[tuple[Output, ...]] = (
    _out("currency", "str | None", 'ISO 4217 code of the platform\'s prices (`"EUR"`).'),
    _out("price_per_hour", "str | None", 'The platform\'s price per hour (`"0.90"`).'),
    _out("price_per_shot", "str | None", "The platform's price per shot, not in the worst case."),
    _out(
        "price_per_circuit",
        "str | None",
        "The platform's price per circuit, not in the worst case.",
    ),
    _out(
        "worst_case_cost",
        "str | None",
        "Price per hour times `max_duration`, rounded up to the minor unit; known at preview.",
    ),
    _out(
        "accrued_cost",
        "str | None",
        "Price per hour times the time run so far (or until it ended); stored by "
        "`pulumi refresh`, exported anew only when the program runs again (`pulumi up`, "
        "`pulumi refresh --run-program`).",
    ),
)
"""The cost outputs (docs/cost.md): exact decimal text in ``currency``, or absent."""


def keys(*changes: Change) -> tuple[str, ...]:
    """Return the names of the inputs whose change is one of ``changes``, in spec order."""
    return tuple(item.name for item in INPUTS if item.change in changes)


def _check_against_the_wire() -> None:
    """Fail at import when the spec and the API's session disagree on a field."""
    wire = set(WireSession.model_fields) - {"id"}
    spec = {item.name for item in OUTPUTS}
    if wire != spec:
        raise RuntimeError(f"spec outputs {spec} differ from the API's session fields {wire}")
    sent = set(CreateSessionRequest.model_fields)
    declared = {item.name for item in INPUTS if item.change in ("update", "replace")}
    if sent != declared:
        raise RuntimeError(f"spec inputs {declared} differ from the API's create fields {sent}")


_check_against_the_wire()


# --- derived artefacts --------------------------------------------------------------

_CHANGE_TEXT: Final[dict[Change, str]] = {
    "update": "updates in place",
    "replace": "replaces",
    "resolve": "",
    "adopt": "",
    "setting": "setting only",
    "internal": "",
}


def camel(name: str) -> str:
    """Return ``name`` as Pulumi packages spell it (``max_idle_duration``: ``maxIdleDuration``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _spelt(name: str, camel_case: bool) -> str:
    return camel(name) if camel_case else name


def _table_row(item: Input, camel_case: bool) -> str:
    said = _CHANGE_TEXT[item.change]
    effect = "; ".join(part for part in (said, item.effect) if part)
    name = _spelt(item.name, camel_case)
    return f"| `{name}` | {item.type_text} | {item.default_text} | {effect} |"


def inputs_table(*, camel_case: bool = False) -> str:
    """Return the Markdown table of the inputs a program gives (``resource_key`` aside).

    ``camel_case``: the names as the plugin's package spells them (``maxIdleDuration``).
    """
    rows = [_table_row(item, camel_case) for item in INPUTS if item.change != "internal"]
    head = "| input | type | default | a change... |\n| --- | --- | --- | --- |"
    return "\n".join([head, *rows])


def outputs_table(*, camel_case: bool = False) -> str:
    """Return the Markdown table of the outputs (``camel_case`` as :func:`inputs_table`)."""
    rows = [
        f"| `{_spelt(item.name, camel_case)}` | {item.python.replace(' | None', ', or absent')} "
        f"| {item.doc} |"
        for item in (*OUTPUTS, *COST_OUTPUTS)
    ]
    return "\n".join(["| output | type | what it is |", "| --- | --- | --- |", *rows])


_LINE: Final = 100
"""The project's line length (ruff), which the generated source keeps."""

_GENERATED = Path(__file__).resolve().parent / "_session_fields.py"
_PACKAGE_SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "pulumi-package.json"
_README = Path(__file__).resolve().parent.parent / "README.md"
_PROVIDER_DOC = Path(__file__).resolve().parent.parent / "docs" / "provider.md"
_PLUGIN_DOC = Path(__file__).resolve().parent.parent / "docs" / "plugin.md"


def python_source() -> str:
    """Return the source of ``pulumi_qpu/_session_fields.py``: typed inputs and outputs."""
    lines = [
        '"""Typed inputs and outputs of the Session, generated from :mod:`pulumi_qpu.spec`.',
        "",
        "Do not edit: ``python -m pulumi_qpu.spec`` writes this file.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping, Sequence",
        "from dataclasses import dataclass",
        "from decimal import Decimal",
        "from typing import Any, Literal",
        "",
        "import pulumi",
        "from pydantic import BaseModel",
        "",
        "from pulumi_qpu.durations import DurationInput",
        "",
        '__all__ = ["SessionArgs", "SessionOutputs"]',
        "",
        "",
        "@dataclass(frozen=True, kw_only=True)",
        "class SessionArgs:",
        '    """The inputs of a :class:`pulumi_qpu.Session` (README, "The Session resource")."""',
        "",
    ]
    for item in INPUTS:
        if item.change == "internal":
            continue
        wrapped = (
            f"pulumi.Input[{item.python}] | None"
            if "BaseModel" not in item.python
            else f"pulumi.Input[{item.python.replace(' | BaseModel', '')}] | BaseModel | None"
        )
        lines += [f"    {item.name}: {wrapped} = None", *_docstring(_docline(item))]
    lines += [
        "",
        "",
        "class SessionOutputs:",
        '    """The outputs of a :class:`pulumi_qpu.Session`: every session field and its cost."""',
        "",
    ]
    for out in (*OUTPUTS, *COST_OUTPUTS):
        lines += [f"    {out.name}: pulumi.Output[{out.python}]", *_docstring(out.doc)]
    return "\n".join(lines) + "\n"


def _docstring(text: str) -> list[str]:
    """Return an attribute docstring, wrapped to the project's line length."""
    if len(text) + 10 <= _LINE:
        return [f'    """{text}"""']
    body = textwrap.wrap(text, _LINE - 8)
    return [f'    """{body[0]}', *(f"    {line}" for line in body[1:]), '    """']


def _docline(item: Input) -> str:
    said = _CHANGE_TEXT[item.change]
    return f"{item.doc} {said.capitalize()}." if said else item.doc


_MARKER = re.compile(
    r"(<!-- spec:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(\n<!-- /spec:(?P=name) -->)", re.DOTALL
)
_TABLES: Final[dict[str, Callable[[], str]]] = {
    "session-inputs": inputs_table,
    "session-outputs": outputs_table,
    "plugin-inputs": lambda: inputs_table(camel_case=True),
    "plugin-outputs": lambda: outputs_table(camel_case=True),
}


def _fill(text: str) -> str:
    return _MARKER.sub(lambda m: m.group(1) + _TABLES[m.group("name")]() + m.group(4), text)


def artefacts() -> Iterator[tuple[Path, str]]:
    """Yield every file derived from the spec with the text it must hold."""
    # Both read this module (and the package schema the provider's config keys).
    from pulumi_qpu import package_schema, resource_schema  # noqa: PLC0415

    yield _GENERATED, python_source()
    yield resource_schema.SCHEMA_PATH, resource_schema.render()
    yield _PACKAGE_SCHEMA, package_schema.render()
    for doc in (_README, _PROVIDER_DOC, _PLUGIN_DOC):
        if doc.exists():
            yield doc, _fill(doc.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Write every derived artefact (``--check``: only say which are stale, exit 1 if any)."""
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for path, text in artefacts():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if "--check" not in args:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if '--check' in args else 'wrote'} {path.name}")
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    raise SystemExit(main())
