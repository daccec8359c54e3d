"""The main job: examples/basic driven by the real Pulumi CLI against the bundled emulator.

Run by ``make demo``. It gets the pinned CLI (scripts/pulumi-cli.sh), starts the emulator
on loopback, copies the example to a temporary directory with a local file backend, and
runs preview, up, the outputs, a tag change (updated in place), a platform change (a
replacement: the old session runs until the new one does), refresh and destroy. It then
checks that no session is left running, stops the emulator and removes the directory.

Two ways to run the program, chosen by what the CLI's directory holds:

* with the Python language host (``pulumi-language-python``): ``pulumi`` commands in
  the project directory, as a user types them;
* without it (the Go module proxy does not serve it, so a CLI built here has none): the
  same project through the Automation API, its ``__main__.py`` as an inline program.

Either way the engine, the provider host and the output are Pulumi's own.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "basic"
PROJECT = "qpu-basic"  # examples/basic/Pulumi.yaml's name: it namespaces the config


def banner(text: str) -> None:
    """Print a step heading, set apart from Pulumi's own output."""
    print(f"\n=== {text}", flush=True)


def get_cli() -> Path:
    """Return the directory of the pinned CLI and the shim (exit with the script's message)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "pulumi-cli.sh")], stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(done.returncode)
    return Path(done.stdout.strip().splitlines()[-1])


@contextmanager
def emulator() -> Iterator[dict[str, str]]:
    """Run the bundled emulator on a free loopback port; yield its SCW_* variables."""
    process = subprocess.Popen(
        # --ephemeral: the demo's own keys and sessions, never the user's state file.
        [
            *(sys.executable, "-u", "-m", "pulumi_qpu.emulator", "--ephemeral"),
            *("--port", "0", "--start-delay", "2"),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        settings: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:
            found = re.match(r"export (SCW_\w+)=(\S+)", line.strip())
            if found:
                settings[found[1]] = found[2].strip("'\"")
            if "SCW_DEFAULT_PROJECT_ID" in settings:
                break
        if "SCW_DEFAULT_PROJECT_ID" not in settings:
            sys.exit("the emulator did not start (its output is above)")
        yield settings
    finally:
        process.terminate()
        process.wait(timeout=10)


def live_sessions(settings: dict[str, str]) -> list[dict[str, Any]]:
    """Return the emulator's sessions still starting or running, read over its API."""
    reply = httpx.get(
        f"{settings['SCW_API_URL']}/qaas/v1alpha1/sessions",
        params={"project_id": settings["SCW_DEFAULT_PROJECT_ID"], "page_size": 100},
        headers={"X-Auth-Token": settings["SCW_SECRET_KEY"]},
        timeout=10,
    )
    reply.raise_for_status()
    return [s for s in reply.json()["sessions"] if s["status"] in ("starting", "running")]


def show_live(settings: dict[str, str]) -> None:
    """One line per live session, as the API sees them."""
    sessions = live_sessions(settings)
    print(f"live sessions on the emulator: {len(sessions)}")
    for s in sessions:
        print(f"  {s['id']}  {s['status']:<8}  platform {s['platform_id']}  tags {s['tags']}")


class CommandRunner:
    """``pulumi`` commands in the project directory (needs the language host)."""

    def __init__(self, cli: Path, project: Path, env: dict[str, str]) -> None:
        self.cli, self.project, self.env = cli, project, env

    def run(self, *args: str) -> None:
        """Print and run ``pulumi <args>``; stop the demo if it fails."""
        print(f"$ pulumi {' '.join(args)}", flush=True)
        subprocess.run(
            [str(self.cli / "pulumi"), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            check=True,
        )

    def init(self) -> None:
        """Create the stack."""
        self.run("stack", "init", "demo")

    def config(self, key: str, value: str) -> None:
        """Set one config value."""
        self.run("config", "set", key, value)

    def preview(self) -> None:
        """Run `pulumi preview`."""
        self.run("preview")

    def up(self) -> None:
        """Run `pulumi up`."""
        self.run("up", "--yes")

    def outputs(self) -> None:
        """Run `pulumi stack output`."""
        self.run("stack", "output")

    def refresh(self) -> None:
        """Run `pulumi refresh`."""
        self.run("refresh", "--yes")

    def destroy(self) -> None:
        """Run `pulumi destroy`, then remove the stack."""
        self.run("destroy", "--yes")
        self.run("stack", "rm", "demo", "--yes")


class InlineRunner:
    """The same steps through the Automation API, the example's program run inline."""

    def __init__(self, cli: Path, project: Path, env: dict[str, str]) -> None:
        def program() -> None:
            runpy.run_path(str(project / "__main__.py"), run_name="__main__")

        self.stack = auto.create_stack(
            "demo",
            project_name=PROJECT,
            program=program,
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(project),
                env_vars=env,
                pulumi_command=auto.PulumiCommand(root=str(cli.parent)),
                project_settings=auto.ProjectSettings(name=PROJECT, runtime="python"),
            ),
        )

    def init(self) -> None:
        """Do nothing: the stack was made with the runner."""

    def config(self, key: str, value: str) -> None:
        """Set one config value."""
        print(f"$ pulumi config set {key} {value}", flush=True)
        self.stack.set_config(key, auto.ConfigValue(value))

    def preview(self) -> None:
        """Run `pulumi preview`."""
        print("$ pulumi preview", flush=True)
        self.stack.preview(on_output=print)

    def up(self) -> None:
        """Run `pulumi up`."""
        print("$ pulumi up --yes", flush=True)
        self.stack.up(on_output=print)

    def outputs(self) -> None:
        """Run `pulumi stack output`."""
        print("$ pulumi stack output", flush=True)
        for key, value in sorted(self.stack.outputs().items()):
            print(f"    {key:<20} {value.value}")

    def refresh(self) -> None:
        """Run `pulumi refresh`."""
        print("$ pulumi refresh --yes", flush=True)
        self.stack.refresh(on_output=print)

    def destroy(self) -> None:
        """Run `pulumi destroy`, then remove the stack."""
        print("$ pulumi destroy --yes", flush=True)
        self.stack.destroy(on_output=print)
        self.stack.workspace.remove_stack("demo")


def main() -> int:
    """Run the demo; 0 when everything worked and nothing is left running."""
    cli = get_cli()
    with_language_host = (cli / "pulumi-language-python").exists()
    print(f"Pulumi CLI: {cli / 'pulumi'}")
    if with_language_host:
        print("Running `pulumi` commands in the project directory (language host present).")
    else:
        print(
            "The Python language host is not available (no registry reachable here serves "
            "it), so the project runs through the Automation API: the same engine, provider "
            "and output, with examples/basic/__main__.py as an inline program."
        )
    work = Path(tempfile.mkdtemp(prefix="pulumi-qpu-demo-"))
    try:
        with emulator() as settings:
            print(f"emulator: {settings['SCW_API_URL']}")
            project = work / "basic"
            shutil.copytree(EXAMPLE, project)
            # The project's Python is this one (pulumi-qpu installed), not a new venv.
            settings_file = project / "Pulumi.yaml"
            settings_file.write_text(
                settings_file.read_text().replace("virtualenv: venv", f"virtualenv: {sys.prefix}")
            )
            (work / "backend").mkdir()
            env = {
                **os.environ,
                **settings,
                "SCW_CONFIG_PATH": str(work / "no-scw-config.yaml"),
                "PATH": f"{cli}{os.pathsep}{os.environ.get('PATH', '')}",
                "PULUMI_BACKEND_URL": f"file://{work / 'backend'}",
                "PULUMI_CONFIG_PASSPHRASE": "pulumi-qpu-demo",
                "PULUMI_HOME": str(work / "pulumi-home"),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_PYTHON_CMD": sys.executable,
            }
            runner: CommandRunner | InlineRunner = (
                CommandRunner(cli, project, env)
                if with_language_host
                else InlineRunner(cli, project, env)
            )
            runner.init()
            runner.config("team", "quantum-demo")
            banner("preview: what up would do")
            runner.preview()
            banner("up: the session is created and waited for until it runs")
            runner.up()
            banner("the stack's outputs: every session field")
            runner.outputs()
            show_live(settings)
            banner("a tag change: updated in place (the same session)")
            runner.config("team", "quantum-demo-2")
            runner.up()
            show_live(settings)
            banner("a platform change: a replacement (the new session runs before the old ends)")
            runner.config("platform", "EMU-AER-H100")
            runner.up()
            show_live(settings)
            banner("refresh: the state read back from the API")
            runner.refresh()
            banner("destroy: the session is terminated")
            runner.destroy()
            left = live_sessions(settings)
            if left:
                print(f"FAILED: {len(left)} sessions still running: {[s['id'] for s in left]}")
                return 1
            print(
                "\nDone: created, updated, replaced, refreshed and destroyed; nothing is running."
            )
            return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
