"""Configuration, key and URL problems fail check once, as the stack's, with their fix.

No property causes them, so none is blamed: one resource-level failure names the
setting (``pulumi config set ...`` or the ``SCW_*`` variable, whichever applies), where
a refused key or an unreachable URL came from, and never a value. Only a platform name
the API does not know is the ``platform_name``'s failure (with the ``platform_id`` hint).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pulumi.dynamic import CheckFailure, Config, ConfigureRequest

from pulumi_qpu.provider import SessionProvider
from tests.provider.conftest import PLATFORM, stack_config
from tests.support.emulator import RunningEmulator

OTHER_KEY = "0badc0de-1111-2222-3333-444444444444"
MissingSession = "3cd822eb-ac66-53d6-91da-09695149edc2"
Check = Callable[..., list[CheckFailure]]


@pytest.fixture
def check(qpu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Check]:
    """Check ``news`` with a provider configured from ``config`` (and ``env``) only."""
    for name in ("SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "SCW_API_URL", "SCW_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "no-scw-config.yaml"))
    made: list[SessionProvider] = []

    def run(
        config: dict[str, str], news: dict[str, object], env: dict[str, str] | None = None
    ) -> list[CheckFailure]:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        provider = SessionProvider()
        made.append(provider)
        provider.configure(ConfigureRequest(Config(config, "project")))
        return list(provider.check({}, news).failures)

    yield run
    for provider in made:
        provider.close()


def without(config: dict[str, str], key: str) -> dict[str, str]:
    return {name: value for name, value in config.items() if name != key}


def test_no_secret_key_is_one_configuration_failure_naming_the_stack_key(
    check: Check, qpu: RunningEmulator, tmp_path: Path
) -> None:
    config = without(stack_config(qpu), "qpu:secretKey")
    failures = check(config, {"platform_name": PLATFORM, "max_cost": "5 EUR"})
    assert [(f.property, f.reason) for f in failures] == [
        (
            "",
            "qpu configuration: no secret_key is set: set it with `pulumi config set "
            "--secret qpu:secretKey <secret key>`, like this stack's qpu:projectId, "
            "qpu:apiUrl. Looked in stack config qpu:secretKey; environment variable "
            f"SCW_SECRET_KEY; scw config file {tmp_path / 'no-scw-config.yaml'} (default "
            "profile), key secret_key (file not found)",
        )
    ]


def test_no_secret_key_where_the_environment_holds_the_rest_says_to_export_it(
    check: Check, qpu: RunningEmulator
) -> None:
    env = {"SCW_API_URL": qpu.url, "SCW_DEFAULT_PROJECT_ID": qpu.project_id}
    failures = check({}, {"platform_name": PLATFORM}, env)
    assert [f.property for f in failures] == [""]
    assert failures[0].reason.startswith(
        "qpu configuration: no secret_key is set: export SCW_SECRET_KEY=<secret key> where "
        "pulumi runs, like SCW_DEFAULT_PROJECT_ID, SCW_API_URL (or set `pulumi config set "
        "--secret qpu:secretKey <secret key>`)"
    )


def test_a_refused_key_says_where_it_came_from_once_and_never_the_key(
    check: Check, qpu: RunningEmulator
) -> None:
    config = {**stack_config(qpu), "qpu:secretKey": OTHER_KEY}
    news = {"platform_name": PLATFORM, "session_id": MissingSession, "max_cost": "5 EUR"}
    failures = check(config, news)
    assert [(f.property, f.reason) for f in failures] == [
        (
            "",
            "the secret key from stack config qpu:secretKey was refused: check it is the "
            "secret key (not the access key) of an API key that still exists, e.g. with "
            "`scw iam api-key get <access key>`, and set the right one with `pulumi config "
            f"set --secret qpu:secretKey <secret key>` (401 denied_authentication from "
            f"{qpu.url})",
        )
    ]
    assert OTHER_KEY not in failures[0].reason


def test_a_refused_key_from_the_environment_says_to_export_the_right_one(
    check: Check, qpu: RunningEmulator
) -> None:
    config = without(stack_config(qpu), "qpu:secretKey")
    failures = check(config, {"platform_name": PLATFORM}, {"SCW_SECRET_KEY": OTHER_KEY})
    assert [f.property for f in failures] == [""]
    assert failures[0].reason.startswith(
        "the secret key from environment variable SCW_SECRET_KEY was refused:"
    )
    assert (
        "export the right one in SCW_SECRET_KEY, or set `pulumi config set --secret "
        "qpu:secretKey <secret key>`, which outranks it"
    ) in failures[0].reason


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_refused_connection_names_the_url_and_its_source_once(
    check: Check, qpu: RunningEmulator
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = {**stack_config(qpu), "qpu:apiUrl": url}
    failures = check(config, {"platform_name": PLATFORM, "session_id": MissingSession})
    assert [f.property for f in failures] == [""]
    reason = failures[0].reason
    assert reason.startswith(
        f"the API at {url} (URL from stack config qpu:apiUrl) is unreachable: ConnectError: "
    )
    # Stack config outranks the environment: exporting SCW_* lines would fix nothing.
    assert "SCW_" not in reason
    assert "platform_id" not in reason


def test_a_name_that_does_not_resolve_names_the_url_and_its_source(
    check: Check, qpu: RunningEmulator
) -> None:
    config = {**stack_config(qpu), "qpu:apiUrl": "https://qaas.invalid"}
    failures = check(config, {"platform_name": PLATFORM})
    assert [f.property for f in failures] == [""]
    assert failures[0].reason.startswith(
        "the API at https://qaas.invalid (URL from stack config qpu:apiUrl) is unreachable: "
        "ConnectError: "
    )
    assert failures[0].reason.endswith(
        "Check the URL and that this machine can reach it (proxy, firewall)."
    )


def test_a_malformed_project_setting_names_the_key_not_the_value(
    check: Check, qpu: RunningEmulator
) -> None:
    config = {**stack_config(qpu), "qpu:projectId": "my-project"}
    failures = check(config, {"platform_name": PLATFORM})
    assert [(f.property, f.reason) for f in failures] == [
        (
            "",
            "qpu configuration: project_id from stack config qpu:projectId is not valid: it "
            "must be a project UUID like 11111111-2222-3333-4444-555555555555; set the right "
            "one with `pulumi config set qpu:projectId <project uuid>`",
        )
    ]


def test_only_an_unknown_platform_name_gets_the_platform_id_hint(
    check: Check, qpu: RunningEmulator
) -> None:
    failures = check(stack_config(qpu), {"platform_name": "EMU-AER-H10"})
    assert [f.property for f in failures] == ["platform_name"]
    assert failures[0].reason.endswith(
        "(list them with pulumi_qpu.list_platforms, or set platform_id to the platform's "
        "UUID instead)"
    )
