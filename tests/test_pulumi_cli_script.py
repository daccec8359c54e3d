"""scripts/pulumi-cli.sh: which CLI it picks, what it refuses, and the plugin shim it writes.

Fake ``pulumi`` executables stand in for CLIs of given versions (a real build takes
minutes and is exercised by every real-engine test); PATH is narrowed so that no real
``pulumi`` or ``go`` is found, and PULUMI_QPU_OFFLINE=1 keeps the installer off the network.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pulumi-cli.sh"
MINIMUM = "3.181.0"


def fake_cli(folder: Path, version: str) -> Path:
    """A ``pulumi`` that answers ``pulumi version`` like the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "pulumi"
    binary.write_text(f'#!/bin/sh\n[ "$1" = version ] && echo v{version}\n')
    binary.chmod(0o755)
    return binary


def run(
    tmp_path: Path, path: list[Path], script: Path = SCRIPT, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with PATH = ``path`` + the system folders (no go, no pulumi)."""
    return subprocess.run(
        [str(script)],
        env={
            "HOME": str(tmp_path / "home"),
            "PATH": os.pathsep.join([*map(str, path), "/usr/bin", "/bin"]),
            "PULUMI_QPU_CACHE": str(tmp_path / "cache"),
            "PULUMI_QPU_OFFLINE": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_new_enough_cli_on_path_is_used_and_gets_the_shim(tmp_path: Path) -> None:
    fake_cli(tmp_path / "bin", "3.200.0")
    done = run(tmp_path, [tmp_path / "bin"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "bin")
    assert os.access(tmp_path / "bin" / "pulumi-resource-pulumi-python", os.X_OK)


def test_a_cli_on_path_older_than_the_minimum_is_passed_over_naming_the_minimum(
    tmp_path: Path,
) -> None:
    fake_cli(tmp_path / "old", "3.100.0")
    done = run(tmp_path, [tmp_path / "old"])
    assert done.returncode == 1
    assert f"needs at least {MINIMUM}" in done.stderr
    assert "no Pulumi CLI could be found or made here" in done.stderr
    assert "https://www.pulumi.com/docs/install/" in done.stderr


def test_an_explicit_cli_older_than_the_minimum_is_refused(tmp_path: Path) -> None:
    old = fake_cli(tmp_path / "old", "3.180.9")
    done = run(tmp_path, [], PULUMI_QPU_CLI=str(old))
    assert done.returncode == 1
    assert f"'3.180.9'; pulumi-qpu needs at least {MINIMUM}" in done.stderr


def test_a_cached_build_is_used_without_building(tmp_path: Path) -> None:
    cached = fake_cli(tmp_path / "cache" / "bin", "3.274.1")
    done = run(tmp_path, [])  # no go on PATH: a build would fail
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(cached.parent)
    assert "building" not in done.stderr


def test_a_cached_build_of_another_version_is_not_used(tmp_path: Path) -> None:
    fake_cli(tmp_path / "cache" / "bin", "3.273.0")
    done = run(tmp_path, [])
    assert done.returncode == 1
    assert "no Pulumi CLI could be found or made here" in done.stderr


def test_the_shim_starts_the_sdk_provider_host_with_the_programs_python(tmp_path: Path) -> None:
    fake_cli(tmp_path / "bin", "3.200.0")
    assert run(tmp_path, [tmp_path / "bin"]).returncode == 0
    # Like Pulumi's own shim, ours runs Python as its child: end the whole group.
    host = subprocess.Popen(
        [str(tmp_path / "bin" / "pulumi-resource-pulumi-python")],
        env={"PATH": "/usr/bin:/bin", "PULUMI_PYTHON_CMD": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert host.stdout is not None
        port = host.stdout.readline().strip()
    finally:
        os.killpg(host.pid, signal.SIGKILL)
        host.communicate()
    assert port.isdigit(), "the dynamic provider host prints its gRPC port first"


@pytest.mark.parametrize("version", ["3.181.0", "3.274.1"])
def test_the_minimum_and_newer_are_accepted(tmp_path: Path, version: str) -> None:
    fake_cli(tmp_path / "bin", version)
    assert run(tmp_path, [tmp_path / "bin"]).returncode == 0


def _shim_reports(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the shim with a fake ``pulumi.dynamic`` that prints the Python running it."""
    fake_cli(tmp_path / "bin", "3.200.0")
    assert run(tmp_path, [tmp_path / "bin"]).returncode == 0
    module = tmp_path / "fake" / "pulumi" / "dynamic"
    module.mkdir(parents=True)
    (module.parent / "__init__.py").write_text("")
    (module / "__init__.py").write_text("")
    (module / "__main__.py").write_text("import sys; print(sys.executable, *sys.argv[1:])\n")
    return subprocess.run(
        [str(tmp_path / "bin" / "pulumi-resource-pulumi-python"), "127.0.0.1:1"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "fake"), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_shim_runs_the_projects_virtualenv_like_pulumis_own(tmp_path: Path) -> None:
    # Pulumi.yaml's `virtualenv: venv` reaches the shim as a path relative to the project.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    done = _shim_reports(
        tmp_path, {"PULUMI_RUNTIME_VIRTUALENV": "venv/", "PULUMI_PYTHON_CMD": sys.executable}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "venv" / "bin" / "python"), "127.0.0.1:1"]


def test_the_shim_names_a_virtualenv_that_is_missing_and_how_to_make_it(tmp_path: Path) -> None:
    done = _shim_reports(tmp_path, {"PULUMI_RUNTIME_VIRTUALENV": "nowhere"})
    assert done.returncode == 1
    assert str(tmp_path / "nowhere") in done.stderr
    assert "python3 -m venv" in done.stderr


def test_the_shim_runs_pulumi_python_cmd_without_a_virtualenv(tmp_path: Path) -> None:
    done = _shim_reports(tmp_path, {"PULUMI_PYTHON_CMD": sys.executable})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [sys.executable, "127.0.0.1:1"]
