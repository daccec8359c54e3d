"""schema/session.schema.json: generated, in sync with the code, and true of real results."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import jsonschema
import pytest

from pulumi_qpu.cost import COST_OUTPUT_KEYS
from pulumi_qpu.provider import INPUT_KEYS, OUTPUT_KEYS, SessionProvider
from pulumi_qpu.resource import SessionArgs
from pulumi_qpu.resource_schema import SCHEMA_PATH, session_schema

# Filled by the resource class and by check, never by users.
INTERNAL = {"resource_key", *COST_OUTPUT_KEYS}


def test_schema_inputs_are_exactly_the_resource_and_provider_inputs() -> None:
    declared = set(session_schema()["properties"]["inputs"]["properties"])
    assert declared == {f.name for f in fields(SessionArgs)}
    assert declared == set(INPUT_KEYS) - INTERNAL


def test_schema_outputs_are_every_session_field() -> None:
    outputs = session_schema()["properties"]["outputs"]["properties"]
    assert set(outputs) == set(OUTPUT_KEYS)


def test_every_input_says_what_a_change_does() -> None:
    inputs = session_schema()["properties"]["inputs"]["properties"]
    changes = {name: prop["x-pulumi-change"] for name, prop in inputs.items()}
    assert changes["tags"] == "update"
    assert changes["platform_id"] == "replace"
    assert changes["on_delete"] == "setting"


def _validator(part: str) -> jsonschema.protocols.Validator:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema = {**document["properties"][part], "$schema": document["$schema"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "declared",
    [
        {"platform_name": "EMU-AER-16C-128M"},
        {
            "platform_name": "EMU-AER-16C-128M",
            "name": "n",
            "max_idle_duration": "1h",
            "max_duration": 7200,
            "tags": ["a", "b"],
            "parameters": {"shots": 100},
            "model_id": "6b1f5a2e-8f0c-4c1d-9a57-0b6a3e1c9d42",
            "wait_for_running": False,
            "create_timeout": "PT5M",
            "on_delete": "terminate_and_delete",
        },
    ],
)
def test_checked_inputs_and_created_outputs_validate(
    provider: SessionProvider, declared: dict[str, Any]
) -> None:
    checked = provider.check({}, {**declared, "resource_key": "p/s/schema"})
    assert checked.failures == []
    inputs = {k: v for k, v in checked.inputs.items() if k not in INTERNAL}
    _validator("inputs").validate(inputs)
    created = provider.create(checked.inputs)
    assert created.outs is not None
    outputs = {k: v for k, v in created.outs.items() if k in OUTPUT_KEYS}
    _validator("outputs").validate({"id": created.id, **outputs})
    provider.delete(created.id, created.outs)
