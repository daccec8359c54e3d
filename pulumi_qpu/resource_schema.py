"""JSON Schema of the Session resource: what a program may declare, what it gets back.

``python -m pulumi_qpu.resource_schema`` (``make schema``) writes
``schema/session.schema.json``; a test keeps that file, :class:`SessionArgs` and the
provider's property lists in sync. Which inputs update in place and which replace is not
decided here: ``x-pulumi-change`` is read from :mod:`pulumi_qpu.checks`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulumi_qpu.checks import (
    DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT,
    MAX_TAGS,
    ON_DELETE_MODES,
    REPLACE_KEYS,
    SETTING_KEYS,
    UPDATE_KEYS,
)
from pulumi_qpu.models import BookingDemand
from pulumi_qpu.models import Session as WireSession

__all__ = ["SCHEMA_PATH", "SessionCostOutputs", "SessionInputs", "session_schema"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "session.schema.json"
"""Where ``make schema`` writes the schema in a source checkout."""

Duration = float | str
_DURATION = 'seconds (3600, 2.5) or text ("90s", "1h30m", "1d", "PT1H30M"); stored as "<n>s"'


class SessionInputs(BaseModel):
    """The inputs a program may give a Session (see :class:`pulumi_qpu.SessionArgs`)."""

    model_config = ConfigDict(extra="forbid", title="SessionInputs")

    platform_id: str | None = Field(None, description="Platform id; or give platform_name.")
    platform_name: str | None = Field(
        None, description='Platform name ("EMU-AER-16C-128M"), resolved to its id at check.'
    )
    project_id: str | None = Field(
        None, description="Project UUID; default qpu:projectId / SCW_DEFAULT_PROJECT_ID."
    )
    name: str | None = Field(None, max_length=255, description="Session name.")
    max_idle_duration: Duration | None = Field(
        None, description=f"End after this long without jobs: {_DURATION}."
    )
    max_duration: Duration | None = Field(
        None, description=f"End after this long in total: {_DURATION}."
    )
    tags: list[str] | None = Field(
        None, max_length=MAX_TAGS, description="Session tags (50 on the API, one kept for create)."
    )
    deduplication_id: str | None = Field(
        None,
        max_length=128,
        description="Share one live session; derived per resource when unset.",
    )
    booking_demand: BookingDemand | None = Field(None, description="A slot on a bookable platform.")
    model_id: str | None = Field(None, description="Model to load in the session.")
    parameters: dict[str, Any] | str | None = Field(
        None, description="Platform parameters, a dict or JSON text; stored canonical."
    )
    session_id: str | None = Field(
        None, description="Adopt this existing session instead of creating one."
    )
    wait_for_running: bool = Field(True, description="Create returns once running.")
    create_timeout: Duration = Field(
        DEFAULT_CREATE_TIMEOUT, description=f"Longest wait for running: {_DURATION}."
    )
    delete_timeout: Duration = Field(
        DEFAULT_DELETE_TIMEOUT, description=f"Longest wait for stopped: {_DURATION}."
    )
    on_delete: Literal["terminate", "terminate_and_delete"] = Field(
        "terminate", description="What destroy does."
    )
    max_cost: str | float | dict[str, Any] | None = Field(
        None,
        description='Budget: "12.50 EUR", {"amount": "12.50", "currency": "EUR"}, Money, or '
        "an amount in the platform's currency; default qpu:maxCostPerSession (docs/cost.md).",
    )


class SessionCostOutputs(BaseModel):
    """The cost outputs of a Session (docs/cost.md): exact decimal text, or absent."""

    currency: str | None = Field(None, description="ISO 4217 code of the platform's prices.")
    price_per_hour: str | None = Field(None, description="Price per hour, exact decimal text.")
    price_per_shot: str | None = Field(None, description="Price per shot (not in the worst case).")
    price_per_circuit: str | None = Field(
        None, description="Price per circuit (not in the worst case)."
    )
    worst_case_cost: str | None = Field(
        None, description="Price per hour times max_duration, rounded up to the minor unit."
    )
    accrued_cost: str | None = Field(
        None, description="Price per hour times the time run so far, rounded half up."
    )


def _change_of(name: str) -> str:
    if name in UPDATE_KEYS:
        return "update"
    if name in REPLACE_KEYS or name in ("session_id", "platform_name"):
        return "replace"
    if name in SETTING_KEYS:
        return "setting"
    raise ValueError(f"{name} is in SessionInputs but not in the provider's property lists")


def session_schema() -> dict[str, Any]:
    """Return the JSON Schema document of the Session resource's inputs and outputs."""
    inputs = SessionInputs.model_json_schema()
    for name, prop in inputs["properties"].items():
        prop["x-pulumi-change"] = _change_of(name)
    inputs["properties"]["on_delete"]["enum"] = list(ON_DELETE_MODES)
    outputs = WireSession.model_json_schema(mode="serialization")
    outputs["title"] = "SessionOutputs"
    outputs["properties"].update(SessionCostOutputs.model_json_schema()["properties"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/pulumi-qpu/pulumi-qpu/schema/session.schema.json",
        "title": "pulumi-python:dynamic/qpu:Session",
        "description": (
            "Inputs and outputs of the pulumi-qpu Session resource. x-pulumi-change says "
            "what a change of an input does: update (in place), replace (a new session), "
            "setting (provider behaviour only, no API call). Generated by `make schema`."
        ),
        "type": "object",
        "properties": {"inputs": inputs, "outputs": outputs},
    }


def render() -> str:
    """Return the schema as the text ``make schema`` writes."""
    return json.dumps(session_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema to ``argv[0]`` (default :data:`SCHEMA_PATH`)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else SCHEMA_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
