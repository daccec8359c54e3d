"""API requests of ``pulumi preview`` and ``pulumi refresh`` of 100 unchanged Sessions.

Through both front doors: the dynamic provider and the ``qpu`` plugin.

A preview reads every live session (one that ended by itself plans its replacement) and
a refresh reads each back; one ``GET /sessions/{id}`` per Session is 100 requests. The
client answers those reads from one listing of the project (pulumi_qpu/snapshots.py).
The emulator counts every request by route; the figure is requests per Session.

Run: ``python benchmarks/bench_preview_requests.py``; writes
``benchmarks/results/preview_requests.md``.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bench_client  # noqa: E402  (its machine() line)

# The plugin's fleet: the same 100 Sessions as qpu:index:Session.
from benchmarks.bench_plugin import plugin_fleet  # noqa: E402
from tests.e2e.programs import fleet  # noqa: E402
from tests.support.cli import RealEngine, find_cli  # noqa: E402
from tests.support.emulator import running_emulator  # noqa: E402
from tests.support.plugin import put_plugin_on_path  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "preview_requests.md"
SESSIONS = 100


def _row(what: str, counters: dict[str, int]) -> str:
    total = sum(counters.values())
    routes = ", ".join(f"{route}: {n}" for route, n in sorted(counters.items()))
    return f"| {what} | {total} | {total / SESSIONS:.2f} | {routes} |"


def main() -> None:
    cli = find_cli()
    assert cli.bin_dir is not None, cli.reason
    with tempfile.TemporaryDirectory() as tmp, running_emulator(start_delay=0.2) as qpu:
        engine = RealEngine(cli, qpu, Path(tmp))
        put_plugin_on_path(engine, Path(tmp) / "plugins")
        rows = []
        for door, program in (("dynamic provider", fleet), ("plugin", plugin_fleet)):
            stack = engine.stack(program, name=door.split()[0], config={"count": str(SESSIONS)})
            stack.up(parallel=32)
            for what, run in (("preview", stack.preview), ("refresh", stack.refresh)):
                qpu.reset_counters()
                run()
                rows.append(_row(f"`pulumi {what}`, {door}", qpu.counters()))
            stack.destroy()
        engine.cleanup()
    lines = [
        f"# API requests of a preview and a refresh of {SESSIONS} unchanged Sessions",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {bench_client.machine()}, CLI {cli.version}, "
        "`python benchmarks/bench_preview_requests.py`.",
        "",
        "| command | requests | per Session | by route |",
        "| --- | ---: | ---: | --- |",
        *rows,
        "",
        "Measured the same way on the commit before (each read a GET), dynamic provider:",
        "",
        "| command | requests | per Session | by route |",
        "| --- | ---: | ---: | --- |",
        "| `pulumi preview` | 101 | 1.01 | GET .../platforms: 1, "
        "GET .../sessions/{session_id}: 100 |",
        "| `pulumi refresh` | 203 | 2.03 | GET .../platforms/{platform_id}: 2, "
        "GET .../sessions: 1, GET .../sessions/{session_id}: 200 |",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
