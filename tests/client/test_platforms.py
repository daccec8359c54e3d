"""Platform calls against the emulator: list with filters, get, find by name."""

from __future__ import annotations

import pytest

from pulumi_qpu.client import QaasClient
from pulumi_qpu.errors import InvalidInputError, NotFoundError, PlatformNotFoundError
from pulumi_qpu.models import PlatformType


def test_list_returns_the_whole_catalogue(client: QaasClient) -> None:
    names = {p.name for p in client.list_platforms(page_size=5)}
    assert {"EMU-AER-H100", "QPU-GARNET-20PQ"} <= names


def test_list_filters_by_provider(client: QaasClient) -> None:
    providers = {p.provider_name for p in client.list_platforms(provider_name="quandela")}
    assert providers == {"quandela"}


def test_list_filters_by_type(client: QaasClient) -> None:
    types = {p.type for p in client.list_platforms(platform_type=PlatformType.QPU)}
    assert types == {PlatformType.QPU}


def test_list_rejects_an_unknown_type(client: QaasClient) -> None:
    with pytest.raises(InvalidInputError):
        client.list_platforms(platform_type="quantum-annealer")


def test_get_returns_the_platform(client: QaasClient) -> None:
    found = client.find_platform("EMU-AER-H100")
    assert client.get_platform(found.id).name == "EMU-AER-H100"


def test_get_unknown_platform_is_not_found(client: QaasClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_platform("00000000-0000-0000-0000-000000000000")


def test_find_ignores_case_when_the_match_is_unique(client: QaasClient) -> None:
    assert client.find_platform("emu-aer-h100").name == "EMU-AER-H100"


def test_find_unknown_name_lists_the_closest_names(client: QaasClient) -> None:
    with pytest.raises(PlatformNotFoundError) as info:
        client.find_platform("EMU-AER-H10")
    assert info.value.closest_names[0] == "EMU-AER-H100"
    assert "EMU-AER-H100" in str(info.value)


def test_find_unknown_name_is_a_not_found_error(client: QaasClient) -> None:
    with pytest.raises(NotFoundError):
        client.find_platform("no such thing at all")
