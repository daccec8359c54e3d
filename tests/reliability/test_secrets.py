"""The secret key, given as stack config, never shows up anywhere the engine or a user
can see it: across up, update, refresh, a failing create and destroy."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from tests.provider.conftest import stack_config
from tests.reliability.helpers import count_retries, fleet, logging_env
from tests.support.emulator import RunningEmulator
from tests.support.engine import MockEngine
from tests.support.host import HostCallError, ProviderHost

GET_ONE = "GET /qaas/v1alpha1/sessions/{session_id}"
CREATE = "POST /qaas/v1alpha1/sessions"


def _provider_bytes(state: dict[str, dict[str, Any]]) -> list[bytes]:
    # __provider is base64 of a pickle: a key inside would not show in the JSON text.
    blobs = []
    for res in state.values():
        for props in (res["inputs"], res["outputs"]):
            blobs.append(base64.b64decode(props["__provider"]))
    return blobs


@pytest.mark.timeout(90)
def test_secret_key_appears_nowhere_across_a_whole_lifecycle(
    qpu: RunningEmulator, tmp_path: Path
) -> None:
    secret = qpu.secret_key
    # Credentials only in stack config; the host's environment has none of them, and
    # the client logs every retry (INFO) so the logs have something to leak into.
    env = {k: v for k, v in logging_env(qpu, tmp_path).items() if not k.startswith("SCW_")}
    env["SCW_CONFIG_PATH"] = str(tmp_path / "none.yaml")
    seen: list[str] = []
    blobs: list[bytes] = []
    with ProviderHost(env) as host:
        engine = MockEngine(host, tmp_path / "state.json", config=stack_config(qpu))

        def snapshot(exports: dict[str, Any] | None = None) -> None:
            seen.append(engine.state_path.read_text() if engine.state_path.exists() else "")
            seen.append(repr(exports))
            blobs.extend(_provider_bytes(engine.state()))

        qpu.set_faults(script=[{"kind": "error", "route": GET_ONE, "count": 2}])
        snapshot(engine.up(fleet(2, tags=["a"])).exports)
        snapshot(engine.up(fleet(2, tags=["b"])).exports)
        snapshot(engine.refresh().exports)

        # A create the API refuses with a body that echoes the key back.
        qpu.set_faults(
            script=[
                {
                    "kind": "error",
                    "route": CREATE,
                    "status": 400,
                    "type": "invalid_arguments",
                    "fields": {"message": f"key {secret} is not allowed here", "details": []},
                }
            ]
        )
        with pytest.raises((HostCallError, RuntimeError)) as failed:
            engine.up(fleet(3, tags=["b"]))
        error = failed.value
        seen += [str(error), repr(error), getattr(error, "details", "")]
        assert "key <hidden> is not allowed here" in str(error)
        snapshot()

        engine.destroy()
        snapshot()
        logs = host.logs()
    seen.append(logs)
    assert sum(count_retries(logs).values()) >= 2, "the client's retry logging was not on"
    assert engine.state() == {}
    for text in seen:
        assert secret not in text
    for blob in blobs:
        assert secret.encode() not in blob
    assert len(blobs) == 2 * (2 + 2 + 2 + 2)
