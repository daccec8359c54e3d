"""The secret key, set with ``pulumi config set --secret``, reaches nothing it must not.

The key appears nowhere in ``pulumi stack export`` (nor inside the pickled
``__provider``), the backend's files (checkpoints, backups, history), the CLI's output
or its logs, across up, refresh, a create the API refuses with a reply echoing the key,
and destroy; with the client's retry logging on in the provider host.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_qpu import Session
from tests.reliability.helpers import logging_env
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import EmulatorFactory, RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Inputs that fail check, each made secret: none may be printed or stored anywhere.
WRONG = {
    "platform_name": "secret-platform-5b1e",
    "project_id": "secret-project-5b1e",
    "session_id": "secret-session-5b1e",
    "name": "secret-name-5b1e-" + "n" * 300,  # too long
    "max_duration": "secret-duration-5b1e",
    "tag": "pulumi-qpu:creating-secret-tag-5b1e",  # the reserved prefix
    "on_delete": "secret-mode-5b1e",
    "started_at": "2031-07-19T13:57:41",  # no time zone
    "parameters": "{secret-parameters-5b1e",  # not JSON
    "max_cost": "secret-budget-5b1e EUR",  # not an amount
    "deduplication_id": "secret-deduplication-id-5b1e-" + "d" * 120,  # too long
}
# A budget the platform's price breaks, with the budget, duration and platform secret.
DEAR = {"platform_name": "EMU-CUDAQ-4H100SXM", "max_duration": "2h15m", "max_cost": "12.34 EUR"}


def program() -> None:
    session = Session(
        "secretive",
        platform_name="EMU-AER-16C-128M",
        name=pulumi.Output.secret("secret-session-name"),
        tags=["team:secrets"],
    )
    pulumi.export("id", session.id)
    pulumi.export("name", session.name)
    if pulumi.Config().get_bool("second"):
        Session("second", platform_name="EMU-AER-16C-128M")


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # how Pulumi's state marks a secret
GET_ONE = "GET /qaas/v1alpha1/sessions/{session_id}"
CREATE = "POST /qaas/v1alpha1/sessions"


def echoing_refusal(key: str) -> dict[str, Any]:
    """A scripted 400 on create whose message echoes the key back."""
    message = f"key {key} is not allowed here"
    return {
        "kind": "error",
        "route": CREATE,
        "status": 400,
        "type": "invalid_arguments",
        "fields": {"message": message, "details": []},
    }


def assert_absent(secret: str, text: str, where: str) -> None:
    """Fail naming where the secret was found, with the text around it."""
    at = text.find(secret)
    assert at < 0, f"the secret is in {where}: ...{text[max(0, at - 300) : at + 60]}..."


def test_the_secret_key_is_nowhere_in_state_output_or_logs(
    engine: RealEngine, qpu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the stack's config holds the key: no environment does.
    key = qpu.secret_key
    engine.unset_env.add("SCW_SECRET_KEY")
    monkeypatch.delenv("SCW_SECRET_KEY")
    # The CLI writes its logs to TMPDIR, the rest to PULUMI_HOME: both are scanned.
    logs = tmp_path / "logs"
    logs.mkdir()
    engine.extra_env["TMPDIR"] = str(logs)
    engine.extra_env["PULUMI_HOME"] = str(tmp_path / "home")
    # The client's retries are logged in the provider host (INFO on its stderr).
    engine.extra_env["PYTHONPATH"] = logging_env(qpu, tmp_path)["PYTHONPATH"]
    stack = engine.stack(
        program,
        config={"qpu:projectId": qpu.project_id, "qpu:apiUrl": qpu.url},
        secrets={"qpu:secretKey": key},
    )
    # Two reads fail once each, so the logs have retry lines the key could leak into.
    qpu.set_faults(script=[{"kind": "error", "route": GET_ONE, "count": 2}])
    printed: list[str] = []
    log_flags = {"log_flow": True, "log_verbosity": 9, "log_to_std_err": False}
    up = stack.up(on_output=printed.append, debug=True, **log_flags)
    assert [s["id"] for s in live_sessions(qpu)] == [up.outputs["id"].value]
    assert up.outputs["name"].secret
    stack.refresh(on_output=printed.append)
    exported = engine.exported(stack)
    # A create the API refuses with a reply that echoes the key: the error is shown.
    from pulumi import automation as auto

    qpu.set_faults(script=[echoing_refusal(key)])
    stack.set_config("second", auto.ConfigValue("true"))
    with pytest.raises(auto.CommandError) as refused:
        stack.up(on_output=printed.append)
    printed.append(str(refused.value))
    assert "key <hidden> is not allowed here" in str(refused.value)
    stack.destroy(on_output=printed.append)

    (stored,) = [r for r in exported["resources"] if r["type"].endswith("qpu:Session")]
    # A value the program made secret is stored marked as a secret, in and out.
    assert SECRET_SIG in stored["inputs"]["name"]
    assert SECRET_SIG in stored["outputs"]["name"]
    # __provider is base64 of a pickle: a key inside would not show in the JSON text.
    for props in (stored["inputs"], stored["outputs"]):
        assert len(props["__provider"]) <= 512
        assert key.encode() not in base64.b64decode(props["__provider"])
    # The host's stderr reaches the CLI's output as diagnostics, indented.
    assert "\n".join(printed).count("qpu-log pulumi_qpu.retry") >= 2, "no retry was logged"

    assert_absent(key, str(exported), "pulumi stack export")
    assert_absent(key, engine.backend_text(), "the backend's files")
    assert_absent(key, "\n".join(printed), "the CLI's output")
    # Every log the CLI and its plugins wrote (TMPDIR and PULUMI_HOME).
    written = [p for d in (logs, tmp_path / "home") for p in d.rglob("*") if p.is_file()]
    assert any(p.name.startswith("pulumi") for p in logs.rglob("*")), "no CLI log was written"
    assert not [p for p in written if key in p.read_text(errors="replace")]
    # The provider's progress lines were printed, without the session's secret name.
    assert "of secretive is running" in "\n".join(printed)
    assert_absent("secret-session-name", "\n".join(printed), "the CLI's output")


def wrong_in_secret() -> None:
    """A Session whose secret inputs each fail check (the engine stops at the first
    resource that fails: one per run, as the config says)."""
    secret = pulumi.Output.secret
    if pulumi.Config().get("session") == "dear":
        Session(
            "dear",
            platform_name=secret(DEAR["platform_name"]),
            max_duration=secret(DEAR["max_duration"]),
            max_cost=secret(DEAR["max_cost"]),
        )
        return
    Session(
        "wrong",
        platform_name=secret(WRONG["platform_name"]),
        project_id=secret(WRONG["project_id"]),
        session_id=secret(WRONG["session_id"]),
        name=secret(WRONG["name"]),
        max_duration=secret(WRONG["max_duration"]),
        tags=["team:ok", secret(WRONG["tag"])],
        on_delete=secret(WRONG["on_delete"]),
        booking_demand=secret(
            {"started_at": WRONG["started_at"], "finished_at": "2031-07-19T15:00:00Z"}
        ),
        parameters=secret(WRONG["parameters"]),
        max_cost=secret(WRONG["max_cost"]),
        deduplication_id=secret(WRONG["deduplication_id"]),
    )


def test_secret_inputs_that_fail_check_are_printed_and_stored_nowhere(
    emulator_factory: EmulatorFactory, engine_for: Callable[[RunningEmulator], RealEngine]
) -> None:
    from pulumi import automation as auto

    qpu = emulator_factory(log_level="info")  # the emulator logs every request
    engine = engine_for(qpu)
    stack = engine.stack(wrong_in_secret)
    printed: list[str] = []
    for session in ("wrong", "dear"):
        stack.set_config("session", auto.ConfigValue(session))
        for operation in (stack.preview, stack.up):
            with pytest.raises(auto.CommandError) as failure:
                operation(on_output=printed.append)
            printed.append(str(failure.value))
    text = "\n".join(printed)
    # Every input failed, each on its own property, with its value masked.
    for prop in (*(k for k in WRONG if k not in ("tag", "started_at")), "booking_demand"):
        assert f"resource 'wrong': property {prop} value {{[secret]}} has a problem" in text, prop
    assert (
        "resource 'wrong': property tags value {[{team:ok} {[secret]}]} has a problem: tag 2 "
        "starts with the reserved prefix 'pulumi-qpu:creating'"
    ) in text
    assert "resource 'dear': property max_cost value {[secret]} has a problem: worst case" in text
    assert qpu.sessions() == []
    for value in (*WRONG.values(), "secret-name-5b1e", "secret-deduplication-id-5b1e"):
        assert_absent(value, text, "the CLI's output")
        assert_absent(value, engine.backend_text(), "the backend's files")
        assert_absent(value, qpu.output, "the emulator's log")
    for value in DEAR.values():
        assert_absent(value, text, "the CLI's output")
