"""The secret key, set with ``pulumi config set --secret``, reaches nothing it must not.

The key appears nowhere in ``pulumi stack export``, the backend's files (checkpoints,
backups, history), the CLI's output or its logs, across up, refresh and destroy.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from pulumi_qpu import Session
from tests.support.cli import RealEngine, live_sessions
from tests.support.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def program() -> None:
    session = Session(
        "secretive",
        platform_name="EMU-AER-16C-128M",
        name=pulumi.Output.secret("secret-session-name"),
        tags=["team:secrets"],
    )
    pulumi.export("id", session.id)
    pulumi.export("name", session.name)


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
    stack = engine.stack(
        program,
        config={"qpu:projectId": qpu.project_id, "qpu:apiUrl": qpu.url},
        secrets={"qpu:secretKey": key},
    )
    printed: list[str] = []
    log_flags = {"log_flow": True, "log_verbosity": 9, "log_to_std_err": False}
    up = stack.up(on_output=printed.append, debug=True, **log_flags)
    assert [s["id"] for s in live_sessions(qpu)] == [up.outputs["id"].value]
    assert up.outputs["name"].secret
    stack.refresh(on_output=printed.append)
    exported = str(engine.exported(stack))
    stack.destroy(on_output=printed.append)

    assert_absent(key, exported, "pulumi stack export")
    assert_absent(key, engine.backend_text(), "the backend's files")
    assert_absent(key, "\n".join(printed), "the CLI's output")
    # Every log the CLI and its plugins wrote (TMPDIR and PULUMI_HOME).
    written = [p for d in (logs, tmp_path / "home") for p in d.rglob("*") if p.is_file()]
    assert any(p.name.startswith("pulumi") for p in logs.rglob("*")), "no CLI log was written"
    assert not [p for p in written if key in p.read_text(errors="replace")]
    # The provider's progress lines were printed, without the session's secret name.
    assert "of secretive is running" in "\n".join(printed)
    assert_absent("secret-session-name", "\n".join(printed), "the CLI's output")
