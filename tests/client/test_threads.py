"""One client shared by four threads (the Pulumi provider host's worker pool)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.client.conftest import ClientFactory, many_attempts
from tests.support.emulator import RunningEmulator


def test_one_client_serves_four_threads_under_faults_without_duplicates(
    make_client: ClientFactory, platform_id: str, emulator: RunningEmulator
) -> None:
    client = make_client(retry=many_attempts())
    emulator.set_faults(error_rate=0.1, reset_rate=0.1, drop_create_rate=0.2)

    def work(worker: int) -> list[str]:
        ids = []
        for index in range(5):
            session = client.create_session(
                platform_id=platform_id, deduplication_id=f"w{worker}-{index}"
            )
            ids.append(client.get_session(session.id).id)
        return ids

    with ThreadPoolExecutor(max_workers=4) as pool:
        returned = sorted(i for ids in pool.map(work, range(4)) for i in ids)
    assert returned == sorted(str(s["id"]) for s in emulator.sessions())
    assert len(returned) == 20
