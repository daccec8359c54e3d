"""GET /sessions: filters, paging and every order_by."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator.helpers import create, platform_id
from tests.support.emulator import RunningEmulator


def _list(client: httpx.Client, project: str, **params: Any) -> dict[str, Any]:
    response = client.get("/sessions", params={"project_id": project, **params})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _names(reply: dict[str, Any]) -> list[str]:
    return [s["name"] for s in reply["sessions"]]


def test_default_page_is_20_with_the_total_count(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    for index in range(25):
        create(client, emulator.project_id, name=f"s{index:02}")
    reply = _list(client, emulator.project_id)
    assert reply["total_count"] == 25
    assert _names(reply) == [f"s{index:02}" for index in range(20)]


def test_pages_cover_every_session_once(client: httpx.Client, emulator: RunningEmulator) -> None:
    for index in range(7):
        create(client, emulator.project_id, name=f"s{index}")
    pages = [_names(_list(client, emulator.project_id, page=p, page_size=3)) for p in (1, 2, 3)]
    assert pages == [["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6"]]


def test_page_past_the_end_is_200_and_empty(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    create(client, emulator.project_id)
    assert _list(client, emulator.project_id, page=5) == {"total_count": 1, "sessions": []}


def test_page_and_page_size_zero_mean_the_defaults(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    create(client, emulator.project_id)
    assert _list(client, emulator.project_id, page=0, page_size=0)["sessions"]


def test_page_size_100_is_the_maximum_accepted(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    assert _list(client, emulator.project_id, page_size=100)["total_count"] == 0


def test_tags_filter_keeps_sessions_with_every_given_tag(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    create(client, emulator.project_id, name="ab", tags=["a", "b"])
    create(client, emulator.project_id, name="a", tags=["a"])
    create(client, emulator.project_id, name="none")
    assert _names(_list(client, emulator.project_id, tags=["a"])) == ["a", "ab"]
    assert _names(_list(client, emulator.project_id, tags=["a", "b"])) == ["ab"]
    assert _names(_list(client, emulator.project_id, tags=["c"])) == []


def test_platform_filter_keeps_that_platforms_sessions(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    h100 = platform_id("EMU-AER-H100")
    create(client, emulator.project_id, h100, name="gpu")
    create(client, emulator.project_id, name="cpu")
    assert _names(_list(client, emulator.project_id, platform_id=h100)) == ["gpu"]


def test_unknown_platform_filter_gives_an_empty_list(
    client: httpx.Client, emulator: RunningEmulator
) -> None:
    create(client, emulator.project_id)
    reply = _list(client, emulator.project_id, platform_id="00000000-0000-0000-0000-000000000000")
    assert reply == {"total_count": 0, "sessions": []}


def _three_sessions(client: httpx.Client, emulator: RunningEmulator) -> None:
    """b: stopped (started first); c: running (started second); a: starting (never started)."""
    emulator.configure(start_delay=10, stop_delay=0)
    b = create(client, emulator.project_id, name="b")
    emulator.advance(5)
    create(client, emulator.project_id, name="c")
    emulator.advance(6)  # b runs
    client.post(f"/sessions/{b['id']}/terminate", json={})
    emulator.advance(5)  # c runs
    create(client, emulator.project_id, name="a")


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, ["a", "b", "c"]),
        ("name_asc", ["a", "b", "c"]),
        ("name_desc", ["c", "b", "a"]),
        ("created_at_asc", ["b", "c", "a"]),
        ("created_at_desc", ["a", "c", "b"]),
        # NULL started_at last ascending, first descending (as PostgreSQL sorts).
        ("started_at_asc", ["b", "c", "a"]),
        ("started_at_desc", ["a", "c", "b"]),
        # Enum order of the contract: running < stopped < starting.
        ("status_asc", ["c", "b", "a"]),
        ("status_desc", ["a", "b", "c"]),
    ],
)
def test_every_order_by(
    client: httpx.Client, emulator: RunningEmulator, order_by: str | None, expected: list[str]
) -> None:
    _three_sessions(client, emulator)
    params = {"order_by": order_by} if order_by else {}
    assert _names(_list(client, emulator.project_id, **params)) == expected


def test_list_shows_settled_statuses(client: httpx.Client, emulator: RunningEmulator) -> None:
    create(client, emulator.project_id)
    emulator.advance(60)
    assert _list(client, emulator.project_id)["sessions"][0]["status"] == "running"


@pytest.mark.parametrize("path", ["/platforms", "/sessions"])
def test_a_page_beyond_the_contracts_int32_is_invalid_and_its_maximum_is_empty(
    client: httpx.Client, emulator: RunningEmulator, path: str
) -> None:
    # The published contract types `page` as int32 (found by fuzzing with it).
    params = {"project_id": emulator.project_id}
    too_big = client.get(path, params={**params, "page": 2**31})
    assert too_big.status_code == 400
    assert too_big.json()["details"][0]["argument_name"] == "page"
    largest = client.get(path, params={**params, "page": 2**31 - 1})
    assert largest.status_code == 200
    assert largest.json()[path.lstrip("/")] == []
