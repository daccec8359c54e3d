"""``qpu-leftovers``: the live sessions no state holds, found and ended.

Leftovers are made as a dead create leaves them: ``identity.obtain_session`` (the POST
of a create, with its creating tag) and nothing after it, or the SDK's real provider host
SIGKILLed while its create waits. A live create is the real host waiting for ``running``
and renewing its tag. The heartbeat is 0.5 s in tests (tests/conftest.py), so a tag is
stale after 1.5 s. The emulator's records are the oracle.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qpu.client import QaasClient
from pulumi_qpu.identity import (
    CREATING_TAG,
    STALE_AFTER,
    creating_mark,
    new_run,
    obtain_session,
    stack_hash,
)
from pulumi_qpu.leftovers import (
    EXIT_ERROR,
    EXIT_LEFTOVERS_FOUND,
    EXIT_OK,
    end_leftovers,
    find_leftovers,
    main,
    stack_filter,
    survey,
)
from pulumi_qpu.models import Session
from pulumi_qpu.provider import SessionProvider
from tests.conftest import HEARTBEAT_SECONDS
from tests.support.emulator import RunningEmulator
from tests.support.host import HostCallError, ProviderHost, killed_midway

PLATFORM = "EMU-AER-16C-128M"  # 0.90 EUR/h in the emulator's catalogue
STACK = "organization/project/stack"
OTHER_STACK = "organization/project/other"
URN = "urn:pulumi:stack::project::pulumi-python:dynamic/qpu:Session::s"
LIVE = ("starting", "running")


@pytest.fixture
def qpu(emulator: RunningEmulator) -> RunningEmulator:
    """The shared emulator; sessions stay starting for a minute unless a test says."""
    emulator.configure(start_delay=60, stop_delay=0.1)
    return emulator


@pytest.fixture
def client(qpu: RunningEmulator) -> Iterator[QaasClient]:
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as made:
        yield made


@pytest.fixture
def cli_env(qpu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's SCW_* variables, as a user's shell has them; no scw config file."""
    for name, value in qpu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SCW_PROFILE", raising=False)
    monkeypatch.setenv("SCW_CONFIG_PATH", str(tmp_path / "no-scw-config.yaml"))


def host_env(qpu: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        **qpu.env(),
        "SCW_CONFIG_PATH": str(tmp_path / "no-scw-config.yaml"),
        "PULUMI_QPU_HEARTBEAT_SECONDS": HEARTBEAT_SECONDS,
    }


@pytest.fixture
def host(qpu: RunningEmulator, tmp_path: Path) -> Iterator[ProviderHost]:
    """The SDK's real provider host, beating as often as this process expects."""
    with ProviderHost(host_env(qpu, tmp_path)) as running:
        running.configure({})
        yield running


def dead_create(client: QaasClient, name: str, stack: str = STACK) -> Session:
    """The session a create leaves when its run dies right after the POST."""
    platform = client.find_platform(PLATFORM)
    project = client.default_project_id
    inputs = {
        "platform_id": platform.id,
        "project_id": project,
        "resource_key": f"{stack}/{name}",
        "name": name,
    }
    request = {"platform_id": platform.id, "project_id": project, "name": name}
    return obtain_session(client, request, inputs, lambda _line: None, run=new_run())


def untagged(client: QaasClient, name: str) -> Session:
    """A session a create returned (no creating tag): a state may hold it."""
    platform = client.find_platform(PLATFORM)
    return client.create_session(platform_id=platform.id, name=name, tags=["team:q"])


def statuses(qpu: RunningEmulator) -> dict[str, str]:
    return {s["id"]: s["status"] for s in qpu.sessions()}


def live_ids(qpu: RunningEmulator) -> set[str]:
    return {i for i, status in statuses(qpu).items() if status in LIVE}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def declared(**values: Any) -> dict[str, Any]:
    return {
        "__provider": serialize_provider(SessionProvider()),
        "platform_name": PLATFORM,
        "resource_key": f"{STACK}/s",
        **values,
    }


# --- what is a leftover ------------------------------------------------------------


def test_a_create_dead_after_its_post_leaves_a_leftover_of_its_stack(
    client: QaasClient, qpu: RunningEmulator
) -> None:
    made = dead_create(client, "a")
    found = find_leftovers(client)
    assert [leftover.id for leftover in found] == [made.id]
    leftover = found[0]
    assert leftover.verdict == "stale"
    assert leftover.stack == stack_hash(STACK)
    assert leftover.mark == creating_mark(made)
    assert leftover.watched >= STALE_AFTER
    assert statuses(qpu)[made.id] in LIVE, "finding ends nothing"


def test_a_create_killed_with_its_provider_host_leaves_a_leftover(
    host: ProviderHost, client: QaasClient, qpu: RunningEmulator
) -> None:
    inputs = host.check(URN, {}, declared()).inputs
    killed_midway(
        host,
        lambda: len(qpu.sessions()) == 1,
        lambda: host.create(URN, inputs),
        "Create failed",
        HostCallError,
    )
    [made] = qpu.sessions()
    assert any(tag.startswith(CREATING_TAG) for tag in made["tags"])
    assert [leftover.id for leftover in find_leftovers(client, stack=STACK)] == [made["id"]]


def test_a_live_create_renewing_its_tag_is_neither_listed_nor_ended(
    host: ProviderHost,
    client: QaasClient,
    qpu: RunningEmulator,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs = host.check(URN, {}, declared()).inputs
    outcome: list[BaseException] = []

    def create() -> None:
        try:
            host.create(URN, inputs, timeout=120)
        except HostCallError as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=create, daemon=True)
    waiting.start()
    try:
        while not qpu.sessions():
            assert waiting.is_alive(), outcome
            threading.Event().wait(0.05)
        [made] = qpu.sessions()
        found = survey(client)
        assert found.leftovers == []
        assert [s.id for s in found.alive] == [made["id"]]
        renewed = creating_mark(found.alive[0])
        assert renewed is not None
        assert renewed.beat > 0, "alive because it beats"
        code, out, _ = run(capsys, "--end")
        assert code == EXIT_OK
        assert "1 session is being created right now by a live run: left alone" in out
        assert made["id"] in out
        code, out, _ = run(capsys, "--end", "--force", "--session", made["id"])
        assert code == EXIT_ERROR
        assert f"{made['id']}: not ended: a live run is creating it right now" in out
        assert statuses(qpu)[made["id"]] in LIVE
    finally:
        host.kill()
        waiting.join(timeout=30)


def test_untagged_sessions_are_never_listed_nor_ended(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = untagged(client, "kept")
    found = survey(client)
    assert (found.leftovers, found.alive) == ([], [])
    code, out, _ = run(capsys, "--end")
    assert code == EXIT_OK
    assert "no leftover sessions" in out
    assert kept.id not in out
    assert statuses(qpu)[kept.id] in LIVE


def test_a_tagged_session_that_already_stopped_is_not_a_leftover(
    client: QaasClient, qpu: RunningEmulator
) -> None:
    made = dead_create(client, "a")
    client.terminate_session(made.id)
    assert find_leftovers(client) == []


def test_a_session_ended_while_watched_is_reported_as_ended(
    client: QaasClient, qpu: RunningEmulator
) -> None:
    made = dead_create(client, "a")
    now = [0.0]

    def sleep_and_end(seconds: float) -> None:
        now[0] += seconds
        client.terminate_session(made.id)  # ended by hand in the meantime

    found = survey(client, sleep=sleep_and_end, clock=lambda: now[0])
    assert found.leftovers == []
    assert [s.id for s in found.ended] == [made.id]


def test_every_session_is_watched_in_one_window_not_one_each(
    client: QaasClient, qpu: RunningEmulator
) -> None:
    made = {dead_create(client, name).id for name in "abcde"}
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    qpu.reset_counters()
    found = survey(client, window=6.0, sleep=sleep, clock=lambda: now[0])
    assert {leftover.id for leftover in found.leftovers} == made
    assert sum(slept) == 6.0
    assert len(slept) == 6, "one read of each every window / 6"
    assert qpu.counters()["GET /qaas/v1alpha1/sessions/{session_id}"] == 6 * len(made)


def test_a_session_made_by_a_provider_older_than_the_stack_in_its_tag_is_found(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Earlier versions wrote pulumi-qpu:creating:<fingerprint> only: no stack to match.
    old = untagged(client, "old")
    client.update_session(old.id, tags=["team:q", f"{CREATING_TAG}:0123456789abcdef"])
    assert [leftover.id for leftover in find_leftovers(client)] == [old.id]
    code, out, _ = run(capsys, "--stack", STACK)
    assert code == EXIT_OK
    assert "1 tagged session(s) were left out" in out
    assert "run without --stack" in out


# --- filters -------------------------------------------------------------------------


def test_stack_filter_takes_the_full_name_or_the_hash(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = dead_create(client, "a", STACK)
    theirs = dead_create(client, "b", OTHER_STACK)
    assert stack_filter(STACK) == stack_filter(stack_hash(STACK).upper()) == stack_hash(STACK)
    for spelling in (STACK, stack_hash(STACK)):
        code, out, _ = run(capsys, "--stack", spelling, "--json")
        assert code == EXIT_LEFTOVERS_FOUND
        document = json.loads(out)
        assert [row["session_id"] for row in document["leftovers"]] == [mine.id]
        assert document["stack"] == stack_hash(STACK)
    code, out, _ = run(capsys, "--stack", OTHER_STACK, "--end")
    assert code == EXIT_OK
    assert statuses(qpu)[theirs.id] not in LIVE
    assert statuses(qpu)[mine.id] in LIVE


def test_a_stack_that_is_not_a_full_name_nor_a_hash_is_refused_in_one_line(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--stack", "dev")
    assert code == EXIT_ERROR
    assert out == ""
    assert err.count("\n") == 1
    assert "stack" in err
    assert "pulumi stack --show-name -Q" in err


def test_session_filter_ends_just_the_sessions_named(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = dead_create(client, "a"), dead_create(client, "b")
    code, out, _ = run(capsys, "--end", "--session", first.id)
    assert code == EXIT_OK
    assert first.id in out
    assert second.id not in out
    assert live_ids(qpu) == {second.id}


def test_end_refuses_a_named_session_that_is_not_a_leftover(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = untagged(client, "kept")
    code, out, _ = run(capsys, "--end", "--session", kept.id)
    assert code == EXIT_ERROR
    assert f"{kept.id}: not ended: it carries no creating tag" in out
    assert statuses(qpu)[kept.id] in LIVE


def test_force_ends_a_named_session_without_the_tag_and_nothing_else(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # After `pulumi state delete`: the user knows no state holds this one.
    forgotten, held = untagged(client, "forgotten"), untagged(client, "held")
    code, out, _ = run(capsys, "--force", "--session", forgotten.id)
    assert code == EXIT_OK
    assert f"{forgotten.id}: no creating tag; --end --force would end it" in out
    assert live_ids(qpu) == {forgotten.id, held.id}, "a dry run ends nothing"
    code, out, err = run(capsys, "--end", "--force", "--session", forgotten.id)
    assert code == EXIT_OK
    assert f"{forgotten.id}: ended (no creating tag; --force)" in out
    assert f"qpu: ended session {forgotten.id}" in err
    assert live_ids(qpu) == {held.id}


def test_force_without_a_named_session_is_refused(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    held = untagged(client, "held")
    code, out, err = run(capsys, "--end", "--force")
    assert code == EXIT_ERROR
    assert out == ""
    assert err == (
        "qpu-leftovers: error: --force ends only sessions named with --session <id>; "
        "name each one\n"
    )
    assert live_ids(qpu) == {held.id}


def test_a_named_session_that_does_not_exist_is_an_error(
    client: QaasClient, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    code, out, _ = run(capsys, "--session", missing)
    assert code == EXIT_ERROR
    assert f"{missing}: no such session (check the id)" in out


# --- dry run and --end -------------------------------------------------------------


def test_dry_run_lists_each_leftover_and_ends_nothing(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    made = dead_create(client, "analysis")
    before = qpu.sessions()
    code, out, err = run(capsys)
    assert code == EXIT_LEFTOVERS_FOUND
    [line] = [line for line in out.splitlines() if made.id in line]
    for shown in ("analysis", PLATFORM, "starting", stack_hash(STACK), "0.90 EUR"):
        assert shown in line
    assert "dry run: nothing was ended" in out
    assert f"watching the tagged live sessions of project {qpu.project_id}" in err
    assert qpu.sessions() == before


def test_end_ends_exactly_the_leftovers(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    leftovers = {dead_create(client, name).id for name in ("a", "b", "c")}
    kept = untagged(client, "kept")
    code, out, err = run(capsys, "--end")
    assert code == EXIT_OK
    assert "ended 3 of 3" in out
    assert live_ids(qpu) == {kept.id}
    assert {i for i, status in statuses(qpu).items() if status not in LIVE} == leftovers
    for session_id in leftovers:
        assert f"qpu: ended leftover session {session_id}" in err
    assert run(capsys)[0] == EXIT_OK, "nothing is left"


def test_end_leaves_a_leftover_taken_back_after_the_watch(
    client: QaasClient, qpu: RunningEmulator
) -> None:
    made = dead_create(client, "a")
    found = find_leftovers(client)
    # A re-run of its stack takes it back (puts its own tag on it) before the end comes.
    retagged = [t for t in made.tags or () if not t.startswith(CREATING_TAG)]
    client.update_session(made.id, tags=[*retagged, f"{CREATING_TAG}:{'0' * 16}:x:y:0"])
    said: list[str] = []
    assert end_leftovers(client, found, said.append) == []
    assert statuses(qpu)[made.id] in LIVE
    assert any("taken back by a run a moment ago" in line for line in said)


def test_a_leftover_that_cannot_be_ended_exits_2_and_is_named(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    made = dead_create(client, "a")
    qpu.set_faults(
        script=[
            {
                "kind": "error",
                "route": "POST /qaas/v1alpha1/sessions/{session_id}/terminate",
                "status": 403,
                "type": "permissions_denied",
            }
        ]
    )
    code, out, err = run(capsys, "--end")
    assert code == EXIT_ERROR
    assert f"could NOT end {made.id}" in out
    assert f"qpu: could not terminate session {made.id}" in err
    assert statuses(qpu)[made.id] in LIVE


# --- output, credentials, errors -------------------------------------------------------


def test_json_output_describes_each_leftover(
    client: QaasClient, qpu: RunningEmulator, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    made = dead_create(client, "analysis")
    code, out, _ = run(capsys, "--json")
    assert code == EXIT_LEFTOVERS_FOUND
    document = json.loads(out)
    assert document["mode"] == "dry-run"
    assert document["project_id"] == qpu.project_id
    assert document["window_seconds"] == STALE_AFTER
    [row] = document["leftovers"]
    assert row == {
        "session_id": made.id,
        "name": "analysis",
        "platform_id": made.platform_id,
        "platform_name": PLATFORM,
        "status": "starting",
        "created_at": row["created_at"],
        "age_seconds": row["age_seconds"],
        "stack": stack_hash(STACK),
        "currency": "EUR",
        "price_per_hour": "0.90",
        "accrued_cost": "0.00",
        "ended": False,
    }
    assert row["created_at"].endswith("Z")
    assert document["alive"] == document["not_ended"] == []


def test_the_command_runs_as_a_console_script_and_as_a_module(
    client: QaasClient, qpu: RunningEmulator, tmp_path: Path
) -> None:
    made = dead_create(client, "a")
    env = {**host_env(qpu, tmp_path), "PATH": str(Path(sys.executable).parent)}
    script = Path(sys.executable).parent / "qpu-leftovers"
    for command in ([str(script)], [sys.executable, "-m", "pulumi_qpu.leftovers"]):
        done = subprocess.run(
            [*command, "--json"], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert done.returncode == EXIT_LEFTOVERS_FOUND, done.stderr
        assert [row["session_id"] for row in json.loads(done.stdout)["leftovers"]] == [made.id]


def test_the_command_does_not_import_pulumi() -> None:
    # It starts in a fraction of a second, and runs where only the client is installed.
    code = "import sys, pulumi_qpu.leftovers; print('pulumi' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_no_secret_key_is_one_line_naming_the_fix(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCW_SECRET_KEY")
    code, out, err = run(capsys)
    assert code == EXIT_ERROR
    assert out == ""
    assert err.count("\n") == 1
    assert "secret_key is not set" in err
    assert "export SCW_SECRET_KEY=" in err
    assert "Traceback" not in err


def test_a_refused_key_is_one_line_without_the_key(
    qpu: RunningEmulator,
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "00000000-1111-2222-3333-444444444444"
    monkeypatch.setenv("SCW_SECRET_KEY", wrong)
    code, out, err = run(capsys)
    assert code == EXIT_ERROR
    assert err.splitlines()[-1].startswith("qpu-leftovers: error: could not list the sessions")
    assert "401" in err
    assert "SCW_SECRET_KEY" in err
    assert wrong not in out + err
    assert "Traceback" not in err


def test_a_malformed_option_is_named_as_the_option(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--project-id", "nope")
    assert code == EXIT_ERROR
    assert out == ""
    assert err == (
        "qpu-leftovers: error: project_id from option --project-id is invalid: 'nope' is "
        "not a UUID like 11111111-2222-3333-4444-555555555555\n"
    )


def test_a_window_shorter_than_three_heartbeats_is_warned_about(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--window", str(STALE_AFTER / 3))
    assert code == EXIT_OK
    assert "shorter than three heartbeats" in err
    code, _, err = run(capsys, "--window", "0")
    assert code == EXIT_ERROR
    assert "--window 0 is not a positive number of seconds" in err
