"""A session's whole life through ``scaleway-qaas-client``, unchanged: run in its own venv.

Not a test module: ``test_qaas_client.py`` runs this file with the Python of a virtualenv
that holds only ``scaleway-qaas-client`` (its pins clash with the ``scaleway`` SDK), as
``python qaas_client_lifecycle.py URL SECRET_KEY PROJECT_ID``. It imports nothing from
this project, prints one JSON object of what it observed on stdout, and exits 0; any
failure (the client crashing on a reply included) is a traceback and a non-zero exit.

Two layers of the client are driven:

* the generated API functions (``api.sessions.create_session.sync_detailed`` ...):
  every call, PATCH included, on every Python. They parse each reply strictly by the
  published contract, so they are the fidelity check.
* ``QaaSClient``, what qiskit-scaleway and the other plug-ins call: on Python >= 3.12
  only, because its error check uses ``HTTPStatus.is_client_error`` (added in 3.12) on
  every reply, so on 3.11 it fails on any server, the real one included.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

_NAME = "EMU-AER-16C-128M"
_POLL_SECONDS = 0.1
_WAIT_SECONDS = 15.0


def _package() -> str:
    """Where the generated client lives: it moved under ``v1alpha1`` after 0.1.11."""
    for base in ("scaleway_qaas_client.v1alpha1", "scaleway_qaas_client"):
        name = f"{base}.quantum_as_a_service_api_client"
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name
    raise SystemExit("scaleway_qaas_client is not installed")


def _call(package: str, module: str, **kwargs: Any) -> Any:
    """Call ``<package>.api.<module>.sync_detailed`` and return (status, parsed)."""
    response = importlib.import_module(f"{package}.api.{module}").sync_detailed(**kwargs)
    return int(response.status_code), response.parsed


def _wait(package: str, client: Any, session_id: str, status: str) -> Any:
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        _, session = _call(package, "sessions.get_session", client=client, session_id=session_id)
        if session.status.value == status or time.monotonic() > deadline:
            return session
        time.sleep(_POLL_SECONDS)


def generated_lifecycle(url: str, secret_key: str, project_id: str) -> dict[str, Any]:
    """List, get, create, get, list, patch, terminate, delete with the generated API."""
    package = _package()
    client_module = importlib.import_module(f"{package}.client")
    models = importlib.import_module(f"{package}.models")
    client = client_module.AuthenticatedClient(
        base_url=url, token=secret_key, prefix="", auth_header_name="X-Auth-Token"
    )
    seen: dict[str, Any] = {}
    _, platforms = _call(package, "platforms.list_platforms", client=client)
    seen["platform_count"] = platforms.total_count
    platform = next(p for p in platforms.platforms if p.name == _NAME)
    _, fetched = _call(package, "platforms.get_platform", client=client, platform_id=platform.id)
    seen["platform_name"] = fetched.name
    body = models.CreateSessionBody(
        project_id=project_id,
        platform_id=platform.id,
        name="qaas-client-generated",
        max_duration="3600s",
        max_idle_duration="600s",
        tags=["qaas-client"],
        deduplication_id="qaas-client-generated",
    )
    _, created = _call(package, "sessions.create_session", client=client, body=body)
    seen["created_status"] = created.status.value
    seen["running_status"] = _wait(package, client, created.id, "running").status.value
    _, listed = _call(
        package,
        "sessions.list_sessions",
        client=client,
        project_id=project_id,
        tags=["qaas-client"],
    )
    seen["listed_ids"] = [s.id for s in listed.sessions]
    seen["created_id"] = created.id
    patch = models.UpdateSessionBody(name="renamed", tags=["qaas-client", "patched"])
    _, patched = _call(
        package, "sessions.update_session", client=client, session_id=created.id, body=patch
    )
    seen["patched"] = [patched.name, patched.tags]
    _, terminated = _call(
        package,
        "sessions.terminate_session",
        client=client,
        session_id=created.id,
        body=models.TerminateSessionBody(),
    )
    seen["terminated_status"] = terminated.status.value
    seen["stopped_status"] = _wait(package, client, created.id, "stopped").status.value
    status, _ = _call(package, "sessions.delete_session", client=client, session_id=created.id)
    seen["delete_status"] = status
    status, _ = _call(package, "sessions.get_session", client=client, session_id=created.id)
    seen["get_after_delete_status"] = status
    return seen


def qaas_client_lifecycle(url: str, secret_key: str, project_id: str) -> dict[str, Any]:
    """The same life through ``QaaSClient`` (it has no PATCH)."""
    # Next to the generated package: under v1alpha1 after 0.1.11, at the top before.
    home = _package().removesuffix(".quantum_as_a_service_api_client")
    client = importlib.import_module(home).QaaSClient(
        project_id=project_id, secret_key=secret_key, url=url
    )
    seen: dict[str, Any] = {}
    platforms = client.list_platforms(name=_NAME)
    seen["platform_names"] = [p.name for p in platforms]
    seen["platform_name"] = client.get_platform(platforms[0].id).name
    created = client.create_session(
        platform_id=platforms[0].id, max_duration="1h", max_idle_duration="10m", name="qc"
    )
    seen["created_status"] = created.status.value
    seen["created_durations"] = [created.max_duration, created.max_idle_duration]
    deadline = time.monotonic() + _WAIT_SECONDS
    while client.get_session(created.id).status.value != "running":
        if time.monotonic() > deadline:
            break
        time.sleep(_POLL_SECONDS)
    seen["running_status"] = client.get_session(created.id).status.value
    seen["listed_ids"] = [s.id for s in client.list_sessions(platform_id=platforms[0].id)]
    seen["created_id"] = created.id
    seen["terminated_status"] = client.terminate_session(created.id).status.value
    client.delete_session(created.id)
    try:
        client.get_session(created.id)
    except Exception as error:  # the client raises a bare Exception("error 404: ...")
        seen["get_after_delete_error"] = str(error)[:40]
    return seen


def main() -> None:
    """Run both lifecycles against the API at ``argv[1]`` and print what was seen."""
    url, secret_key, project_id = sys.argv[1:4]
    from importlib.metadata import version

    seen: dict[str, Any] = {
        "python": list(sys.version_info[:2]),
        "client_version": version("scaleway-qaas-client"),
        "generated": generated_lifecycle(url, secret_key, project_id),
    }
    if sys.version_info >= (3, 12):
        seen["qaas_client"] = qaas_client_lifecycle(url, secret_key, project_id)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
