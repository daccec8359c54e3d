"""The real Pulumi engine for tests: the pinned CLI driven by the Automation API.

The CLI comes from ``scripts/pulumi-cli.sh`` (on PATH, cached, or built from the Go
modules). Programs run as Automation API *inline* programs: the Python language host
(``pulumi-language-python``) is not served by any registry these machines reach, and an
inline program needs only the ``pulumi`` binary and the dynamic-provider shim; the
engine, the provider host, checkpoints and the CLI's own output are the real ones.

Every stack lives on a local file backend in the test's temporary directory, with the
emulator's credentials in the environment of the CLI (and so of the provider host).
"""

from __future__ import annotations

import functools
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.emulator import RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PASSPHRASE = "pulumi-qpu-tests"


@dataclass(frozen=True)
class Cli:
    """Where the CLI is, or why there is none."""

    bin_dir: Path | None
    reason: str = ""

    @property
    def version(self) -> str:
        """The CLI's ``pulumi version`` (empty without a CLI)."""
        if self.bin_dir is None:
            return ""
        return subprocess.run(
            [str(self.bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=True
        ).stdout.strip()


@functools.cache
def find_cli() -> Cli:
    """Run scripts/pulumi-cli.sh once per test run: the CLI's directory, or the reason."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        return Cli(None, done.stderr.strip()[-2000:] or "scripts/pulumi-cli.sh failed")
    return Cli(Path(done.stdout.strip().splitlines()[-1]))


def program_of_example(name: str) -> Callable[[], None]:
    """An inline program that runs ``examples/<name>/__main__.py`` as the CLI would."""
    path = EXAMPLES / name / "__main__.py"

    def program() -> None:
        runpy.run_path(str(path), run_name="__main__")

    return program


def project_name_of_example(name: str) -> str:
    """The ``name:`` of ``examples/<name>/Pulumi.yaml`` (it namespaces the config)."""
    settings = yaml.safe_load((EXAMPLES / name / "Pulumi.yaml").read_text())
    return str(settings["name"])


@dataclass
class RealEngine:
    """Stacks on a file backend under ``work``, run by the real CLI against ``emulator``."""

    cli: Cli
    emulator: RunningEmulator
    work: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    unset_env: set[str] = field(default_factory=set)
    stacks: list[Any] = field(default_factory=list)
    front_door: str = ""
    """The door the stacks' programs declare Sessions through (tests/support/front_door.py);
    "" for programs that choose their own."""
    session_type: str = "pulumi-python:dynamic/qpu:Session"
    """The type token of the Sessions :meth:`resources` returns by default."""

    @property
    def backend(self) -> Path:
        """The file backend's directory: every checkpoint and history file is in it."""
        return self.work / "backend"

    def env(self) -> dict[str, str]:
        """The environment of the CLI and, through it, of the provider host."""
        assert self.cli.bin_dir is not None
        self.backend.mkdir(parents=True, exist_ok=True)
        env = {
            **self.emulator.env(),
            # No scw config file of the machine's user may leak into a test.
            "SCW_CONFIG_PATH": str(self.work / "no-scw-config.yaml"),
            "PATH": f"{self.cli.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(self.work / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The shim runs the provider host with this interpreter (pulumi-qpu installed).
            "PULUMI_PYTHON_CMD": sys.executable,
            # Short heartbeats, as in this process (tests/conftest.py).
            "PULUMI_QPU_HEARTBEAT_SECONDS": os.environ.get("PULUMI_QPU_HEARTBEAT_SECONDS", "0.5"),
            **self.extra_env,
        }
        return {key: value for key, value in env.items() if key not in self.unset_env}

    def stack(
        self,
        program: Callable[[], None],
        *,
        project: str = "qpu-test",
        name: str = "test",
        config: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
    ) -> Any:
        """A new stack of ``program`` (an ``auto.Stack``); destroyed after the test."""
        from pulumi import automation as auto

        assert self.cli.bin_dir is not None
        workspace = self.work / f"{project}-{name}"
        workspace.mkdir(parents=True, exist_ok=True)
        stack = auto.create_stack(
            name,
            project_name=project,
            program=program,
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(workspace),
                env_vars=self.env(),
                pulumi_command=auto.PulumiCommand(root=str(self.cli.bin_dir.parent)),
                project_settings=auto.ProjectSettings(name=project, runtime="python"),
            ),
        )
        config = dict(config or {})
        if self.front_door:
            config.setdefault("front_door", self.front_door)
        values = {k: auto.ConfigValue(v) for k, v in config.items()}
        values |= {k: auto.ConfigValue(v, secret=True) for k, v in (secrets or {}).items()}
        if values:
            stack.set_all_config(values)
        self.stacks.append(stack)
        return stack

    def example(self, name: str, *, stack: str = "e2e", **config: str) -> Any:
        """A stack of ``examples/<name>`` (its ``__main__.py`` as an inline program)."""
        return self.stack(
            program_of_example(name),
            project=project_name_of_example(name),
            name=stack,
            config=config,
        )

    def start_detached(self, stack: Any, operation: str, program: str) -> subprocess.Popen[str]:
        """Run ``operation`` on ``stack`` in a process group of its own, to be killed.

        ``program`` is ``"module:function"`` (importable), the same program as the
        stack's. ``os.killpg(process.pid, signal.SIGKILL)`` ends the driver, the CLI, the
        language server and the provider host at once, as a lost machine would.
        """
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.cli_driver",
                "--project",
                stack.workspace.project_settings().name,
                "--stack",
                stack.name,
                "--work-dir",
                stack.workspace.work_dir,
                "--program",
                program,
                operation,
            ],
            cwd=ROOT,
            env={**os.environ, **self.env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def pulumi(
        self, stack: Any, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a ``pulumi`` command (one that runs no program) on ``stack``'s workspace."""
        assert self.cli.bin_dir is not None
        return subprocess.run(
            [str(self.cli.bin_dir / "pulumi"), *args, "--stack", stack.name, "--non-interactive"],
            cwd=stack.workspace.work_dir,
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def exported(self, stack: Any) -> dict[str, Any]:
        """``pulumi stack export`` (secrets encrypted, as a user sees it): the deployment.

        Not the Automation API's ``export_stack``, which adds ``--show-secrets``.
        """
        done = self.pulumi(stack, "stack", "export")
        deployment = json.loads(done.stdout)["deployment"]
        assert isinstance(deployment, dict)
        return deployment

    def resources(self, stack: Any, type_token: str = "") -> list[dict[str, Any]]:
        """The stored resources of one type (the Sessions by default)."""
        wanted = type_token or self.session_type
        return [r for r in self.exported(stack).get("resources", []) if r["type"] == wanted]

    def backend_text(self) -> str:
        """Every file of the backend (checkpoints, backups, history) as one text."""
        return "\n".join(
            path.read_text(errors="replace") for path in self.backend.rglob("*") if path.is_file()
        )

    def cleanup(self) -> None:
        """Destroy and remove every stack this engine made (best effort, then report)."""
        failures: list[str] = []
        for stack in reversed(self.stacks):
            try:
                stack.destroy()
                stack.workspace.remove_stack(stack.name)
            except Exception as exc:  # report every stack, not the first
                failures.append(f"{stack.name}: {exc}")
        self.stacks.clear()
        assert not failures, "could not destroy: " + json.dumps(failures)


def live_sessions(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """Sessions still billing (starting or running)."""
    return [s for s in emulator.sessions() if s["status"] in ("starting", "running")]


def qpu_leftovers(engine: RealEngine, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``qpu-leftovers`` console script as a user of ``engine``'s stacks would:
    the same credentials and heartbeat in the environment."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "qpu-leftovers"), *args],
        env={**os.environ, **engine.env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
