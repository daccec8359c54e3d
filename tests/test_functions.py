"""Lookups for programs, plain and as Outputs, against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_qpu import functions
from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import (
    InvalidInputError,
    MissingConfigurationError,
    NotFoundError,
    PlatformNotFoundError,
)
from pulumi_qpu.models import Platform, PlatformType, Session
from tests.support.emulator import RunningEmulator


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def qpu(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> RunningEmulator:
    """The emulator, with the program's environment pointing at it and no scw file."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "none.yaml"))
    monkeypatch.delenv("SCW_PROFILE", raising=False)
    return emulator


@pytest.fixture
def session(qpu: RunningEmulator) -> Session:
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        platform = client.find_platform("EMU-AER-16C-128M")
        return client.create_session(platform_id=platform.id, name="looked-up", tags=["a", "b"])


def test_get_platform_by_name_and_by_id_return_the_same_platform(qpu: RunningEmulator) -> None:
    by_name = functions.get_platform(name="QPU-GARNET-20PQ")
    assert by_name.name == "QPU-GARNET-20PQ"
    assert functions.get_platform(platform_id=by_name.id) == by_name


def test_get_platform_with_an_unknown_name_lists_the_closest_names(qpu: RunningEmulator) -> None:
    with pytest.raises(PlatformNotFoundError) as info:
        functions.get_platform(name="QPU-GARNET-20")
    assert "QPU-GARNET-20PQ" in str(info.value)


def test_an_unknown_platform_name_is_not_reported_as_a_404(qpu: RunningEmulator) -> None:
    # The API answered the listing with 200; only the name matched nothing.
    with pytest.raises(PlatformNotFoundError) as info:
        functions.get_platform(name="NO-SUCH-PLATFORM")
    assert "404" not in str(info.value)
    assert str(info.value) == (
        "no platform is named 'NO-SUCH-PLATFORM' (none of the 16 platforms GET "
        f"{qpu.url}/qaas/v1alpha1/platforms lists has that name); no platform name is close; "
        "list them with list_platforms()"
    )
    assert info.value.status_code == 200


def test_a_platform_name_given_as_platform_id_suggests_name(qpu: RunningEmulator) -> None:
    qpu.reset_counters()
    with pytest.raises(InvalidInputError) as info:
        functions.get_platform(platform_id="EMU-AER-H100")
    assert "get_platform(name='EMU-AER-H100')" in str(info.value)
    assert qpu.counters() == {}  # refused before any request


def test_get_platform_needs_exactly_one_of_name_and_id(qpu: RunningEmulator) -> None:
    with pytest.raises(ValueError, match="exactly one of name= or platform_id="):
        functions.get_platform()


def test_list_platforms_filters_by_type(qpu: RunningEmulator) -> None:
    qpus = functions.list_platforms(platform_type="qpu")
    assert qpus
    assert {p.type for p in qpus} == {PlatformType.QPU}
    assert len(functions.list_platforms()) > len(qpus)


def test_get_session_returns_the_live_session(session: Session) -> None:
    found = functions.get_session(session_id=session.id)
    assert (found.id, found.name, found.tags) == (session.id, "looked-up", ["a", "b"])


def test_get_session_of_an_unknown_id_is_not_found(qpu: RunningEmulator) -> None:
    with pytest.raises(NotFoundError):
        functions.get_session(session_id="0d4b4a46-6b9b-4d43-9a4e-9d2b1b0f3c11")


def test_list_sessions_filters_by_tags(session: Session) -> None:
    assert [s.id for s in functions.list_sessions(tags=["a"])] == [session.id]
    assert functions.list_sessions(tags=["a", "zzz"]) == []


def test_lookups_without_credentials_say_where_they_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCW_SECRET_KEY", raising=False)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "none.yaml"))
    with pytest.raises(MissingConfigurationError) as missing:
        functions.list_platforms()
    # A program passes no secret_key=: the fix is the stack's.
    assert str(missing.value).startswith(
        "qpu configuration: no secret_key is set: set it with `pulumi config set --secret "
        "qpu:secretKey <secret key>`, or export SCW_SECRET_KEY=<secret key> where pulumi runs."
    )
    assert "secret_key=" not in str(missing.value)


def test_output_variants_resolve_inside_a_program(session: Session) -> None:
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    seen: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        name = pulumi.Output.from_input("EMU-AER-16C-128M")
        platform = functions.get_platform_output(name=name)
        found = functions.get_session_output(session_id=pulumi.Output.from_input(session.id))
        listed = functions.list_sessions_output(platform_id=platform.apply(lambda p: p.id))
        platforms = functions.list_platforms_output(provider_name="qiskit")

        def check(values: list[Any]) -> None:
            seen.update(platform=values[0], found=values[1], listed=values[2], all=values[3])

        return pulumi.Output.all(platform, found, listed, platforms).apply(check)

    program()
    assert isinstance(seen["platform"], Platform)
    assert seen["found"].id == session.id
    assert [s.id for s in seen["listed"]] == [session.id]
    assert seen["all"]
    assert all(p.provider_name == "qiskit" for p in seen["all"])
