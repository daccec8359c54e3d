"""The README's "Your own project in five minutes", run as written with the pinned CLI.

The section's blocks are read from README.md. The files (each block whose first line is
``# Pulumi.yaml``, ``# requirements.txt`` or ``# __main__.py``) are written to an empty
folder outside the repository, and the shell lines run there in order: the install line
as it stands (a ``venv`` with what requirements.txt lists, so the program and the
provider host import pulumi-qpu from there, not from this clone's sources), the
emulator's line in the background, then each ``pulumi`` line. Four substitutions only:
this clone's path for ``/path/to/pulumi-qpu``, a free port for ``8910`` (suites run side
by side), the keys the emulator printed for ``<the SCW_... it printed>``, and for
``pulumi login --local`` (state in ``~/.pulumi``, where ``~`` is the account's home from
the password database, which no variable moves) a file backend in the test's home.

``pulumi preview``, ``up`` and ``destroy`` run the program, which takes Pulumi's Python
language host (``pulumi-language-python``), and no registry these machines reach serves
it (tests/support/cli.py). So those three run the folder's ``__main__.py`` as an
Automation API program with the folder as ``work_dir`` (its Pulumi.yaml, its stack
config, the stack it selected), in a process of the project's own ``venv`` Python
(tests/support/cli_driver.py), with the provider host in that venv, as the language host
sets it (``PULUMI_RUNTIME_VIRTUALENV`` from Pulumi.yaml's ``virtualenv``). Every other
line (login, stack init, config set, stack output) is the real ``pulumi`` CLI in the
folder. The engine, the provider host and the lines printed are the CLI's own.

Nothing of the machine's settings reaches the run: no ``SCW_*`` variable, no scw config
file, a home folder of the test's own, so the stack config the README sets is the only
way the provider can find the emulator (a misspelt key fails the run).
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from pulumi_qpu.client import QaasClient

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Your own project in five minutes"
FILES = ("Pulumi.yaml", "requirements.txt", "__main__.py")
CLONE = "/path/to/pulumi-qpu"
PORT = "8910"
PRINTED = re.compile(r"<the (SCW_\w+) it printed>")
# What runs the program: the language host's part, done by the Automation API here.
PROGRAM_COMMANDS = {"preview", "up", "refresh", "destroy"}
DRIVER = ROOT / "tests" / "support" / "cli_driver.py"


@dataclass
class Section:
    """The README section, split into what a user writes, types and sees."""

    files: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    # "$ pulumi up" -> the lines quoted under it in the "what you see" block.
    seen: dict[str, list[str]] = field(default_factory=dict)


def read_section(readme: str) -> Section:
    """The own-project section's files, shell lines and quoted output, in README order."""
    start = readme.index(f"\n{SECTION}\n")
    end = readme.index("\n## ", start + 1)
    section = Section()
    for lang, body in re.findall(r"\n```(\w*)\n(.*?)\n```", readme[start:end], re.S):
        first = body.splitlines()[0]
        name = first.lstrip("# ").split(":")[0]
        if first.startswith("#") and name in FILES:
            section.files[name] = body + "\n"
        elif lang == "sh":
            section.commands += [line for line in body.splitlines() if line.strip()]
        elif first.startswith("$ "):
            command = ""
            for line in body.splitlines():
                if line.startswith("$ "):
                    command = line[2:].strip()
                    section.seen[command] = []
                else:
                    section.seen[command].append(line)
    return section


def squeeze(text: str) -> str:
    """Runs of whitespace as one space: the CLI pads its columns to the widest name."""
    return " ".join(text.split())


def quoted_line(text: str) -> re.Pattern[str]:
    """A line the README quotes, as a pattern: ``<id>`` and the like stand for a word."""
    parts = re.split(r"<[^>]+>", squeeze(text))
    return re.compile(r"\S+".join(re.escape(part) for part in parts))


def free_port() -> str:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


class Emulator:
    """The README's emulator line, run in the project folder until stopped."""

    def __init__(self, line: str, folder: Path, env: dict[str, str]) -> None:
        self.log = folder.parent / "emulator.log"
        # --exit-with-parent: if pytest dies, the emulator goes with it (stdin closes).
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {line} --exit-with-parent"],
                cwd=folder,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.printed = self._wait_for_keys()

    def _wait_for_keys(self) -> dict[str, str]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log.read_text()
            printed = dict(re.findall(r"^export (SCW_\w+)=(\S+)$", text, re.M))
            if "SCW_DEFAULT_PROJECT_ID" in printed:
                return printed
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the emulator did not print its keys:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop the process this test started."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdin is not None:
            self.process.stdin.close()


def live_sessions(printed: dict[str, str]) -> list[tuple[str, str]]:
    """(id, status) of the project's sessions still starting or running, by the API."""
    with QaasClient(
        secret_key=printed["SCW_SECRET_KEY"],
        api_url=printed["SCW_API_URL"],
        default_project_id=printed["SCW_DEFAULT_PROJECT_ID"],
    ) as client:
        return [
            (s.id, s.status) for s in client.list_sessions() if s.status in ("starting", "running")
        ]


class OwnProject:
    """The folder a user makes from the section, and the environment of each line."""

    def __init__(self, folder: Path, cli_dir: Path, section: Section) -> None:
        self.folder = folder / "my-sessions"
        self.folder.mkdir()
        assert CLONE in section.files["requirements.txt"]
        for name, text in section.files.items():
            (self.folder / name).write_text(text.replace(CLONE, str(ROOT)))
        self.home = folder / "home"
        self.home.mkdir()
        self.port = free_port()
        self.printed: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self.emulators: list[Emulator] = []
        self.emulator_line = ""
        self.machine_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SCW_", "PULUMI_"))
        }
        self.machine_env["SCW_CONFIG_PATH"] = str(folder / "no-scw-config.yaml")
        self.env = {
            **self.machine_env,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "PATH": f"{cli_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(self.home / ".pulumi-home"),
            # The answer to the passphrase prompt of a stack on `pulumi login --local`.
            "PULUMI_CONFIG_PASSPHRASE": "a passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
        runtime = yaml.safe_load(section.files["Pulumi.yaml"])["runtime"]["options"]
        self.venv = self.folder / runtime["virtualenv"]
        # What the language host gives the dynamic-provider plugin it starts.
        self.program_env = {
            **self.env,
            "PULUMI_RUNTIME_VIRTUALENV": str(self.venv),
            "PULUMI_RUNTIME_TOOLCHAIN": runtime["toolchain"],
        }

    def as_run_here(self, written: str) -> str:
        """The line with the test's port, the keys printed, and its own home's backend."""
        line = written.replace(PORT, self.port)
        line = PRINTED.sub(lambda found: shlex.quote(self.printed[found[1]]), line)
        if shlex.split(line, comments=True)[:2] == ["pulumi", "login"]:
            line = line.replace("--local", shlex.quote(f"file://{self.home}"))
        return line

    def start_emulator(self, line: str) -> None:
        """Start the README's emulator line in the folder; keep what it printed."""
        self.emulator_line = line
        self.emulators.append(Emulator(line, self.folder, self.env))
        self.printed = self.emulators[-1].printed

    def run(self, line: str) -> str:
        """Run one line as the README has it (a program-running one by the Automation
        API, see the module's docstring); fail on a non-zero exit. Returns its output."""
        words = shlex.split(line, comments=True)
        if words[0] == "pulumi" and words[1] in PROGRAM_COMMANDS:
            command = [str(self.venv / "bin" / "python"), str(DRIVER), "--work-dir"]
            command += [str(self.folder), "--main", "__main__.py", words[1]]
            env = self.program_env
        else:
            command = ["bash", "-c", line]
            # The install line keeps the machine's home: pip's cache and pyenv live there.
            env = self.env if words[0] == "pulumi" else self.machine_env
        done = subprocess.run(
            command,
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"$ {line}\n{output}"
        self.outputs[" ".join(words)] = output
        return output

    def stop(self) -> None:
        """Stop every emulator this test started."""
        for emulator in self.emulators:
            emulator.stop()


@pytest.fixture
def own_project(cli_dir: Path, tmp_path: Path) -> Iterator[OwnProject]:
    """The section's project in an empty folder outside the clone (emulators stopped after)."""
    made = OwnProject(tmp_path, cli_dir, read_section((ROOT / "README.md").read_text()))
    yield made
    made.stop()


def test_the_readme_own_project_path_works_as_written(own_project: OwnProject) -> None:
    section = read_section((ROOT / "README.md").read_text())
    project = own_project
    for written in section.commands:
        line = project.as_run_here(written)
        words = shlex.split(line, comments=True)
        if "qpu-emulator" in words[0]:
            project.start_emulator(line)
            continue
        if words[:2] == ["pulumi", "destroy"]:
            # The README's promise: a restart on the state file keeps the keys and sessions.
            before = project.printed
            project.emulators[-1].stop()
            project.start_emulator(project.emulator_line)
            assert project.printed == before
            assert len(live_sessions(project.printed)) == 1
        project.run(line)
        if words[:3] == ["pulumi", "config", "set"] and "--secret" in words:
            stack_file = next(project.folder.glob("Pulumi.*.yaml")).read_text()
            assert project.printed["SCW_SECRET_KEY"] not in stack_file
            assert re.search(r"qpu:secretKey:\s+secure: ", stack_file), stack_file
        if words[:2] == ["pulumi", "up"]:
            session_id = project.run("pulumi stack output session_id").strip()
            assert live_sessions(project.printed) == [(session_id, "running")]
        if words[:2] == ["pulumi", "destroy"]:
            assert live_sessions(project.printed) == []

    assert project.printed, "the README's commands start no emulator"
    assert {"pulumi preview", "pulumi up", "pulumi destroy"} <= set(project.outputs)
    for shown, quoted in section.seen.items():
        assert shown in project.outputs, f"the README quotes the output of {shown!r}, not run"
        lines = [squeeze(line) for line in project.outputs[shown].splitlines()]
        for expected in quoted:
            assert any(quoted_line(expected).search(line) for line in lines), (
                f"{shown!r} did not print {expected!r}:\n{project.outputs[shown]}"
            )


def test_the_section_is_read_as_a_user_reads_it() -> None:
    """The reader finds every file, command and quoted line of the section."""
    section = read_section((ROOT / "README.md").read_text())
    assert set(section.files) == set(FILES)
    assert section.files["Pulumi.yaml"].startswith("# Pulumi.yaml\n")
    assert any("qpu-emulator" in line for line in section.commands)
    assert any(PRINTED.search(line) for line in section.commands)
    assert "pulumi up" in section.seen
    assert quoted_line("  session_id   <id>").fullmatch("session_id 0bbd5d60-0fad")
    assert not quoted_line("session_id <id>").search("session_id")
