"""The command line: printed lines, options, and refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pulumi_qpu.emulator.__main__ import build_parser, options_from_args
from pulumi_qpu.emulator.statefile import STATE_FILE_ENV
from tests.support.emulator import EmulatorFactory


def test_first_line_gives_the_url_and_exports_follow(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory()
    lines = server.output.splitlines()
    assert lines[0] == f"qpu-emulator listening on {server.url}"
    assert lines[1] == ("# state: in memory (--ephemeral): new keys and no sessions on every start")
    assert lines[3:7] == [
        f"export SCW_API_URL={server.url}",
        f"export SCW_SECRET_KEY={server.secret_key}",
        f"export SCW_DEFAULT_PROJECT_ID={server.project_id}",
        "export SCW_ACCESS_KEY=SCWEMULATOR000000000",
    ]
    assert lines[-1] == f"# tenant {server.other_secret_key} {server.other_project_id}"
    # Every line but the first is a command or a comment: the output is a shell script.
    assert all(line.startswith(("export ", "pulumi config set ", "# ")) for line in lines[1:])


def test_the_hint_gives_stack_config_too_and_says_it_outranks_the_exports(
    emulator_factory: EmulatorFactory,
) -> None:
    server = emulator_factory()
    text = server.output
    assert (
        "# Or for a Pulumi stack, in its project folder. Stack config outranks the\n"
        "# environment: once a stack sets qpu:apiUrl, the exports above change nothing for it.\n"
        f"pulumi config set qpu:apiUrl {server.url}\n"
        f"pulumi config set qpu:projectId {server.project_id}\n"
        f"pulumi config set --secret qpu:secretKey {server.secret_key}\n"
    ) in text


def test_the_state_file_is_in_the_users_state_folder_unless_moved(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(STATE_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    parse = build_parser().parse_args
    assert options_from_args(parse([])).state_file == str(
        tmp_path / "state" / "pulumi-qpu" / "emulator.db"
    )
    monkeypatch.setenv(STATE_FILE_ENV, str(tmp_path / "moved.db"))
    assert options_from_args(parse([])).state_file == str(tmp_path / "moved.db")
    assert options_from_args(parse(["--state-file", "x.db"])).state_file == "x.db"
    assert options_from_args(parse(["--ephemeral"])).state_file is None


def test_ephemeral_and_a_state_file_cannot_go_together() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--ephemeral", "--state-file", "x.db"])


def test_the_printed_url_serves_platforms(emulator_factory: EmulatorFactory) -> None:
    server = emulator_factory()
    response = httpx.get(
        server.url + "/qaas/v1alpha1/platforms", headers={"X-Auth-Token": server.secret_key}
    )
    assert response.json()["total_count"] == 16


def test_keys_and_projects_are_generated_when_omitted() -> None:
    options = options_from_args(build_parser().parse_args([]))
    main, other = options.tenants
    assert main.secret_key != other.secret_key
    assert main.project_ids != other.project_ids
    assert options.tenants_generated


def test_given_keys_are_used_as_given() -> None:
    args = build_parser().parse_args(
        ["--secret-key", "k", "--project-id", "p", "--tenant", "k2:p2,p3", "--seed", "3"]
    )
    options = options_from_args(args)
    assert [(t.secret_key, t.project_ids) for t in options.tenants] == [
        ("k", ("p",)),
        ("k2", ("p2", "p3")),
    ]
    assert options.seed == 3
    assert not options.tenants_generated


def test_malformed_tenant_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--tenant", "no-colon"])


def test_help_lists_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_qpu.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    for option in (
        "--host",
        "--port",
        "--secret-key",
        "--project-id",
        "--tenant",
        "--state-file",
        "--ephemeral",
        "--platforms",
        "--start-delay",
        "--stop-delay",
        "--time-scale",
        "--seed",
        "--error-rate",
        "--throttle-rate",
        "--reset-rate",
        "--drop-create-rate",
        "--latency",
    ):
        assert option in result.stdout


def test_exit_with_parent_stops_when_stdin_closes() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_qpu.emulator", "--exit-with-parent"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    assert process.stdout.readline().startswith("qpu-emulator listening on http://")
    process.stdin.close()  # what a parent's death does to the pipe
    try:
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--state-file",
            "/nonexistent/dir/state.db",
            "cannot use the state file /nonexistent/dir/state.db: No such file or directory",
        ),
        ("--platforms", "/nonexistent/platforms.json", "No such file"),
    ],
)
def test_unusable_files_end_with_one_line_not_a_traceback(
    option: str, value: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_qpu.emulator", option, value],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("qpu-emulator: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_without_the_emulator_extra_it_says_what_to_install_not_a_traceback() -> None:
    # The examples' environments install pulumi-qpu without the extra: no uvicorn there.
    hide_uvicorn = (
        "import runpy, sys; sys.modules['uvicorn'] = None; "
        "runpy.run_module('pulumi_qpu.emulator', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_uvicorn, "--port", "0"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("qpu-emulator: uvicorn is not installed")
    # The exact command for this environment: its Python, a path (not a PyPI name).
    assert f"{sys.executable} -m pip install '" in result.stderr
    assert "[emulator]'" in result.stderr
    assert "not on PyPI" in result.stderr
