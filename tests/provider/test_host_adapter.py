"""pulumi_qpu.host: one-line errors in the SDK's real host, its guard, the Session's URN."""

from __future__ import annotations

import sys
import traceback
import types

import pytest

from pulumi_qpu import Session, resource
from pulumi_qpu import host as qpu_host
from pulumi_qpu.errors import QpuError
from tests.provider.test_host import URN, news
from tests.support.host import HostCallError, ProviderHost


def test_an_error_of_pulumi_qpu_reaches_the_engine_as_one_line(host: ProviderHost) -> None:
    checked = host.check(URN, {}, news())
    adopt = {**checked.inputs, "session_id": "00000000-0000-0000-0000-000000000000"}
    with pytest.raises(HostCallError) as caught:
        host.create(URN, adopt)
    details = caught.value.details
    assert "Traceback" not in details
    assert "\n" not in details.strip()
    assert details.startswith("cannot adopt the session named by session_id")
    assert "remove session_id to create a new session" in details


def test_an_unexpected_error_keeps_its_traceback(host: ProviderHost) -> None:
    # No check before create: the inputs lack platform_id, a bug's KeyError.
    with pytest.raises(HostCallError) as caught:
        host.create(URN, news())
    assert caught.value.details.startswith("Traceback (most recent call last):")
    assert "KeyError: 'platform_id'" in caught.value.details


def _fake_host(monkeypatch: pytest.MonkeyPatch, **names: object) -> types.ModuleType:
    """A ``__main__`` named as the SDK's dynamic host, holding ``names``."""
    module = types.ModuleType("__main__")
    module.__spec__ = types.SimpleNamespace(name="pulumi.dynamic.__main__")  # type: ignore[assignment]
    vars(module).update(names)
    monkeypatch.setitem(sys.modules, "__main__", module)
    return module


def test_outside_the_host_nothing_is_adapted() -> None:
    assert qpu_host.host_module() is None
    assert qpu_host.adapt_host() is False


def test_a_host_shaped_otherwise_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    # An SDK that no longer fails calls through _abort_with_traceback: today's behaviour.
    module = _fake_host(monkeypatch, traceback=traceback)
    assert qpu_host.adapt_host() is False
    assert module.traceback is traceback


def test_the_adapted_host_formats_qpu_errors_as_one_line_and_others_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = _fake_host(monkeypatch, traceback=traceback, _abort_with_traceback=lambda fn: fn)
    assert qpu_host.adapt_host() is True
    assert qpu_host.adapt_host() is True  # idempotent
    adapted = module.traceback
    assert adapted is not traceback
    assert adapted.format_exception is traceback.format_exception  # the rest as it was
    try:
        raise QpuError("x is not set. Looked in:\n  - a\n  - b\nFix: set x")
    except QpuError:
        assert adapted.format_exc() == "x is not set. Looked in: - a - b Fix: set x"
    try:
        raise ValueError("a bug")
    except ValueError:
        text = adapted.format_exc()
    assert text.startswith("Traceback")
    assert text.rstrip().endswith("ValueError: a bug")


@pytest.mark.parametrize(
    ("resource_key", "urn"),
    [
        (
            "organization/proj/dev/s1",
            "urn:pulumi:dev::proj::pulumi-python:dynamic/qpu:Session::s1",
        ),
        ("org/proj/dev/a/b", "urn:pulumi:dev::proj::pulumi-python:dynamic/qpu:Session::a/b"),
        (
            "org/urn:pulumi:dev::proj::my:C$pulumi-python:dynamic/qpu:Session::s",
            "urn:pulumi:dev::proj::my:C$pulumi-python:dynamic/qpu:Session::s",
        ),
        ("org/proj", ""),
        (None, ""),
    ],
)
def test_the_session_urn_is_read_from_its_resource_key(resource_key: object, urn: str) -> None:
    assert qpu_host.session_urn(resource_key) == urn


def test_session_get_with_an_sdk_whose_host_cannot_read_by_id_points_to_what_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resource, "_sdk_version", lambda: (3, 267, 0))
    with pytest.raises(QpuError) as caught:
        Session.get("seen", "00000000-0000-0000-0000-000000000000")
    message = str(caught.value)
    assert message.startswith("Session.get needs pulumi 3.268.0 or later")
    assert "pulumi_qpu.get_session(session_id=...)" in message
    assert "Session(..., session_id=...)" in message
