"""Scale: 1,000 sessions listed across pages while the emulator injects faults.

A big program through the real engine: tests/e2e/test_faults_and_scale.py (200
Sessions); 2,000 Sessions constructed in one program under plain mocks:
tests/provider/test_programs.py::test_a_program_declares_two_thousand_sessions."""

from __future__ import annotations

import logging

import pytest

from pulumi_qpu.client import QaasClient
from tests.reliability.faults import FaultLedger
from tests.reliability.helpers import (
    Figures,
)
from tests.support.emulator import EmulatorFactory

PROGRAM_SIZE = 2000
LISTED = 1000
SEED = 6
PLATFORM_ID = "3cd822eb-ac66-53d6-91da-09695149edc2"  # EMU-AER-16C-128M, stable uuid5


@pytest.mark.parametrize("page_size", [100, 37])
@pytest.mark.timeout(90)
def test_listing_a_thousand_sessions_under_faults_misses_and_repeats_none(
    emulator_factory: EmulatorFactory, page_size: int, caplog: pytest.LogCaptureFixture
) -> None:
    # A dedicated seeded emulator: one client listing in sequence meets the same faults
    # on every run, so the figures are reproducible.
    qpu = emulator_factory(seed=SEED, log_level="info")
    made = []
    for index in range(LISTED):
        # Ten sessions share each name, so page boundaries fall inside runs of ties.
        reply = qpu.admin.post(
            "/qaas/v1alpha1/sessions",
            json={
                "project_id": qpu.project_id,
                "platform_id": PLATFORM_ID,
                "name": f"n{index % 100:03d}",
            },
        )
        made.append(reply.json()["id"])
    rates = {"error_rate": 0.2, "throttle_rate": 0.1, "reset_rate": 0.05}
    qpu.set_faults(**rates, retry_after=1)
    ledger = FaultLedger(qpu, seed=SEED)
    ledger.start(**rates)
    caplog.set_level(logging.INFO, logger="pulumi_qpu.retry")
    with QaasClient(
        secret_key=qpu.secret_key, api_url=qpu.url, default_project_id=qpu.project_id
    ) as client:
        listed = [session.id for session in client.list_sessions(page_size=page_size)]
    faults = ledger.step()
    retries = [r for r in caplog.records if r.name == "pulumi_qpu.retry"]
    Figures(f"listing_page_size_{page_size}").add(
        "list",
        sessions=LISTED,
        pages=-(-LISTED // page_size),
        **faults.as_dict(),
        retries_spent=len(retries),
        missed=len(set(made) - set(listed)),
        repeated=len(listed) - len(set(listed)),
    ).publish()
    assert len(listed) == LISTED
    assert set(listed) == set(made)
    assert faults.injected > 0
    assert len(retries) == faults.injected  # each fault cost one retry, none got through
