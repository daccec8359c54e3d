"""The examples through the real Pulumi CLI (Automation API) on a local file backend.

These need the ``pulumi`` binary, which no package registry ships; where it is absent
they are skipped with that reason. Everything they check also runs in the default suite
under the mock engine (tests/examples), which drives the SDK's own provider host.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pulumi_qpu.client import QaasClient
from tests.support.emulator import RunningEmulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="the Pulumi CLI is not on PATH (install it from https://www.pulumi.com/docs/"
        "install/); the same flows run under the mock engine in tests/examples",
    ),
    pytest.mark.timeout(600),
]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def qpu(emulator: RunningEmulator) -> RunningEmulator:
    emulator.configure(start_delay=0.5, stop_delay=0.2)
    return emulator


StackFactory = Callable[..., Any]


@pytest.fixture
def make_stack(qpu: RunningEmulator, tmp_path: Path) -> Iterator[StackFactory]:
    """Create a stack of an example on a local backend in ``tmp_path``; removed after."""
    from pulumi import automation as auto

    stacks: list[Any] = []

    def make(example: str, **config: str) -> Any:
        work = tmp_path / example
        shutil.copytree(EXAMPLES / example, work)
        # Run with this interpreter's environment (pulumi-qpu installed) instead of a
        # new virtualenv that would need the network.
        settings = (work / "Pulumi.yaml").read_text()
        (work / "Pulumi.yaml").write_text(
            settings.replace("virtualenv: venv", f"virtualenv: {sys.prefix}")
        )
        (tmp_path / "state").mkdir(exist_ok=True)
        env = {
            **qpu.env(),
            "SCW_CONFIG_PATH": str(tmp_path / "no-scw-config.yaml"),
            "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "pulumi-qpu-e2e",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
        }
        stack = auto.create_stack(
            "e2e", work_dir=str(work), opts=auto.LocalWorkspaceOptions(env_vars=env)
        )
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in config.items()})
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.destroy()
        stack.workspace.remove_stack(stack.name)


def live(qpu: RunningEmulator) -> list[dict[str, Any]]:
    return [s for s in qpu.sessions() if s["status"] in ("starting", "running")]


def test_basic_preview_up_change_destroy(make_stack: StackFactory, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    stack = make_stack("basic", team="alpha")
    preview = stack.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the session
    assert qpu.sessions() == []

    up = stack.up()
    assert up.outputs["status"].value == "running"
    assert [s["id"] for s in live(qpu)] == [up.outputs["session_id"].value]

    stack.set_config("team", auto.ConfigValue("beta"))
    again = stack.up()
    assert again.summary.resource_changes.get("update") == 1
    assert live(qpu)[0]["tags"] == ["team:beta", "example:basic"]

    stack.destroy()
    assert live(qpu) == []


def test_fleet_update_and_replace(make_stack: StackFactory, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    stack = make_stack("fleet")
    first = stack.up()
    assert len(live(qpu)) == 2
    stack.set_config("tags", auto.ConfigValue('["fleet", "v2"]'))
    assert stack.up().summary.resource_changes.get("update") == 2
    stack.set_config(
        "fleet",
        auto.ConfigValue(
            '{"aer": {"platform": "EMU-AER-H100"}, "qsim": {"platform": "EMU-QSIM-L40S"}}'
        ),
    )
    replaced = stack.up()
    assert replaced.summary.resource_changes.get("replace") == 1
    assert replaced.outputs["session_ids"].value["aer"] != first.outputs["session_ids"].value["aer"]
    stack.destroy()
    assert live(qpu) == []


def test_booking_books_a_future_slot(make_stack: StackFactory, qpu: RunningEmulator) -> None:
    now = datetime.fromisoformat(qpu.advance(0).replace("Z", "+00:00"))
    start = (now + timedelta(hours=2)).replace(microsecond=0).isoformat()
    stack = make_stack("booking", slotStart=start)
    up = stack.up()
    assert up.outputs["status"].value == "starting"
    assert up.outputs["booking_id"].value
    stack.destroy()
    assert live(qpu) == []


def test_lookup_adopts_an_existing_session(make_stack: StackFactory, qpu: RunningEmulator) -> None:
    from pulumi import automation as auto

    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        platform = client.find_platform("EMU-AER-16C-128M")
        existing = client.create_session(platform_id=platform.id, name="by-hand")
    stack = make_stack("lookup")
    assert stack.up().outputs["existing_session_ids"].value == [existing.id]
    stack.set_config("adoptSessionId", auto.ConfigValue(existing.id))
    assert stack.up().outputs["adopted_name"].value == "by-hand"
    assert [s["id"] for s in qpu.sessions()] == [existing.id]
    stack.destroy()
    assert [s["status"] for s in qpu.sessions()] == ["stopped"]
