"""Helpers of the reliability suite (issue 6).

The emulator's own records (``RunningEmulator.sessions()``, tombstones included) are the
oracle throughout: a session is *live* while it is ``starting`` or ``running`` and not
deleted, and every check of "nothing lost, nothing duplicated" counts live sessions per
declared resource there, never in the provider's own replies.

The provider fixtures of tests/provider are reused as they are (see conftest.py);
what is added here:

* :func:`logging_env`: a host environment that turns on the client's INFO logging in the
  host process (a ``sitecustomize`` on ``PYTHONPATH``), so every retry the client spends
  shows in the host's stderr, where the tests count them and scan them for the key.
* :func:`fleet`: a program declaring ``count`` Sessions named ``s000``...
* :func:`parallel_destroy`: the engine's destroy with the real engine's parallelism (the
  mock engine's own destroy deletes one resource at a time).
* :class:`Figures`: what a run did, written to ``$QPU_RELIABILITY_FIGURES`` (a
  directory) when it is set and always printed, for docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pulumi_qpu.resource import Session
from tests.provider.conftest import PLATFORM, host_env
from tests.support.emulator import RunningEmulator
from tests.support.engine import MockEngine, RunFailedError
from tests.support.host import HostCallError

__all__ = [
    "LIVE",
    "MAX_RUNS",
    "MUTATING",
    "PLATFORM",
    "Figures",
    "assert_one_live_session_each",
    "count_retries",
    "fleet",
    "gone_on_retry",
    "is_live",
    "live_by_name",
    "logging_env",
    "mutations",
    "parallel_destroy",
    "repeated_names",
    "retry_waits",
    "sessions_by_name",
    "static_diffs",
    "until_converged",
]

LIVE = frozenset({"starting", "running"})
"""Statuses in which a session costs money."""

MUTATING = ("POST ", "PATCH ", "DELETE ")
"""Counter-key prefixes of the requests that change something remotely."""

_SITECUSTOMIZE = '''\
"""Test-only: the host process logs the client's retries on stderr."""
import logging
import sys

_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("qpu-log %(name)s %(message)s"))
for _name in ("pulumi_qpu.retry", "pulumi_qpu.client"):
    _logger = logging.getLogger(_name)
    _logger.setLevel(logging.INFO)
    _logger.addHandler(_handler)
'''


def logging_env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The host environment of ``host_env`` plus the client's INFO logs on stderr."""
    site = tmp_path / "host-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    return {**host_env(emulator, tmp_path), "PYTHONPATH": str(site)}


_RETRY = re.compile(r"^qpu-log pulumi_qpu\.retry (\S+) \S+ failed \(([^)]*)\)", re.MULTILINE)
_GONE_ON_RETRY = re.compile(r"^qpu-log pulumi_qpu\.client .*404 on retry", re.MULTILINE)


def count_retries(logs: str) -> Counter[str]:
    """Retries the client spent, by cause (``"503 internal_error"``, ...)."""
    return Counter(cause for _, cause in _RETRY.findall(logs))


_WAIT = re.compile(
    r"^qpu-log pulumi_qpu\.retry .* failed \(([^)]*)\).* retrying in ([\d.]+)s$", re.MULTILINE
)


def retry_waits(logs: str, cause: str) -> list[float]:
    """Seconds the client waited before each retry after a failure of ``cause``."""
    return [float(wait) for found, wait in _WAIT.findall(logs) if found == cause]


def gone_on_retry(logs: str) -> int:
    """DELETEs whose retry found the session already deleted by a dropped attempt."""
    return len(_GONE_ON_RETRY.findall(logs))


_STATIC_DIFF = re.compile(r"^qpu: could not read session \S+ to check it still runs", re.MULTILINE)


def static_diffs(logs: str) -> int:
    """Diffs whose live read failed after its retries, so they planned from state alone.

    By design (a diff without the live view is still a correct static diff), so such a
    read's last fault is absorbed without a retry and without failing the step.
    """
    return len(_STATIC_DIFF.findall(logs))


def fleet(count: int, **args: Any) -> Callable[[], None]:
    """A program declaring ``count`` Sessions ``s000``, ``s001``... each named as itself."""
    if "platform_id" not in args:
        args.setdefault("platform_name", PLATFORM)

    def program() -> None:
        for index in range(count):
            name = f"s{index:03d}"
            Session(name, name=name, **args)

    return program


def sessions_by_name(emulator: RunningEmulator) -> dict[str, list[dict[str, Any]]]:
    """Every session ever made (deleted ones too), grouped by name."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for session in emulator.sessions():
        groups.setdefault(session["wire"]["name"], []).append(session)
    return groups


def is_live(session: Mapping[str, Any]) -> bool:
    """True while the session costs money (``starting``/``running``, not deleted)."""
    return session["wire"]["status"] in LIVE and not session.get("deleted_at")


def live_by_name(emulator: RunningEmulator) -> dict[str, list[str]]:
    """Ids of the live sessions, grouped by name: a list longer than one is a duplicate."""
    groups: dict[str, list[str]] = {}
    for session in emulator.sessions():
        if is_live(session):
            groups.setdefault(session["wire"]["name"], []).append(session["id"])
    return groups


def repeated_names(emulator: RunningEmulator) -> dict[str, list[str]]:
    """The names with more than one session made, each session as one line of
    ``id status deduplication_id created_at``, oldest first: what a count should show."""
    return {
        name: [
            f"{s['id']} {s['wire']['status']} {s['wire']['deduplication_id']} "
            f"{s['wire']['created_at']}"
            for s in sessions
        ]
        for name, sessions in sessions_by_name(emulator).items()
        if len(sessions) > 1
    }


def assert_one_live_session_each(
    emulator: RunningEmulator, engine: MockEngine, names: Iterable[str]
) -> dict[str, str]:
    """Assert the oracle holds exactly one live session per declared name, and that it
    is the one the state file holds; return the ids by name."""
    live = live_by_name(emulator)
    assert sorted(live) == sorted(names), "a resource has no live session, or a stranger does"
    duplicated = {name: ids for name, ids in live.items() if len(ids) > 1}
    assert not duplicated, f"duplicated sessions: {duplicated}"
    state = {res["outputs"]["name"]: res["id"] for res in engine.state().values()}
    ids = {name: found[0] for name, found in live.items()}
    assert state == ids, "the state file does not hold the live sessions"
    return ids


def mutations(counters: Mapping[str, int]) -> dict[str, int]:
    """The counters of requests that would change something remotely."""
    return {key: n for key, n in counters.items() if key.startswith(MUTATING)}


def parallel_destroy(engine: MockEngine, workers: int = 8, *, save_every: int = 1) -> None:
    """Delete everything in state, ``workers`` at a time, as ``pulumi destroy`` does.

    Replaced objects still waiting for their delete go too. The state file is rewritten
    after each delete (keeping the mock engine's format), or after every ``save_every``
    deletes for thousands of resources (each rewrite is the whole file), and always at
    the end, so a destroy that fails midway leaves in state exactly what is still there;
    once the other deletes have finished, one failure is raised as it was and several
    as a :class:`RunFailedError`.
    """
    engine.host.configure(engine.config)
    if not engine.state_path.exists():
        return
    document: dict[str, Any] = json.loads(engine.state_path.read_text())
    resources: dict[str, Any] = document["resources"]
    pending: list[dict[str, Any]] = document.setdefault("pending_deletes", [])
    lock = threading.Lock()
    done = [0]

    def write() -> None:
        tmp = engine.state_path.with_suffix(".destroy")
        tmp.write_text(json.dumps(document, indent=1))
        tmp.replace(engine.state_path)

    def save() -> None:
        done[0] += 1
        if done[0] % save_every == 0:
            write()

    def delete_resource(urn: str) -> None:
        res = resources[urn]
        engine.host.delete(res["id"], urn, res["outputs"], old_inputs=res["inputs"])
        with lock:
            del resources[urn]
            save()

    def delete_pending(entry: dict[str, Any]) -> None:
        old = entry["state"]
        engine.host.delete(old["id"], entry["urn"], old["outputs"], old_inputs=old["inputs"])
        with lock:
            pending.remove(entry)
            save()

    try:
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(delete_pending, entry) for entry in list(pending)]
            futures += [pool.submit(delete_resource, urn) for urn in reversed(list(resources))]
    finally:
        with lock:
            write()
    errors = [e for e in (f.exception() for f in futures) if e is not None]
    if len(errors) > 1:
        raise RunFailedError(errors)
    if errors:
        raise errors[0]


MAX_RUNS = 5
"""Runs a converging step may take: a failed run is run again, as a user re-runs up.

Under the fault matrix a request fails about one time in three; with the provider's 10
attempts a call gives up about once in 1e5, so a re-run is rare, and five runs make a
failure for want of runs (rather than for a defect) negligible."""


def until_converged(action: Callable[[], Any], failures: list[str]) -> int:
    """Run ``action`` until it succeeds, at most MAX_RUNS times; return the runs made.

    The text of each failure (what the engine would show) is appended to ``failures``.
    """
    for run in range(1, MAX_RUNS + 1):
        try:
            action()
        except RunFailedError as exc:  # several calls of one run failed
            failures.extend(_last_line(e) for e in exc.errors)
            continue
        except (HostCallError, RuntimeError) as exc:  # one call failed after its retries
            failures.append(_last_line(exc))
            continue
        return run
    raise AssertionError(f"did not converge in {MAX_RUNS} runs: {failures}")


def _last_line(exc: BaseException) -> str:
    """What the engine shows of a failed call: the last line of the provider's error."""
    text = exc.details if isinstance(exc, HostCallError) and exc.details else str(exc)
    return text.strip().splitlines()[-1]


@dataclass
class Figures:
    """What one reliability scenario did, for docs/reliability.md."""

    scenario: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(self, step: str, **figures: Any) -> Figures:
        """Record one step's figures; returns self, so a one-step record can publish."""
        self.steps.append({"step": step, **figures})
        return self

    def publish(self) -> str:
        """Print the figures and write them to ``$QPU_RELIABILITY_FIGURES/<scenario>.json``."""
        text = json.dumps(asdict(self), indent=1, sort_keys=False)
        print(text)
        target = os.environ.get("QPU_RELIABILITY_FIGURES")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / f"{self.scenario}.json").write_text(text + "\n")
        return text
