"""Whole Pulumi programs declaring Sessions, under the SDK's plain mocks.

What the engine does with them (create, update, replace, refresh, destroy, interrupted
runs) is tested with the real Pulumi CLI in tests/e2e/.
"""

from __future__ import annotations

import pickle
from typing import Any

import pulumi
import pytest

from pulumi_qpu.resource import Session, _options


def test_a_given_deduplication_id_asks_for_delete_before_replace() -> None:
    assert _options(None, "team") is not None
    assert _options(None, "team").delete_before_replace is True  # type: ignore[union-attr]
    assert _options(None, None) is None
    mine = pulumi.ResourceOptions(delete_before_replace=False)
    assert _options(mine, "team") is mine


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[Any, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        return {}, None


def _chain_depth() -> int:
    method = pickle._Pickler.__dict__["_batch_setitems"]
    depth = 0
    while getattr(method, "__closure__", None):
        inner = [c.cell_contents for c in method.__closure__ if callable(c.cell_contents)]
        if not inner:
            break
        method, depth = inner[0], depth + 1
    return depth


@pytest.mark.timeout(300)
def test_a_program_declares_two_thousand_sessions() -> None:
    from pulumi.runtime import settings

    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_EchoMocks(), preview=False)
    ids: list[str] = []

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        sessions = [Session(f"s{i}", platform_id="p", name=f"n{i}") for i in range(2000)]
        return pulumi.Output.all(*[s.id for s in sessions]).apply(ids.extend)

    program()
    assert len(ids) == 2000
    assert _chain_depth() <= 1
