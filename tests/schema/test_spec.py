"""The spec of the Session (pulumi_qpu/spec.py) is the one place its fields are written.

Every artefact derived from it is checked here: committed files match what the spec
makes now, and the derived key sets, types and limits are the ones the code uses.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from pulumi._types import resource_types

from pulumi_qpu import models, spec
from pulumi_qpu.checks import INPUT_KEYS, REPLACE_KEYS, SETTING_KEYS, UPDATE_KEYS
from pulumi_qpu.emulator import assumptions
from pulumi_qpu.package_schema import package_schema
from pulumi_qpu.resource import Session, SessionArgs


@pytest.mark.parametrize("path_and_text", list(spec.artefacts()), ids=lambda a: a[0].name)
def test_every_derived_artefact_is_up_to_date(path_and_text: tuple[Path, str]) -> None:
    path, text = path_and_text
    assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `make schema`"


def test_the_check_reports_a_stale_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "README.md"
    stale.write_text("<!-- spec:session-inputs -->\nold\n<!-- /spec:session-inputs -->\n")
    monkeypatch.setattr(spec, "_README", stale)
    monkeypatch.setattr(spec, "_PROVIDER_DOC", tmp_path / "absent.md")
    monkeypatch.setattr(spec, "_GENERATED", tmp_path / "fields.py")
    monkeypatch.setattr(spec, "_PACKAGE_SCHEMA", tmp_path / "package.json")
    monkeypatch.setattr("pulumi_qpu.resource_schema.SCHEMA_PATH", tmp_path / "schema.json")
    assert spec.main(["--check"]) == 1
    assert "old" in stale.read_text()
    assert spec.main([]) == 0
    assert "| `platform_name` |" in stale.read_text()
    assert spec.main(["--check"]) == 0


def test_the_key_sets_are_the_spec_and_the_api() -> None:
    assert set(UPDATE_KEYS) == set(models.UpdateSessionRequest.model_fields)
    assert set(UPDATE_KEYS) | set(REPLACE_KEYS) == set(models.CreateSessionRequest.model_fields)
    assert set(SETTING_KEYS) == {i.name for i in spec.INPUTS if i.change == "setting"}
    assert set(INPUT_KEYS) == {i.name for i in spec.INPUTS}


def test_session_args_and_outputs_are_the_spec() -> None:
    declared = {i.name for i in spec.INPUTS if i.change != "internal"}
    assert {f.name for f in fields(SessionArgs)} == declared
    outputs = {o.name for o in (*spec.OUTPUTS, *spec.COST_OUTPUTS)}
    # The SDK reads output types from the resource class's own annotations: the same call.
    types = resource_types(Session)
    assert set(types) >= outputs
    assert types["waiting_job_count"] is int


def test_the_api_limits_are_written_once() -> None:
    assert assumptions.MAX_TAGS == models.MAX_TAGS
    assert assumptions.MAX_TAG_LENGTH == models.MAX_TAG_LENGTH
    assert assumptions.MAX_DEDUPLICATION_ID_LENGTH == models.MAX_DEDUPLICATION_ID_LENGTH
    schema = {i.name: i.schema for i in spec.INPUTS}
    assert schema["deduplication_id"]["maxLength"] == models.MAX_DEDUPLICATION_ID_LENGTH
    assert schema["tags"]["maxItems"] == models.MAX_TAGS - 1
    assert schema["platform_id"]["pattern"] == models.UUID_PATTERN


def test_the_package_schema_declares_every_input_and_output() -> None:
    document = package_schema("1.2.3")
    assert document["version"] == "1.2.3"
    session = document["resources"]["qpu:index:Session"]
    assert "platformName" in session["inputProperties"]
    assert "resourceKey" not in session["inputProperties"]
    assert session["inputProperties"]["onDelete"]["default"] == "terminate"
    assert session["inputProperties"]["bookingDemand"] == {
        "$ref": "#/types/qpu:index:BookingDemand",
        "description": "A slot on a bookable platform.",
    }
    assert "oneOf" in session["inputProperties"]["maxDuration"]
    assert "accruedCost" in session["properties"]
    assert document["config"]["variables"]["secretKey"]["secret"] is True
