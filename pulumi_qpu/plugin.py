"""``pulumi-resource-qpu``: the native provider plugin, on the dynamic provider's core.

Every lifecycle call runs :class:`pulumi_qpu.provider.SessionProvider`, the very object
the dynamic provider host runs: check, diff, create, read, update and delete, the
identity rules, cost and budgets are one implementation behind two front doors. What
this module adds is the edge:

* it serves the gRPC ``ResourceProvider`` protocol on ``grpc.aio`` and runs each call in
  a thread of a large pool, so as many Creates wait for ``running`` at once as the
  engine sends (``--parallel``), where the dynamic host has 4 worker threads;
* property names: Pulumi's camelCase outside, the core's snake_case inside
  (:func:`pulumi_qpu.package_schema.camel`);
* identity: the resource's key for its derived deduplication ids is made from the URN
  the engine gives every call (``organization/<URN>``; pulumi_qpu/identity.py), so no
  program has to send it;
* lines: each call's progress lines are logged through the engine against the
  resource's URN, so they appear on the Session's row;
* the engine's end: the plugin exits when its engine is gone (a ``kill -9`` of
  ``pulumi``), as the dynamic host does (:mod:`pulumi_qpu.watchdog`);
* leftovers: at a destroy, the first Session's delete also ends the stack's leftover
  sessions (:func:`pulumi_qpu.sweeper.sweep`), what the dynamic provider's
  ``LeftoverSweeper`` resource does; docs/plugin.md says why here;
* config: ``qpu:secretKey`` (secret), ``qpu:projectId``, ``qpu:apiUrl``, ``qpu:profile``
  and ``qpu:maxCostPerSession``, from stack config or an explicit provider's inputs;
* the invokes of :mod:`pulumi_qpu.functions`, and the package schema
  (:mod:`pulumi_qpu.package_schema`) with the version.

It is built on ``pulumi.runtime.proto`` (the SDK's generated protocol) rather than
``pulumi.provider.experimental``: that layer is marked experimental and, in SDK 3.272.0,
sends DiffConfig's answer in the wrong enum, reads ``inputDiff`` where the attribute is
``input_diff`` and cannot send an unknown value back. The conversions here are those of
the SDK's dynamic provider host (``pulumi.dynamic.__main__``), so the core sees the same
values through both doors. Like that host, the plugin does not accept secrets: the engine
strips them before a call and marks secret again the outputs of secret inputs.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_qpu._version import __version__
from pulumi_qpu.errors import QpuError
from pulumi_qpu.functions import _looks_like_uuid
from pulumi_qpu.host import use_engine
from pulumi_qpu.identity import stack_key
from pulumi_qpu.package_schema import (
    FUNCTIONS,
    PACKAGE,
    SESSION_TYPE,
    camel,
    package_schema,
    snake,
)
from pulumi_qpu.provider import SessionProvider, lines_about
from pulumi_qpu.sweeper import sweep
from pulumi_qpu.watchdog import watch_engine

__all__ = ["MAX_CONCURRENT_CALLS", "QpuProviderServicer", "main", "resource_key_of"]

MAX_CONCURRENT_CALLS: Final = 512
"""Threads for lifecycle calls: more than any ``--parallel`` a stack uses in practice."""

_ORGANIZATION: Final = "organization"
"""The organization in every resource key: the engine does not tell a plugin the stack's
organization (it tells the program, which the dynamic provider's keys use): the local
backend's name for it. Two stacks alike in every name but the organization must not
share a project (docs/plugin.md)."""

# Keys of an explicit provider's inputs that are the engine's, not settings.
_ENGINE_CONFIG_KEYS: Final = frozenset({"version", "pluginDownloadURL"})

# Nested objects whose keys are translated too (all others are values: tags, parameters).
_NESTED: Final = frozenset({"booking_demand"})

T = TypeVar("T")


def resource_key_of(urn: str) -> str:
    """Return the identity key of the Session at ``urn``: ``organization/<URN>``.

    The URN names the stack, the project, the chain of parent types and the name: what
    tells resources apart in the engine, so what tells their sessions apart here.
    """
    return f"{_ORGANIZATION}/{urn}"


def _rename(props: Mapping[str, Any], name: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        inner = snake(key) if name is snake else key
        nested = inner in _NESTED and isinstance(value, Mapping)
        out[name(key)] = {name(k): v for k, v in value.items()} if nested else value
    return out


def _inside(props: Mapping[str, Any], urn: str) -> dict[str, Any]:
    """Return the engine's properties as the core reads them: snake_case, with the key."""
    inner = _rename(props, snake)
    if urn:
        inner["resource_key"] = resource_key_of(urn)
    return inner


def _outside(props: Mapping[str, Any]) -> dict[str, Any]:
    """Return the core's properties as the engine stores them: camelCase, no reserved ids."""
    return {k: v for k, v in _rename(props, camel).items() if k not in ("id", "urn")}


async def _struct(props: Mapping[str, Any]) -> Any:
    return await rpc.serialize_properties(dict(props), {})


class QpuProviderServicer(provider_pb2_grpc.ResourceProviderServicer):
    """The ``ResourceProvider`` service of the plugin: one per plugin process."""

    def __init__(self, engine_address: str = "") -> None:
        self._provider = SessionProvider()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=MAX_CONCURRENT_CALLS, thread_name_prefix="qpu-call"
        )
        use_engine(engine_address)
        self._config: dict[str, str] = {}
        # Whether this run declared a Session (the engine checks each one the program
        # declares), and the stacks whose leftovers were swept: see Delete.
        self._checked = False
        self._swept: set[str] = set()
        self._sweep_lock = threading.Lock()

    async def _run(self, urn: str, call: Callable[..., T], *args: Any) -> T:
        """Run a core call in the pool, its lines logged against ``urn``."""

        def logged() -> T:
            with lines_about(urn):
                return call(*args)

        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(context.run, logged))

    async def _call(self, context: Any, urn: str, call: Callable[..., T], *args: Any) -> T:
        """Run a core call (:meth:`_run`); its failure is the engine's error for the call."""
        try:
            return await self._run(urn, call, *args)
        except Exception as exc:
            # A QpuError's text is written for users and holds no secret.
            text = str(exc) if isinstance(exc, QpuError) else f"{type(exc).__name__}: {exc}"
            await context.abort(grpc.StatusCode.UNKNOWN, text)
            raise  # abort raises; this line is for the type checker

    # --- plugin, schema and config ---------------------------------------------------

    async def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Return the plugin's version (the package's)."""
        return proto.PluginInfo(version=__version__)

    async def GetSchema(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Return the package schema, which carries the version."""
        return proto.GetSchemaResponse(schema=json.dumps(package_schema(__version__)))

    async def CheckConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Accept the provider's inputs as given (configure reports unknown keys)."""
        return proto.CheckResponse(inputs=request.news)

    async def DiffConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Update the provider in place when a setting changes; never replace it."""
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        # The engine's own keys (version) are no setting; the SDK's DIFF_* enum, not a bool.
        changed = sorted(
            key
            for key in set(olds) | set(news)
            if key not in _ENGINE_CONFIG_KEYS and olds.get(key) != news.get(key)
        )
        changes = proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE
        return proto.DiffResponse(changes=changes, diffs=changed)

    async def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Keep the ``qpu:*`` settings (stack config or explicit provider inputs)."""
        args = rpc.deserialize_properties(request.args)
        config: dict[str, Any] = {}
        for key, wrapped in args.items():
            value = rpc.unwrap_rpc_secret(wrapped)
            if key in _ENGINE_CONFIG_KEYS or value is None:
                continue
            config[f"{PACKAGE}:{key}"] = value if isinstance(value, str) else json.dumps(value)
        for key, value in request.variables.items():
            # Older engines: "qpu:config:secretKey" in variables only.
            short = f"{PACKAGE}:{key.rsplit(':', 1)[-1]}"
            config.setdefault(short, value)
        self._config = config
        self._provider.configure(ConfigureRequest(Config(raw_config=config, project_name="")))
        return proto.ConfigureResponse(
            acceptSecrets=False, supportsPreview=False, acceptResources=False
        )

    # --- the lifecycle -----------------------------------------------------------------

    async def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Validate and canonicalize a Session's inputs (the core's check)."""
        self._checked = True
        old_inputs = rpc.deserialize_properties(request.olds, True)
        # No olds (a create, or a replacement's check) must stay none: check tells by it.
        olds = _inside(old_inputs, request.urn) if old_inputs else {}
        news = _inside(rpc.deserialize_properties(request.news, True), request.urn)
        result = await self._call(context, request.urn, self._provider.check, olds, news)
        failures = [
            proto.CheckFailure(property=camel(f.property), reason=f.reason)
            for f in result.failures or []
        ]
        return proto.CheckResponse(
            inputs=await _struct(_outside(result.inputs or {})), failures=failures
        )

    async def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Plan an update in place, a replacement or nothing (the core's diff)."""
        # Both carry the key check made from the URN (an input, as in the dynamic provider).
        olds = _inside(rpc.deserialize_properties(request.olds, True), "")
        news = _inside(rpc.deserialize_properties(request.news, True), "")
        result = await self._call(context, request.urn, self._provider.diff, request.id, olds, news)
        if result.changes is None:
            changes = proto.DiffResponse.DIFF_UNKNOWN
        elif result.changes:
            changes = proto.DiffResponse.DIFF_SOME
        else:
            changes = proto.DiffResponse.DIFF_NONE
        return proto.DiffResponse(
            changes=changes,
            replaces=[camel(key) for key in result.replaces or []],
            deleteBeforeReplace=bool(result.delete_before_replace),
        )

    async def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Create (or adopt) the session and wait as asked (the core's create)."""
        props = _inside(rpc.deserialize_properties(request.properties), "")
        result = await self._call(context, request.urn, self._provider.create, props)
        return proto.CreateResponse(
            id=result.id, properties=await _struct(_outside(result.outs or {}))
        )

    async def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Refresh from the live session (the core's read)."""
        props = _inside(rpc.deserialize_properties(request.properties), "")
        if not props:
            # An import (`pulumi import`, a `get`): the inputs are all there is.
            props = _inside(rpc.deserialize_properties(request.inputs), request.urn)
        result = await self._call(context, request.urn, self._provider.read, request.id, props)
        fields: dict[str, Any] = {
            "id": result.id,
            "properties": await _struct(_outside(result.outs or {})),
        }
        if result.inputs is not None:
            fields["inputs"] = await _struct(_outside(result.inputs))
        return proto.ReadResponse(**fields)

    async def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        """PATCH what changed in place (the core's update)."""
        olds = _inside(rpc.deserialize_properties(request.olds), "")
        news = _inside(rpc.deserialize_properties(request.news), "")
        result = await self._call(
            context, request.urn, self._provider.update, request.id, olds, news
        )
        return proto.UpdateResponse(properties=await _struct(_outside(result.outs or {})))

    async def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        """End the session (the core's delete); at a destroy, the stack's leftovers too."""
        props = _inside(rpc.deserialize_properties(request.properties), "")
        await self._call(context, request.urn, self._provider.delete, request.id, props)
        if not self._checked:
            await self._call(context, request.urn, self._sweep, request.urn)
        return empty_pb2.Empty()

    def _sweep(self, urn: str) -> None:
        """End the leftovers of ``urn``'s stack, once per run (:func:`sweep`).

        Only when the run declared no Session (no Check came): ``pulumi destroy``, or an
        ``up`` of a program whose Sessions are all gone, as the dynamic provider's
        sweeper is deleted. In an ``up`` that declares Sessions, their creates take their
        own leftovers back, and a sweep would race them.
        """
        key = stack_key(resource_key_of(urn))
        with self._sweep_lock:
            if key in self._swept:
                return
            sweep(self._provider, key)
            self._swept.add(key)

    async def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Nothing to cancel: each call ends by itself (its timeouts bound it)."""
        return empty_pb2.Empty()

    # --- invokes -----------------------------------------------------------------------

    async def Invoke(self, request: Any, context: Any) -> Any:  # noqa: N802
        """Run a lookup of :mod:`pulumi_qpu.functions` (getSession, listSessions, ...)."""
        args = {snake(k): v for k, v in rpc.deserialize_properties(request.args).items()}
        args = {k: v for k, v in args.items() if v is not None}
        try:
            result = await self._run("", self._invoke, request.tok, args)
        except QpuError as exc:
            failure = proto.CheckFailure(property="", reason=str(exc))
            return proto.InvokeResponse(failures=[failure])
        response = proto.InvokeResponse()
        getattr(response, "return").CopyFrom(await _struct(result))
        return response

    def _invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        client = self._provider.client()

        def dumped(model: Any) -> dict[str, Any]:
            data = model.model_dump(mode="json", exclude_none=True)
            return {camel(k): v for k, v in data.items()}

        if token == FUNCTIONS["getSession"]:
            return {"session": dumped(client.get_session(str(args["session_id"])))}
        if token == FUNCTIONS["listSessions"]:
            sessions = client.list_sessions(**args)
            return {"sessions": [dumped(s) for s in sessions]}
        if token == FUNCTIONS["getPlatform"]:
            platform_id = args.get("platform_id")
            if platform_id is not None and _looks_like_uuid(platform_id):
                return {"platform": dumped(client.get_platform(str(platform_id)))}
            return {"platform": dumped(client.find_platform(str(args.get("name", platform_id))))}
        if token == FUNCTIONS["listPlatforms"]:
            return {"platforms": [dumped(p) for p in client.list_platforms(**args)]}
        known = ", ".join(FUNCTIONS.values())
        raise QpuError(f"unknown function {token}; the functions are {known}")


async def _serve(engine_address: str) -> None:
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        QpuProviderServicer(engine_address), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    # The engine starts plugins in a process group of their own: a killed `pulumi`
    # would leave this one serving its creates (pulumi_qpu/watchdog.py).
    if engine_address:
        watch_engine(engine_address)
    # The engine reads the port from the first line of stdout.
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main(argv: list[str] | None = None) -> int:
    """``pulumi-resource-qpu <engine address>``: serve the provider until killed."""
    parser = argparse.ArgumentParser(
        prog=f"pulumi-resource-{PACKAGE}",
        description=f"Pulumi provider plugin for {SESSION_TYPE} (run by the Pulumi engine).",
    )
    parser.add_argument("engine", nargs="?", default="", help="the engine's gRPC address")
    parser.add_argument("--version", action="version", version=__version__)
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(known.engine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
