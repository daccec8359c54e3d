"""The examples in other languages (examples/{yaml,typescript,go}) for real-engine tests.

Each is built or set up by the script a user would run (scripts/pulumi-yaml.sh,
scripts/typescript-example.sh, scripts/go-example.sh; the first run of each fetches and
builds into caches, later runs take seconds). Where a toolchain is missing the test is
skipped with the reason, except when ``CI`` is set: there it fails, because CI must run
these tests (the same rule as the CLI's, tests/e2e/conftest.py).

Every example is driven the same way: ``run(operation, config)`` sets the stack's config,
runs ``preview``, ``up``, ``refresh`` or ``destroy`` and returns the stack's outputs and
what the engine printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.support.cli import EXAMPLES, ROOT, RealEngine

STACK = "dev"
OUTPUTS_PREFIX = "outputs: "
"""The last line the TypeScript and Go drivers print: the stack's outputs as JSON."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it when ``CI`` is set."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def build(script: str, *args: str) -> str:
    """Run ``scripts/<script>`` (it prints one path); unavailable with its reason on failure."""
    done = subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if done.returncode != 0 or not done.stdout.strip():
        unavailable(f"scripts/{script} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def run_checked(
    command: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; a failure is reported with everything it printed."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class YamlProject:
    """A copy of examples/yaml run with ``pulumi`` commands in its folder."""

    engine: RealEngine
    folder: Path

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi ARGS`` in the project folder, as a user would."""
        return run_checked(["pulumi", *args, "--non-interactive"], self.folder, self.engine.env())

    def run(self, operation: str, config: dict[str, str]) -> tuple[dict[str, Any], str]:
        """``pulumi config set`` each key, then the operation; the outputs and the lines."""
        for key, value in config.items():
            self.pulumi("config", "set", key, value)
        args = [operation] if operation == "preview" else [operation, "--yes", "--skip-preview"]
        printed = self.pulumi(*args).stdout
        outputs = json.loads(self.pulumi("stack", "output", "--json").stdout)
        return outputs, printed


@dataclass
class InlineProgram:
    """A driver of an Automation API inline program: ``COMMAND OPERATION KEY=VALUE...``."""

    engine: RealEngine
    command: list[str]
    cwd: Path

    def run(self, operation: str, config: dict[str, str]) -> tuple[dict[str, Any], str]:
        """Run the operation with ``config`` set first; the outputs and the lines."""
        settings = [f"{key}={value}" for key, value in config.items()]
        env = {**self.engine.env(), "QPU_STACK": STACK}
        printed = run_checked([*self.command, operation, *settings], self.cwd, env).stdout
        last = printed.rstrip("\n").splitlines()[-1]
        assert last.startswith(OUTPUTS_PREFIX), printed
        outputs: dict[str, Any] = json.loads(last.removeprefix(OUTPUTS_PREFIX))
        return outputs, printed


def yaml_project(engine: RealEngine, folder: Path) -> YamlProject:
    """examples/yaml copied to ``folder``, its stack made, the YAML host beside the CLI."""
    build("pulumi-yaml.sh")
    shutil.copytree(EXAMPLES / "yaml", folder)
    project = YamlProject(engine, folder)
    project.pulumi("stack", "init", STACK)
    return project


def typescript_program(engine: RealEngine, work: Path) -> InlineProgram:
    """examples/typescript compiled on sdk/nodejs into ``work``, run with Node.js."""
    out = Path(build("typescript-example.sh", str(work)))
    return InlineProgram(engine, ["node", "bin/main.js"], out / "example")


def go_program(engine: RealEngine, work: Path) -> InlineProgram:
    """examples/go built on sdk/go into ``work``."""
    program = build("go-example.sh", str(work / "qpu-go-example"))
    return InlineProgram(engine, [program], work)
