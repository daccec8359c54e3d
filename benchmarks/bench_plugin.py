"""The plugin against the dynamic provider: 100 Creates that wait, through the real CLI.

``pulumi up --parallel 100`` of 100 Sessions with a 2 s start (the emulator's
``start_delay``), each waiting for ``running``: once through the dynamic provider
(:class:`pulumi_qpu.Session`, whose host has 4 worker threads) and once through the
``qpu`` plugin (``qpu:index:Session``, ``pulumi-resource-qpu`` on PATH, served on
``grpc.aio``). The fixed cost of each front door is measured on the same 100 Sessions as
no-op waits (``wait_for_running=False``: create returns once the API accepted it), so it
holds the CLI, the program, the provider's start and every API call but the wait. The
ideal is ``start + fixed`` for the plugin, ``ceil(100 / 4) x start + fixed`` for the
dynamic provider. Heartbeats run at their default (10 s), as for a user.

Run: ``python benchmarks/bench_plugin.py``. Prints the figures and writes
``benchmarks/results/plugin.md``.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import pulumi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_client  # noqa: E402  (its machine() line)
from tests.e2e.programs import fleet  # noqa: E402
from tests.support.cli import RealEngine, find_cli, live_sessions  # noqa: E402
from tests.support.emulator import running_emulator  # noqa: E402
from tests.support.plugin import PluginSession, put_plugin_on_path  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "plugin.md"
START_DELAY = 2.0
COUNT = 100
PARALLEL = 100
DYNAMIC_WORKERS = 4  # the dynamic provider host's thread pool


def plugin_fleet() -> None:
    """``count`` plugin Sessions (config), waiting for running unless ``wait`` is false."""
    config = pulumi.Config()
    count = int(config.get("count") or "1")
    wait = (config.get("wait") or "true") == "true"
    for i in range(count):
        PluginSession(f"s{i:03d}", {"platformName": "EMU-AER-16C-128M", "waitForRunning": wait})


def timed_up(
    engine: RealEngine, program: Callable[[], None], name: str, count: int, *, wait: bool
) -> float:
    """Seconds of one ``pulumi up --parallel`` of ``count`` Sessions (then destroyed)."""
    config = {"count": str(count), "wait": "true" if wait else "false"}
    stack = engine.stack(program, name=name, config=config)
    started = time.monotonic()
    stack.up(parallel=PARALLEL)
    elapsed = time.monotonic() - started
    assert len(live_sessions(engine.emulator)) == count
    stack.destroy()
    stack.workspace.remove_stack(stack.name)
    return elapsed


def main() -> None:
    cli = find_cli()
    assert cli.bin_dir is not None, cli.reason
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, running_emulator(start_delay=START_DELAY) as qpu:
        engine = RealEngine(cli, qpu, Path(tmp))
        engine.extra_env["PULUMI_QPU_HEARTBEAT_SECONDS"] = "10"
        put_plugin_on_path(engine, Path(tmp) / "plugins")
        for label, program, workers in (
            ("dynamic provider", fleet, DYNAMIC_WORKERS),
            ("plugin", plugin_fleet, COUNT),
        ):
            slug = label.split()[0]
            fixed = timed_up(engine, program, f"{slug}-noop", COUNT, wait=False)
            many = timed_up(engine, program, f"{slug}-{COUNT}", COUNT, wait=True)
            ideal = math.ceil(COUNT / workers) * START_DELAY + fixed
            rows.append(
                (
                    f"`pulumi up --parallel {PARALLEL}`, {COUNT} Sessions (2 s start), {label}",
                    f"{many:.1f} s (no-op waits: {fixed:.1f} s)",
                    f"ideal {ideal:.1f} s (ceil({COUNT}/{workers}) x 2 s + fixed {fixed:.1f} s): "
                    f"{many / ideal:.2f}x",
                )
            )
    table = "\n".join(f"| {what} | {figure} | {note} |" for what, figure, note in rows)
    print(table)
    RESULTS.write_text(
        "# The plugin against the dynamic provider\n\n"
        "Command: `python benchmarks/bench_plugin.py`  \n"
        f"Machine: {bench_client.machine()}, pulumi SDK {version('pulumi')}, CLI {cli.version}  \n"
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n\n"
        "| what | measured | against |\n| --- | --- | --- |\n" + table + "\n"
    )


if __name__ == "__main__":
    main()
