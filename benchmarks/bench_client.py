"""Benchmarks of the QaaS client against the emulator over loopback.

1. Time to running for start delays of 0.5 s, 2 s and 10 s: our ``wait_for_session``
   and the official Scaleway SDK's, side by side on the same emulator in the same run.
   Overshoot = wall time when the wait returned minus the session's ``started_at`` (the
   emulator's clock runs at real speed, so ``started_at`` is the moment it became
   running). GETs = the emulator's own request counter for ``GET /sessions/{id}``.
2. Client overhead per request: ``client.get_session`` vs a bare ``httpx.Client.get``
   + ``.json()`` on the same endpoint, interleaved rounds, median.
3. Listing sessions at growing counts up to 10,000: requests made, wall time, and peak
   traced memory (tracemalloc) while iterating, next to the peak when the same
   sessions are kept in a list.

Run: ``python benchmarks/bench_client.py`` (``--quick`` for a short smoke run). Prints
the figures and writes ``benchmarks/results/client.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from pulumi_qpu.client import QaasClient  # noqa: E402
from tests.support.emulator import RunningEmulator, running_emulator  # noqa: E402

GET_ONE = "GET /qaas/v1alpha1/sessions/{session_id}"
LIST = "GET /qaas/v1alpha1/sessions"
RESULTS = ROOT / "benchmarks" / "results" / "client.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, httpx {httpx.__version__}"
    )


def our_client(emulator: RunningEmulator) -> QaasClient:
    return QaasClient(
        secret_key=emulator.secret_key,
        api_url=emulator.url,
        default_project_id=emulator.project_id,
    )


def sdk_api(emulator: RunningEmulator) -> Any:
    from scaleway import Client
    from scaleway.qaas.v1alpha1 import QaasV1Alpha1API

    client = Client(
        access_key=emulator.access_key or "SCWEMULATOR000000000",
        secret_key=emulator.secret_key,
        api_url=emulator.url,
        default_project_id=emulator.project_id,
    )
    return QaasV1Alpha1API(client)


# --- 1. time to running -------------------------------------------------------------


def time_to_running(
    emulator: RunningEmulator, client: QaasClient, platform_id: str, delay: float, wait: str
) -> tuple[float, int]:
    """Create a session with ``delay`` start, wait with ``wait``; return overshoot, GETs."""
    emulator.configure(start_delay=delay)
    session = client.create_session(platform_id=platform_id)
    emulator.reset_counters()
    if wait == "ours":
        done = client.wait_for_session(session.id, timeout=120)
        returned = time.time()
        started_at = done.started_at
    else:
        done_sdk = sdk_api_cache(emulator).wait_for_session(session_id=session.id)
        returned = time.time()
        started_at = done_sdk.started_at
    assert started_at is not None, "a running session has started_at"
    overshoot = returned - started_at.timestamp()
    gets = emulator.counters().get(GET_ONE, 0)
    client.delete_session(session.id)
    return overshoot, gets


_SDK: dict[str, Any] = {}


def sdk_api_cache(emulator: RunningEmulator) -> Any:
    if emulator.url not in _SDK:
        _SDK[emulator.url] = sdk_api(emulator)
    return _SDK[emulator.url]


def bench_wait(emulator: RunningEmulator, repeats: int, delays: list[float]) -> list[str]:
    lines = [
        "## 1. Time to running: our wait_for_session vs the official SDK's",
        "",
        f"{repeats} runs per cell, sequential, same emulator. Overshoot = return time "
        "minus the session's `started_at`; GETs = emulator counter of "
        "`GET /sessions/{id}` during the wait.",
        "",
        "| start delay | client | overshoot median | overshoot max | target | GETs median "
        "| GETs max |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    with our_client(emulator) as client:
        platform_id = client.find_platform("EMU-AER-16C-128M").id
        for delay in delays:
            for wait in ("ours", "scaleway SDK"):
                runs = [
                    time_to_running(emulator, client, platform_id, delay, wait)
                    for _ in range(repeats)
                ]
                overs = [o for o, _ in runs]
                gets = [g for _, g in runs]
                target = f"≤ {max(0.25, 0.2 * delay):.2f} s" if wait == "ours" else ""
                row = (
                    f"| {delay:g} s | {wait} | {statistics.median(overs):.3f} s "
                    f"| {max(overs):.3f} s | {target} | {statistics.median(gets):g} "
                    f"| {max(gets)} |"
                )
                print(row, flush=True)
                lines.append(row)
    return lines


# --- 2. overhead per request --------------------------------------------------------


def bench_overhead(emulator: RunningEmulator, rounds: int, per_round: int) -> list[str]:
    with our_client(emulator) as client:
        platform_id = client.find_platform("EMU-AER-16C-128M").id
        session_id = client.create_session(platform_id=platform_id).id
        bare = httpx.Client(
            base_url=emulator.url,
            headers={"X-Auth-Token": emulator.secret_key},
            timeout=30.0,
        )
        path = f"/qaas/v1alpha1/sessions/{session_id}"

        def bare_get() -> None:
            response = bare.get(path)
            response.raise_for_status()
            response.json()

        def ours_get() -> None:
            client.get_session(session_id)

        def per_request(call: Callable[[], None]) -> float:
            start = time.perf_counter()
            for _ in range(per_round):
                call()
            return (time.perf_counter() - start) / per_round

        for call in (bare_get, ours_get):  # warm both pools and code paths
            per_request(call)
        bare_times, our_times = [], []
        for _ in range(rounds):  # interleaved, so drift hits both alike
            bare_times.append(per_request(bare_get))
            our_times.append(per_request(ours_get))
        bare.close()
    bare_median = statistics.median(bare_times)
    our_median = statistics.median(our_times)
    ratio = our_median / bare_median
    lines = [
        "## 2. Overhead per request",
        "",
        f"`GET /sessions/{{id}}`, {rounds} interleaved rounds of {per_round} requests; "
        "median of the per-round mean. Bare = `httpx.Client.get` + `.json()` with the same "
        "headers; ours = `QaasClient.get_session` (retry wrapper, error mapping, pydantic "
        "model).",
        "",
        "| client | per request | ratio |",
        "| --- | ---: | ---: |",
        f"| bare httpx | {bare_median * 1e6:.0f} µs | 1.00 |",
        f"| QaasClient | {our_median * 1e6:.0f} µs | {ratio:.2f} (target ≤ 1.30) |",
    ]
    print("\n".join(lines[-2:]), flush=True)
    return lines


# --- 3. listing ---------------------------------------------------------------------


def fill(client: QaasClient, platform_id: str, target: int, have: int) -> None:
    def create(index: int) -> None:
        client.create_session(platform_id=platform_id, name=f"bench-{index:05d}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(have, target)))


def bench_listing(emulator: RunningEmulator, counts: list[int]) -> list[str]:
    lines = [
        "## 3. Listing sessions",
        "",
        "`sum(1 for _ in client.list_sessions())` (page_size 100, the emulator's maximum). "
        "Peak memory is traced by tracemalloc while iterating; the last column keeps every "
        "session in a list instead, to show what laziness saves. Wall time and client CPU "
        "(this process's CPU time; the emulator is another process) are measured without "
        "tracemalloc.",
        "",
        "| sessions | requests | wall time | client CPU | client CPU per session "
        "| peak memory, iterating | peak memory, list() |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    per_request_wall: list[float] = []
    per_session_cpu: list[float] = []
    with our_client(emulator) as client:
        platform_id = client.find_platform("EMU-AER-16C-128M").id
        have = 0
        for count in counts:
            fill(client, platform_id, count, have)
            have = count
            emulator.reset_counters()
            start, cpu_start = time.perf_counter(), time.process_time()
            seen = sum(1 for _ in client.list_sessions())
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            requests = emulator.counters().get(LIST, 0)
            assert seen == count, (seen, count)
            tracemalloc.start()
            sum(1 for _ in client.list_sessions())
            _, peak_iter = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            tracemalloc.start()
            kept = list(client.list_sessions())
            _, peak_list = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del kept
            row = (
                f"| {count:,} | {requests} | {wall:.2f} s | {cpu:.2f} s "
                f"| {cpu / count * 1e6:.0f} µs | {peak_iter / 2**20:.2f} MiB "
                f"| {peak_list / 2**20:.1f} MiB |"
            )
            print(row, flush=True)
            lines.append(row)
            per_request_wall.append(wall / max(requests, 1))
            per_session_cpu.append(cpu / count)
    growth = per_request_wall[-1] / per_request_wall[0]
    if growth > 2:
        # Say where the time goes, computed from this run rather than assumed.
        lines += [
            "",
            f"Wall time per page request grew {growth:.0f} times from {counts[0]:,} to "
            f"{counts[-1]:,} sessions while the client's CPU per session stayed at "
            f"{min(per_session_cpu) * 1e6:.0f} to {max(per_session_cpu) * 1e6:.0f} µs: the "
            "server's cost per page grows with the number of sessions (the emulator "
            "reads the whole project for every page), so listing n sessions costs it "
            "O(n²). The client's own work and memory stay linear and flat.",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few runs, small counts")
    parser.add_argument("--repeats", type=int, default=5, help="runs per wait cell")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    delays = [0.5, 2.0] if args.quick else [0.5, 2.0, 10.0]
    counts = [200, 500] if args.quick else [1000, 2500, 5000, 10000]
    command = "python benchmarks/bench_client.py" + (" --quick" if args.quick else "")
    header = [
        "# Client benchmarks",
        "",
        f"Command: `{command}` (also `make bench`). "
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {machine()}.",
        "",
        "The emulator (`python -m pulumi_qpu.emulator`) runs as a subprocess on loopback "
        "at real time speed (time scale 1), no faults.",
        "",
    ]
    sections: list[str] = []
    with running_emulator() as emulator:
        sections += [*bench_wait(emulator, repeats, delays), ""]
        sections += bench_overhead(emulator, rounds=5 if args.quick else 15, per_round=200)
        sections += [""]
        emulator.reset()
        sections += bench_listing(emulator, counts)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(header + sections) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
