"""A small stand-in for the Pulumi engine: programs run under ``set_mocks``, dynamic
resources go to the real provider host, state lives in a JSON file between runs.

The real engine is the judge (tests/e2e, the pinned CLI); this stand-in remains only for
tests/test_cost.py's previews and checks, which are much faster here. What it plays,
as the engine does it (pkg/resource/deploy, v3.274.1):

* ``preview``: Check, then Diff against state; nothing is created or changed, values
  not known yet are unknown in the program.
* ``up``: first the deletes left pending by an earlier run (replaced objects whose
  delete failed or never ran: the engine's pending deletes, done before anything else);
  then Check → Create for new resources; Check → Diff → Update, or replace, for existing
  ones. A replacement is created from a second Check **with no olds**; ``up(replace=
  [name])`` plays ``--replace``: Check with no olds, no Diff. Create-before-delete by
  default (the old object deleted once the program's steps are done), delete first when
  Diff says ``deleteBeforeReplace`` or the test names the resource in
  ``delete_before_replace`` (the option, which the mocks do not pass on). Then what the
  program no longer declares is deleted. State is written after every step.
* ``refresh``: Read for every resource in state; an empty id drops it.
* ``destroy``: Delete for every resource in state, pending deletes first.

A failed run ends as the engine's does: steps under way are waited for (and recorded),
no new step starts, the replaced objects and the undeclared resources are not deleted;
one failure is raised as it was, several as a :class:`RunFailedError` listing each.

Not modelled (use the real engine for any of these): parallelism (deletes of undeclared
resources and of a destroy run one at a time, newest first, where the engine runs them in
parallel in reverse dependency order); dependencies between resources; the Diff the
engine runs after a refresh's Read; pending *creates* left by a killed run; resource
options other than the test's ``delete_before_replace`` (``protect``,
``retain_on_delete``, ``replace_on_changes``, ``ignore_changes`` ...); the secrets the
engine strips before each call and re-marks after; stack outputs of a failed run.
Non-dynamic resources get a fake id and their inputs back, as plain mocks would.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.sync_await import _ensure_event_loop

from tests.support.host import DiffOutcome, HostCallError, ProviderHost

__all__ = [
    "CheckFailedError",
    "MockEngine",
    "RunFailedError",
    "RunResult",
    "Step",
    "use_engine_executor",
]

Props = dict[str, Any]
_DYNAMIC = "pulumi-python:dynamic"


class _DrainableExecutor(ThreadPoolExecutor):
    """A thread pool that can finish what runs and drop what waits, and still be used.

    Its threads live as long as the process (as the loop's default executor's would):
    the SDK's mock monitor gives each thread an event loop of its own, which would be
    left unclosed if the threads ended with every run.
    """

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="mock-engine")
        self._submitted: list[Future[Any]] = []
        self._track = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit as usual, remembering the future for :meth:`drain`."""
        future = super().submit(fn, *args, **kwargs)
        with self._track:
            # Code that never drains (plain set_mocks tests) shares this loop executor:
            # forget finished futures now and then so they are not kept for ever.
            if len(self._submitted) >= 1024:
                self._submitted = [f for f in self._submitted if not f.done()]
            self._submitted.append(future)
        return future

    def drain(self) -> None:
        """Cancel what has not started, wait for what has."""
        with self._track:
            submitted, self._submitted = self._submitted, []
        for future in submitted:
            future.cancel()
        wait(submitted)


_EXECUTOR = _DrainableExecutor()


def use_engine_executor() -> None:
    """Make the engine's executor the default of this thread's event loop (the SDK's).

    tests/conftest.py does so once, before any test uses the loop, and every run again
    (a no-op unless the loop is new): replacing a default executor that already ran
    work drops its threads, and with them, unclosed, the event loops the SDK's mock
    monitor gave each of them.
    """
    loop = _ensure_event_loop()  # type: ignore[no-untyped-call]  # the loop body() uses
    loop.set_default_executor(_EXECUTOR)


class RunFailedError(RuntimeError):
    """Several operations of one run failed; ``errors`` holds each, in the order seen."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        super().__init__(
            f"{len(errors)} operations failed:\n" + "\n".join(f"- {e}" for e in errors)
        )


@dataclass(frozen=True)
class Step:
    """One thing the engine did (or, in a preview, would do) to one resource."""

    op: str  # create | same | update | replace | delete | read | refresh-delete
    urn: str
    id: str = ""


@dataclass
class RunResult:
    """What a run did and what the program exported (unknown exports are rpc.UNKNOWN)."""

    steps: list[Step] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)

    def ops(self, op: str) -> list[str]:
        """URNs of the steps of one kind."""
        return [s.urn for s in self.steps if s.op == op]


class CheckFailedError(RuntimeError):
    """Check returned failures: the run stops as the engine stops it."""


class _QuietFailedRegistrations(logging.Filter):
    """Drop asyncio's "Future exception was never retrieved" for our own errors.

    A failed registration also fails every Output of that resource; nobody awaits them,
    so asyncio logs each one when it is collected. The run itself already raised.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (HostCallError, CheckFailedError))


logging.getLogger("asyncio").addFilter(_QuietFailedRegistrations())


def _for_wire(value: Any) -> Any:
    # The mock monitor hands over Unknown objects in preview; the host wants the sentinel.
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: _for_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_wire(v) for v in value]
    return value


def _setter(target: dict[str, Any], key: str) -> Callable[[Any], None]:
    def store(value: Any) -> None:
        target[key] = value

    return store


class MockEngine:
    """Runs programs against a :class:`ProviderHost` with state kept in ``state_path``.

    ``host`` may be swapped between runs (a test that kills the host mid-run starts a
    new one, as a new ``pulumi up`` starts a new host).
    """

    def __init__(
        self,
        host: ProviderHost,
        state_path: Path,
        *,
        project: str = "project",
        stack: str = "stack",
        config: Mapping[str, str] | None = None,
    ) -> None:
        """Use ``host`` (configured here with ``config``) and the state in ``state_path``;
        the state file is rewritten whole after every step, as the engine checkpoints."""
        self.host = host
        self.state_path = Path(state_path)
        self.project = project
        self.stack = stack
        self.config = dict(config or {})
        self.delete_before_replace: set[str] = set()
        # Resource names targeted for replacement by the current up (--replace).
        self.replace: set[str] = set()
        self._lock = threading.Lock()
        # Failures of the current run's operations, in the order seen.
        self._errors: list[BaseException] = []
        self._configured: ProviderHost | None = None
        # Replaced objects not deleted yet (create-before-delete), kept in the state file
        # as the engine keeps them ("delete: true"), so a run that dies cannot lose them.
        self._pending: list[tuple[str, Props]] = self._load()[1]

    # --- state -----------------------------------------------------------------------

    def state(self) -> dict[str, Props]:
        """The resources in state, by URN, in creation order."""
        return self._load()[0]

    def pending_deletes(self) -> list[tuple[str, Props]]:
        """Replaced objects still waiting for their delete, as (URN, state)."""
        return self._load()[1]

    def _load(self) -> tuple[dict[str, Props], list[tuple[str, Props]]]:
        if not self.state_path.exists():
            return {}, []
        data = json.loads(self.state_path.read_text())
        pending = [(entry["urn"], entry["state"]) for entry in data.get("pending_deletes", [])]
        return data["resources"], pending

    def _save(self, resources: Mapping[str, Props]) -> None:
        """Checkpoint after a step (under the lock, or with no other thread running)."""
        document = {
            "resources": dict(resources),
            "pending_deletes": [{"urn": urn, "state": old} for urn, old in self._pending],
        }
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=1, sort_keys=False))
        tmp.replace(self.state_path)

    def _delete_pending(self, resources: Mapping[str, Props], result: RunResult) -> None:
        while self._pending:
            urn, old = self._pending[0]
            self.host.delete(old["id"], urn, old["outputs"], old_inputs=old["inputs"])
            with self._lock:
                self._pending.pop(0)
                self._save(resources)
            result.steps.append(Step("delete", urn, old["id"]))

    def _ensure_configured(self) -> None:
        # Configure once per host process, as the engine does when it loads a plugin.
        if self._configured is not self.host:
            self.host.configure(self.config)
            self._configured = self.host

    # --- operations ------------------------------------------------------------------

    def preview(self, program: Callable[[], None]) -> RunResult:
        """Plan without changing anything."""
        return self._run(program, preview=True)

    def up(self, program: Callable[[], None], *, replace: Iterable[str] = ()) -> RunResult:
        """Apply the program; ``replace`` names resources to replace (``--replace``)."""
        self.replace = set(replace)
        try:
            return self._run(program, preview=False)
        finally:
            self.replace = set()

    def refresh(self) -> RunResult:
        """Read every resource in state; drop those that are gone."""
        return self._refresh()

    def destroy(self) -> RunResult:
        """Delete everything in state, newest first."""
        return self._destroy()

    def _refresh(self) -> RunResult:
        self._ensure_configured()
        result = RunResult()
        resources = self.state()
        for urn, res in list(resources.items()):
            if not res["type"].startswith(_DYNAMIC):
                continue
            read = self.host.read(res["id"], urn, res["outputs"], inputs=res["inputs"])
            if not read.id:
                del resources[urn]
                result.steps.append(Step("refresh-delete", urn, res["id"]))
            else:
                res["outputs"] = read.outputs
                if read.inputs is not None:
                    res["inputs"] = read.inputs
                result.steps.append(Step("read", urn, read.id))
            self._save(resources)
        return result

    def _destroy(self) -> RunResult:
        self._ensure_configured()
        result = RunResult()
        resources = self.state()
        self._delete_pending(resources, result)
        for urn in reversed(list(resources)):
            res = resources[urn]
            if res["type"].startswith(_DYNAMIC):
                self.host.delete(res["id"], urn, res["outputs"], old_inputs=res["inputs"])
            del resources[urn]
            self._save(resources)
            result.steps.append(Step("delete", urn, res["id"]))
        return result

    # --- one program run -------------------------------------------------------------

    def _run(self, program: Callable[[], None], *, preview: bool) -> RunResult:
        self._ensure_configured()
        result = RunResult()
        resources, self._pending = self._load()
        if not preview:
            # The engine deletes what an earlier run left pending before any other step.
            self._delete_pending(resources, result)
        registered: set[str] = set()
        engine = self

        class _Mocks(mocks.Mocks):
            def new_resource(
                self, args: mocks.MockResourceArgs
            ) -> tuple[str | None, dict[Any, Any]]:
                urn = f"urn:pulumi:{engine.stack}::{engine.project}::{args.typ}::{args.name}"
                with engine._lock:
                    registered.add(urn)
                if not args.typ.startswith(_DYNAMIC):
                    return f"{args.name}-id", dict(args.inputs)
                news = _for_wire(args.inputs)
                try:
                    step, id_, outputs = engine._register(
                        urn, args.typ, args.name, news, resources, preview
                    )
                except BaseException as exc:
                    with engine._lock:
                        engine._errors.append(exc)
                    raise
                with engine._lock:
                    result.steps.append(Step(step, urn, id_))
                # In a preview an id not known yet is "", which the SDK reads as unknown.
                return id_, outputs

            def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], None]:
                return {}, None

        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(_Mocks(), project=self.project, stack=self.stack, preview=preview)
        exports: dict[str, Any] = {}

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def body() -> Any:
            program()
            root = pulumi.runtime.get_root_resource()
            outputs: Mapping[str, Any] = getattr(root, "outputs", None) or {}
            waits = []
            for key, value in outputs.items():
                exports[key] = rpc.UNKNOWN
                waits.append(pulumi.Output.from_input(value).apply(_setter(exports, key)))
            return pulumi.Output.all(*waits)

        self._errors = []
        # The SDK sends registrations to the loop's default executor and gives up on them
        # at the first failure. The engine instead lets steps under way finish and starts
        # no new one: the executor drained here (queue cancelled, the rest awaited) does so.
        use_engine_executor()
        try:
            body()
        except BaseException:
            _EXECUTOR.drain()
            if len(self._errors) > 1:
                raise RunFailedError(list(self._errors)) from None
            raise
        _EXECUTOR.drain()
        result.exports = exports
        if not preview:
            # Create-before-delete: the objects this run replaced go last, then what the
            # program no longer declares, newest first.
            self._delete_pending(resources, result)
            for urn in reversed(list(resources)):
                if urn in registered:
                    continue
                old = resources[urn]
                if old["type"].startswith(_DYNAMIC):
                    self.host.delete(old["id"], urn, old["outputs"], old_inputs=old["inputs"])
                with self._lock:
                    del resources[urn]
                    self._save(resources)
                result.steps.append(Step("delete", urn, old["id"]))
        return result

    def _register(
        self,
        urn: str,
        type_: str,
        name: str,
        news: Props,
        resources: dict[str, Props],
        preview: bool,
    ) -> tuple[str, str, Props]:
        with self._lock:
            old = resources.get(urn)
        targeted = old is not None and name in self.replace
        # A targeted replace ignores the old state: Check with no olds, and no Diff.
        inputs = self._check(urn, old["inputs"] if old and not targeted else {}, news)
        if old is None:
            if preview:
                return "create", "", inputs
            id_, outputs = self.host.create(urn, inputs)
            self._record(resources, urn, type_, id_, inputs, outputs)
            return "create", id_, outputs
        if targeted:
            diff = DiffOutcome("some", ["id"], False)
        else:
            diff = self.host.diff(old["id"], urn, old["outputs"], inputs, old_inputs=old["inputs"])
        if not diff.has_changes:
            if not preview:
                self._record(resources, urn, type_, old["id"], inputs, old["outputs"])
            return "same", old["id"], old["outputs"]
        if not diff.replaces:
            if preview:
                return "update", old["id"], {**old["outputs"], **inputs}
            outputs = self.host.update(
                old["id"], urn, old["outputs"], inputs, old_inputs=old["inputs"]
            )
            self._record(resources, urn, type_, old["id"], inputs, outputs)
            return "update", old["id"], outputs
        if not targeted:
            # The engine recomputes the inputs before replacing: Check again, no olds.
            inputs = self._check(urn, {}, news)
        if preview:
            return "replace", "", inputs
        if diff.delete_before_replace or name in self.delete_before_replace:
            self.host.delete(old["id"], urn, old["outputs"], old_inputs=old["inputs"])
            with self._lock:
                del resources[urn]
                self._save(resources)
        else:
            with self._lock:
                self._pending.append((urn, old))
                self._save(resources)
        id_, outputs = self.host.create(urn, inputs)
        self._record(resources, urn, type_, id_, inputs, outputs)
        return "replace", id_, outputs

    def _check(self, urn: str, olds: Props, news: Props) -> Props:
        checked = self.host.check(urn, olds, news)
        if checked.failures:
            raise CheckFailedError(
                f"{urn}: check failed: "
                + "; ".join(f"{prop}: {reason}" for prop, reason in checked.failures)
            )
        return checked.inputs

    def _record(
        self,
        resources: dict[str, Props],
        urn: str,
        type_: str,
        id_: str,
        inputs: Props,
        outputs: Props,
    ) -> None:
        with self._lock:
            resources[urn] = {"type": type_, "id": id_, "inputs": inputs, "outputs": outputs}
            self._save(resources)
