"""Throughput of the QaaS emulator for GET /sessions/{id}, and the cost of listing.

Run: ``python benchmarks/bench_emulator.py [--requests N] [--threads T] [--list N ...]``.
Starts the emulator as a subprocess (as the test fixture does), creates one session,
then times keep-alive GETs of it: sequentially from one connection, then from T threads
with a connection each. Then it fills the project to each ``--list`` count and times
``GET /sessions`` page by page (page_size 100) to the end, for a few orders and a tag
filter: a page should cost the same whatever the project's size. Prints the figures
and writes ``benchmarks/results/emulator.md``. Target (issue 2): at least 500 GET
requests/s from one process.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.emulator import start_emulator  # noqa: E402

TARGET = 500.0


def _timed_gets(url: str, key: str, path: str, count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, headers={"X-Auth-Token": key}) as client:
        client.get(path).raise_for_status()  # warm the connection
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} -> {response.status_code}")
    return latencies


def _run(url: str, key: str, path: str, requests: int, threads: int) -> tuple[float, list[float]]:
    per_thread = requests // threads
    results: list[list[float]] = [[] for _ in range(threads)]

    def work(index: int) -> None:
        results[index] = _timed_gets(url, key, path, per_thread)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies = [value for chunk in results for value in chunk]
    return len(latencies) / elapsed, latencies


def _fill(url: str, key: str, body: dict[str, object], have: int, target: int) -> None:
    """Create sessions up to ``target`` (every other one tagged ``even``), 8 at a time."""

    def create(index: int) -> None:
        with httpx.Client(base_url=url, headers={"X-Auth-Token": key}) as client:
            for number in range(index, target, 8):
                tags = ["even"] if number % 2 == 0 else []
                reply = client.post("/sessions", json={**body, "tags": tags})
                reply.raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(have, have + 8)))


def _list_all(client: httpx.Client, params: dict[str, str]) -> list[float]:
    """Page through GET /sessions to the end; return each request's latency."""
    latencies = []
    page = 1
    while True:
        started = time.perf_counter()
        reply = client.get("/sessions", params={**params, "page": str(page), "page_size": "100"})
        latencies.append(time.perf_counter() - started)
        reply.raise_for_status()
        if not reply.json()["sessions"]:
            return latencies
        page += 1


def _listing(url: str, key: str, project_id: str, counts: list[int]) -> list[str]:
    lines = [
        "",
        "## Listing: GET /qaas/v1alpha1/sessions page by page",
        "",
        "The project is filled to each count (every other session created here is tagged "
        "`even`; the 100 of the GET test are not), then one "
        "client pages through it with page_size 100 until an empty page.",
        "",
        "| sessions | order_by | filter | requests | total s | p50 ms per page | p99 ms per page |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    with httpx.Client(base_url=url, headers={"X-Auth-Token": key}) as client:
        platform_id = client.get("/platforms").json()["platforms"][0]["id"]
        have = int(client.get("/sessions", params={"project_id": project_id}).json()["total_count"])
        for count in counts:
            body: dict[str, object] = {"project_id": project_id, "platform_id": platform_id}
            _fill(url, key, body, have, count)
            have = max(have, count)
            for order_by, tags in (("name_asc", ""), ("status_desc", ""), ("name_asc", "even")):
                params = {"project_id": project_id, "order_by": order_by}
                if tags:
                    params["tags"] = tags
                latencies = _list_all(client, params)
                row = (
                    f"| {have:,} | {order_by} | {'tags=' + tags if tags else '-'} "
                    f"| {len(latencies)} | {sum(latencies):.2f} "
                    f"| {statistics.median(latencies) * 1000:.2f} "
                    f"| {_percentile(latencies, 0.99) * 1000:.2f} |"
                )
                print(row, flush=True)
                lines.append(row)
    return lines


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--list",
        type=int,
        nargs="*",
        default=[1000, 10000],
        help="session counts to time listing at (none: skip)",
    )
    args = parser.parse_args()

    with start_emulator(start_delay=0) as emulator:
        with httpx.Client(
            base_url=emulator.url + "/qaas/v1alpha1",
            headers={"X-Auth-Token": emulator.secret_key},
        ) as client:
            platform_id = client.get("/platforms").json()["platforms"][0]["id"]
            session = client.post(
                "/sessions", json={"project_id": emulator.project_id, "platform_id": platform_id}
            ).json()
            # A realistic project: the session looked up is one among a hundred.
            for _ in range(99):
                client.post(
                    "/sessions",
                    json={"project_id": emulator.project_id, "platform_id": platform_id},
                )
        path = f"/qaas/v1alpha1/sessions/{session['id']}"
        rows = []
        for threads in (1, args.threads):
            rate, latencies = _run(emulator.url, emulator.secret_key, path, args.requests, threads)
            rows.append(
                (
                    threads,
                    len(latencies),
                    rate,
                    statistics.median(latencies) * 1000,
                    _percentile(latencies, 0.99) * 1000,
                )
            )
        counted = emulator.counters()["GET /qaas/v1alpha1/sessions/{session_id}"]
        listing = _listing(
            emulator.url + "/qaas/v1alpha1", emulator.secret_key, emulator.project_id, args.list
        )

    lines = [
        "# Emulator benchmarks",
        "",
        f"Command: `python benchmarks/bench_emulator.py --requests {args.requests}"
        f" --threads {args.threads}"
        + (f" --list {' '.join(str(n) for n in args.list)}`" if args.list else " --list`"),
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; emulator (uvicorn h11, in-memory SQLite) and client "
        "(httpx, keep-alive) on the same host over loopback.",
        "",
        "## GET /qaas/v1alpha1/sessions/{session_id}",
        "",
        "| client threads | requests | requests/s | p50 ms | p99 ms |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {threads} | {count} | {rate:.0f} | {p50:.2f} | {p99:.2f} |"
        for threads, count, rate, p50, p99 in rows
    ]
    best = max(row[2] for row in rows)
    verdict = "meets" if rows[0][2] >= TARGET else "misses"
    lines += [
        "",
        f"Target: {TARGET:.0f} requests/s from one process; one sequential client "
        f"{verdict} it ({rows[0][2]:.0f}/s), best {best:.0f}/s. The emulator counted "
        f"{counted} GETs (warm-up requests included).",
    ]
    if args.list:
        lines += listing
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "benchmarks" / "results" / "emulator.md"
    out.write_text(text)
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
