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


def test_the_secret_key_is_nowhere_in_state_output_or_logs(
    engine: RealEngine, qpu: RunningEmulator, tmp_path: Path
) -> None:
    # Only the stack's config holds the key: the CLI's environment does not.
    key = qpu.secret_key
    engine.unset_env.add("SCW_SECRET_KEY")
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
    assert up.outputs["name"].is_secret
    stack.refresh(on_output=printed.append)
    exported = str(engine.exported(stack))
    stack.destroy(on_output=printed.append)

    assert key not in exported
    assert key not in engine.backend_text()
    assert key not in "\n".join(printed)
    # Every log the CLI and its plugins wrote (TMPDIR and PULUMI_HOME).
    written = [p for d in (logs, tmp_path / "home") for p in d.rglob("*") if p.is_file()]
    assert any(p.name.startswith("pulumi") for p in logs.rglob("*")), "no CLI log was written"
    assert not [p for p in written if key in p.read_text(errors="replace")]
    # The session's secret name is not printed by the provider's progress lines either.
    assert "secret-session-name" not in "\n".join(printed)
