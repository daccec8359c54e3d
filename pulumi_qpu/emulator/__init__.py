"""A local emulator of the Scaleway QaaS v1alpha1 sessions and platforms API.

Run it with ``qpu-emulator`` (or ``python -m pulumi_qpu.emulator``); see
``docs/emulator.md``. Modules, from the wire up:

* ``app``: the ASGI app (Starlette requests/responses), routes, admin API;
* ``server``: uvicorn on a socket bound first (``--port 0``), the printed lines;
* ``connections``: aborting a TCP connection for the reset/drop faults;
* ``service``: what each endpoint does (:class:`Emulator`), auth, validation;
* ``lifecycle``: the session lifecycle, evaluated lazily on the emulated clock;
* ``store``: SQLite state; ``clock``: the emulated clock; ``faults``: fault injection;
* ``catalogue`` + ``platforms.json``: the platforms; ``problems``: error replies;
* ``assumptions``: every choice the real API leaves open, as named constants.

The emulator needs the ``emulator`` extra (FastAPI's stack: Starlette, uvicorn); this
package imports nothing of it until ``app`` or ``server`` is imported.
"""

from __future__ import annotations

from pulumi_qpu.emulator.catalogue import Catalogue, platform_id_for
from pulumi_qpu.emulator.faults import FaultSettings, ScriptedFault
from pulumi_qpu.emulator.service import Emulator, EmulatorOptions, Tenant

__all__ = [
    "Catalogue",
    "Emulator",
    "EmulatorOptions",
    "FaultSettings",
    "ScriptedFault",
    "Tenant",
    "platform_id_for",
]
