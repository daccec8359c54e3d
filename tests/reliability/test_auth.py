"""A wrong key and a foreign project: the typed error, and a message that says how to
fix it, both from the client and as the engine shows it from the provider in the host."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.client import QaasClient
from pulumi_qpu.config import resolve_config
from pulumi_qpu.errors import DeniedAuthenticationError, PermissionsDeniedError
from pulumi_qpu.provider import SessionProvider
from tests.reliability.helpers import PLATFORM
from tests.support.emulator import RunningEmulator
from tests.support.host import HostCallError, running_host

URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
PLATFORM_ID = "3cd822eb-ac66-53d6-91da-09695149edc2"  # EMU-AER-16C-128M, stable uuid5
PROVIDER = serialize_provider(SessionProvider())
WRONG_KEY = str(uuid.UUID(int=0x5EC2E7))


def last_line(error: HostCallError) -> str:
    """What the provider raised, as the engine prints it under the resource."""
    return error.details.strip().splitlines()[-1]


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere but what a test adds."""
    return {"SCW_CONFIG_PATH": str(tmp_path / "none.yaml")}


@pytest.mark.parametrize(
    ("where", "source", "fix"),
    [
        (
            "env",
            "environment variable SCW_SECRET_KEY",
            "export the right one in SCW_SECRET_KEY, or set `pulumi config set --secret "
            "qpu:secretKey <secret key>`, which outranks it",
        ),
        (
            "stack",
            "stack config qpu:secretKey",
            "set the right one with `pulumi config set --secret qpu:secretKey <secret key>`",
        ),
    ],
)
def test_wrong_key_through_the_provider_names_its_source_and_the_fix(
    qpu: RunningEmulator, bare_env: dict[str, str], where: str, source: str, fix: str
) -> None:
    settings = {"url": qpu.url, "project": qpu.project_id}
    if where == "env":
        env = {**bare_env, "SCW_SECRET_KEY": WRONG_KEY, "SCW_API_URL": settings["url"]}
        config = {"qpu:projectId": settings["project"]}
    else:
        env = bare_env
        config = {
            "qpu:secretKey": WRONG_KEY,
            "qpu:apiUrl": settings["url"],
            "qpu:projectId": settings["project"],
        }
    with running_host(env, config) as host:
        # Check reports it once, as the resource's: no property is wrong...
        checked = host.check(URN, {}, {"__provider": PROVIDER, "platform_name": PLATFORM})
        [(prop, reason)] = checked.failures
        assert prop == ""
        assert f"the secret key from {source} was refused" in reason
        assert fix in reason
        assert "denied_authentication" in reason
        # ...and create fails with the typed error and the fix.
        inputs = host.check(URN, {}, {"__provider": PROVIDER, "platform_id": PLATFORM_ID}).inputs
        with pytest.raises(HostCallError) as caught:
            host.create(URN, inputs)
        text = last_line(caught.value)
        assert "401 denied_authentication" in text  # one line, no class name (host.py)
        assert source in text
        assert fix in text
        assert WRONG_KEY not in caught.value.details
    assert qpu.sessions() == []


def test_foreign_project_through_the_provider_names_the_project_and_the_fix(
    qpu: RunningEmulator, bare_env: dict[str, str]
) -> None:
    # The key is right, the project belongs to the emulator's other tenant.
    env = {**bare_env, **qpu.env(), "SCW_DEFAULT_PROJECT_ID": qpu.other_project_id}
    with running_host(env, {}) as host:
        inputs = host.check(URN, {}, {"__provider": PROVIDER, "platform_id": PLATFORM_ID}).inputs
        assert inputs["project_id"] == qpu.other_project_id
        with pytest.raises(HostCallError) as caught:
            host.create(URN, inputs)
        text = last_line(caught.value)
        assert "403 permissions_denied" in text
        assert qpu.other_project_id in text
        assert "policy" in text
    assert qpu.sessions() == []


def test_foreign_project_declared_on_the_session_is_the_one_the_error_names(
    qpu: RunningEmulator, bare_env: dict[str, str]
) -> None:
    # Default project is the caller's own; the Session declares the other tenant's.
    env = {**bare_env, **qpu.env()}
    with running_host(env, {}) as host:
        news = {
            "__provider": PROVIDER,
            "platform_id": PLATFORM_ID,
            "project_id": qpu.other_project_id,
        }
        inputs = host.check(URN, {}, news).inputs
        with pytest.raises(HostCallError) as caught:
            host.create(URN, inputs)
        text = last_line(caught.value)
        assert "403 permissions_denied" in text
        assert qpu.other_project_id in text


@pytest.mark.parametrize("which", ["wrong key", "other tenant's key", "foreign project"])
def test_client_errors_are_typed_and_say_how_to_fix(qpu: RunningEmulator, which: str) -> None:
    key = {"wrong key": WRONG_KEY, "other tenant's key": qpu.other_secret_key}.get(
        which, qpu.secret_key
    )
    environ = {"SCW_SECRET_KEY": key, "SCW_API_URL": qpu.url, "SCW_CONFIG_PATH": "/nonexistent"}
    project = qpu.other_project_id if which == "foreign project" else qpu.project_id
    environ["SCW_DEFAULT_PROJECT_ID"] = project
    expected = DeniedAuthenticationError if which == "wrong key" else PermissionsDeniedError
    with QaasClient.from_config(resolve_config(environ=environ)) as client:
        with pytest.raises(expected) as caught:
            client.create_session(platform_id=PLATFORM_ID)
        with pytest.raises(expected):
            list(client.list_sessions())
    assert caught.value.hint
    assert "SCW_SECRET_KEY" in str(caught.value)
    assert key not in str(caught.value)
    assert qpu.sessions() == []
