"""The toolchain for other languages: scripts/pulumi-yaml.sh and the SDK generator's pins.

The real builds take minutes and run in ``make toolchain``; here fake ``pulumi`` and
``pulumi-language-yaml`` executables stand in, PATH is narrowed so that no real ``go`` is
found, and the caches live in ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.test_pulumi_cli_script import fake_cli, run

ROOT = Path(__file__).resolve().parents[1]
YAML_SCRIPT = ROOT / "scripts" / "pulumi-yaml.sh"


def pinned(script: Path, variable: str) -> str:
    """The default of ``VARIABLE="${...:-<version>}"`` in a script."""
    found = re.search(rf'^{variable}="\$\{{[A-Z_]+:-([0-9.]+)\}}"$', script.read_text(), re.M)
    assert found, f"{script.name} names no {variable}"
    return found.group(1)


CLI_VERSION = pinned(ROOT / "scripts" / "pulumi-cli.sh", "PINNED_VERSION")
YAML_VERSION = pinned(YAML_SCRIPT, "YAML_VERSION")


def run_yaml(tmp_path: Path, cli_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run pulumi-yaml.sh with ``cli_dir``'s pulumi on PATH and no go."""
    return run(tmp_path, [cli_dir], YAML_SCRIPT, PULUMI_QPU_CACHE_ROOT=str(tmp_path / "root"))


def test_the_sdk_generator_is_built_from_the_pinned_clis_pulumi_modules() -> None:
    go_mod = (ROOT / "tools" / "gen-sdk" / "go.mod").read_text()
    required = re.findall(r"github\.com/pulumi/pulumi/(?:pkg|sdk)/v3 (v\S+)", go_mod)
    assert required == [f"v{CLI_VERSION}"] * 2


def test_a_yaml_host_the_clis_folder_has_is_kept_without_building(tmp_path: Path) -> None:
    cli = fake_cli(tmp_path / "release", CLI_VERSION)
    host = cli.parent / "pulumi-language-yaml"
    host.write_text("#!/bin/sh\n# a release's bundled host\n")
    host.chmod(0o755)
    done = run_yaml(tmp_path, cli.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(cli.parent)
    assert not host.is_symlink()
    assert "a release's bundled host" in host.read_text()


def test_a_cached_yaml_host_is_linked_beside_the_cli_without_building(tmp_path: Path) -> None:
    cli = fake_cli(tmp_path / "bin", CLI_VERSION)
    cached = tmp_path / "root" / "yaml" / f"v{YAML_VERSION}" / "bin" / "pulumi-language-yaml"
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    cached.chmod(0o755)
    done = run_yaml(tmp_path, cli.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(cli.parent)
    assert (cli.parent / "pulumi-language-yaml").resolve() == cached


def test_without_a_yaml_host_or_go_the_script_says_what_to_do(tmp_path: Path) -> None:
    cli = fake_cli(tmp_path / "bin", CLI_VERSION)
    done = run_yaml(tmp_path, cli.parent)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no Go to build it: install Go" in done.stderr
    assert not (cli.parent / "pulumi-language-yaml").exists()


def test_the_typescript_example_names_the_npm_versions_of_the_toolchain() -> None:
    script = (ROOT / "scripts" / "npm-modules.sh").read_text()
    pins = dict(re.findall(r'^NPM_([A-Z_]+)="([0-9.]+)"$', script, re.M))
    package = json.loads((ROOT / "examples" / "typescript" / "package.json").read_text())
    named = {**package["dependencies"], **package["devDependencies"]}
    assert {
        "@pulumi/pulumi": pins["PULUMI"],
        "typescript": pins["TYPESCRIPT"],
        "@types/node": pins["TYPES_NODE"],
    } == {key: value for key, value in named.items() if not key.startswith("@pulumi-qpu/")}


def test_the_go_example_builds_on_the_sdk_of_this_repository_and_the_pinned_pulumi() -> None:
    go_mod = (ROOT / "examples" / "go" / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi/sdk/v3 v{CLI_VERSION}\n" in go_mod
    sdk_module = (ROOT / "sdk" / "go" / "go.mod").read_text().splitlines()[0].split()[1]
    assert f"replace {sdk_module} => ../../sdk/go" in go_mod
