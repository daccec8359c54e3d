"""``scaleway-qaas-client``, unchanged, runs a session's whole life against the emulator.

It is the client qiskit-scaleway and the other framework plug-ins start sessions with,
and it parses replies strictly by the published contract (a ``null`` where the contract
says object crashed it). It cannot share our venv: 0.1.11, the newest release for
Python < 3.12, pins ``python-dateutil==2.8.0``, which the ``scaleway`` SDK refuses. So
each client gets its own virtualenv, made with ``python -m venv`` and pip from PyPI on
first use and kept in pytest's cache (``.pytest_cache/d/qaas-client-venvs``; delete it
to rebuild), and ``qaas_client_lifecycle.py`` runs in it as a subprocess.

Environments: 0.1.11 on the Python running the suite when it is older than 3.12, and the
newest release on the newest CPython >= 3.12 the machine has (found on PATH or under
pyenv). A client that cannot be installed (no network) is a skip that says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import RunningEmulator

LIFECYCLE = Path(__file__).with_name("qaas_client_lifecycle.py")
OLD_CLIENT = "scaleway-qaas-client==0.1.11"
"""The newest release that installs on Python < 3.12."""
NEW_CLIENT = "scaleway-qaas-client==0.1.24"
"""The newest release when this was written (needs Python >= 3.12); bump it on purpose."""
_INSTALL_TIMEOUT = 240
_RUN_TIMEOUT = 60


@dataclass(frozen=True)
class ClientEnv:
    """A Python interpreter and the client release to install next to it."""

    python: str
    requirement: str
    version: tuple[int, int]

    @property
    def label(self) -> str:
        return f"py{self.version[0]}.{self.version[1]}-{self.requirement.split('==')[-1]}"


def _version_of(python: str) -> tuple[int, int] | None:
    """``(major, minor)`` of an interpreter, or None if it does not run (a pyenv shim)."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


def _newest_python_312_or_later() -> tuple[str, tuple[int, int]] | None:
    candidates = [shutil.which(f"python3.{minor}") for minor in range(20, 11, -1)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob("versions/3.*/bin/python3"))]
    found = []
    for python in filter(None, candidates):
        version = _version_of(python)
        if version is not None and version >= (3, 12):
            found.append((version, python))
    if not found:
        return None
    version, python = max(found)
    return python, version


def client_envs() -> list[ClientEnv]:
    """The environments to test (see the module docstring)."""
    envs = []
    here = sys.version_info[:2]
    if here < (3, 12):
        envs.append(ClientEnv(sys.executable, OLD_CLIENT, (here[0], here[1])))
    newest = _newest_python_312_or_later()
    if newest is not None:
        envs.append(ClientEnv(newest[0], NEW_CLIENT, newest[1]))
    return envs


def _venv_python(env: ClientEnv, cache: Path) -> Path:
    """The Python of ``env``'s venv, made (once, then cached) if needed."""
    target = cache / env.label
    python = target / "bin" / "python"
    ready = target / ".ready"
    if ready.exists():
        return python
    # Built aside and renamed, so an interrupted build is never taken for a good one.
    building = cache / f"{env.label}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    if env.python == sys.executable:
        venv.EnvBuilder(with_pip=True).create(building)
    else:
        subprocess.run([env.python, "-m", "venv", str(building)], check=True, timeout=120)
    install = subprocess.run(
        [str(building / "bin" / "python"), "-m", "pip", "install", "-q", env.requirement],
        capture_output=True,
        text=True,
        timeout=_INSTALL_TIMEOUT,
        check=False,
    )
    if install.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        pytest.skip(f"cannot install {env.requirement}: {install.stderr.strip()[-300:]}")
    (building / ".ready").write_text(env.requirement)
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return python


@pytest.fixture(scope="module")
def venv_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the client venvs live: pytest's cache, or a temporary one without it."""
    cache = getattr(request.config, "cache", None)
    if cache is None:  # -p no:cacheprovider
        return tmp_path_factory.mktemp("qaas-client-venvs")
    return Path(cache.mkdir("qaas-client-venvs"))


def _run_lifecycle(python: Path, emulator: RunningEmulator) -> dict[str, Any]:
    emulator.configure(start_delay=0.2, stop_delay=0.2)
    done = subprocess.run(
        [str(python), str(LIFECYCLE), emulator.url, emulator.secret_key, emulator.project_id],
        capture_output=True,
        text=True,
        timeout=_RUN_TIMEOUT,
        check=False,
        # Nothing of ours on the path: the client runs exactly as a user's would.
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen: dict[str, Any] = json.loads(done.stdout)
    return seen


ENVS = client_envs()


@pytest.mark.timeout(_INSTALL_TIMEOUT + 2 * _RUN_TIMEOUT)
@pytest.mark.parametrize("env", ENVS, ids=[env.label for env in ENVS])
def test_qaas_client_runs_a_session_through_its_whole_life(
    env: ClientEnv, venv_cache: Path, emulator: RunningEmulator
) -> None:
    seen = _run_lifecycle(_venv_python(env, venv_cache), emulator)
    assert seen["client_version"] == env.requirement.split("==")[-1]
    generated = seen["generated"]
    assert generated["platform_count"] == 16
    assert generated["platform_name"] == "EMU-AER-16C-128M"
    assert (generated["created_status"], generated["running_status"]) == ("starting", "running")
    assert generated["listed_ids"] == [generated["created_id"]]
    assert generated["patched"] == ["renamed", ["qaas-client", "patched"]]
    assert generated["terminated_status"] == "stopping"
    assert generated["stopped_status"] == "stopped"
    assert (generated["delete_status"], generated["get_after_delete_status"]) == (204, 404)
    if env.version >= (3, 12):
        plugin = seen["qaas_client"]
        assert plugin["platform_names"] == ["EMU-AER-16C-128M"]
        assert plugin["created_durations"] == ["3600s", "600s"]  # "1h", "10m" converted
        assert plugin["running_status"] == "running"
        assert plugin["created_id"] in plugin["listed_ids"]
        assert plugin["terminated_status"] == "stopping"
        assert plugin["get_after_delete_error"].startswith("error 404")


def test_there_is_a_client_environment_to_test() -> None:
    # Any CPython >= 3.10 gets at least one: 0.1.11 below 3.12, the newest from 3.12.
    assert ENVS, "no Python for scaleway-qaas-client"
