"""Configuration resolution: precedence, profiles, file location, and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_qpu.config import (
    DEFAULT_API_URL,
    ResolvedConfig,
    config_file_path,
    resolve_config,
)
from pulumi_qpu.errors import InvalidConfigurationError, MissingConfigurationError

SECRET = {
    "argument": "aaaaaaaa-0000-0000-0000-00000000000a",
    "stack": "bbbbbbbb-0000-0000-0000-00000000000b",
    "env": "cccccccc-0000-0000-0000-00000000000c",
    "file": "dddddddd-0000-0000-0000-00000000000d",
}
PROJECT = {
    "argument": "11111111-0000-0000-0000-000000000001",
    "stack": "22222222-0000-0000-0000-000000000002",
    "env": "33333333-0000-0000-0000-000000000003",
    "file": "44444444-0000-0000-0000-000000000004",
}
URL = {
    "argument": "http://argument.test",
    "stack": "http://stack.test",
    "env": "http://env.test",
    "file": "http://file.test",
}
LAYERS = ["argument", "stack", "env", "file"]
# field -> (values per layer, argument name, stack key, env var, file key)
FIELDS: dict[str, tuple[dict[str, str], str, str, str, str]] = {
    "secret_key": (SECRET, "secret_key", "qpu:secretKey", "SCW_SECRET_KEY", "secret_key"),
    "project_id": (
        PROJECT,
        "project_id",
        "qpu:projectId",
        "SCW_DEFAULT_PROJECT_ID",
        "default_project_id",
    ),
    "api_url": (URL, "api_url", "qpu:apiUrl", "SCW_API_URL", "api_url"),
}
BASE_SECRET = "eeeeeeee-0000-0000-0000-00000000000e"


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def resolve_with_layers(
    tmp_path: Path, field: str, layers: list[str], **extra: Any
) -> ResolvedConfig:
    values, argument, stack_key, env_var, file_key = FIELDS[field]
    arguments: dict[str, Any] = {}
    stack: dict[str, str] = {}
    file_data: dict[str, Any] = {}
    env = {"SCW_CONFIG_PATH": str(tmp_path / "scw.yaml")}
    if field != "secret_key":
        env["SCW_SECRET_KEY"] = BASE_SECRET
    for layer in layers:
        if layer == "argument":
            arguments[argument] = values[layer]
        elif layer == "stack":
            stack[stack_key] = values[layer]
        elif layer == "env":
            env[env_var] = values[layer]
        else:
            file_data[file_key] = values[layer]
    write_config(tmp_path / "scw.yaml", file_data)
    return resolve_config(stack_config=stack, environ=env, **arguments, **extra)


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("winner", LAYERS)
def test_highest_layer_that_sets_a_field_wins(tmp_path: Path, field: str, winner: str) -> None:
    layers = LAYERS[LAYERS.index(winner) :]  # the winner and every layer below it
    resolved = resolve_with_layers(tmp_path, field, layers)
    assert getattr(resolved, field) == FIELDS[field][0][winner]


@pytest.mark.parametrize(
    ("winner", "source"),
    [
        ("argument", "argument project_id"),
        ("stack", "stack config qpu:projectId"),
        ("env", "environment variable SCW_DEFAULT_PROJECT_ID"),
        ("file", "key default_project_id"),
    ],
)
def test_sources_name_where_each_value_came_from(tmp_path: Path, winner: str, source: str) -> None:
    resolved = resolve_with_layers(tmp_path, "project_id", LAYERS[LAYERS.index(winner) :])
    assert source in resolved.sources["project_id"]


def test_empty_values_count_as_unset(tmp_path: Path) -> None:
    path = write_config(tmp_path / "scw.yaml", {"secret_key": SECRET["file"]})
    resolved = resolve_config(
        secret_key="",
        stack_config={"qpu:secretKey": "  "},
        environ={"SCW_SECRET_KEY": "", "SCW_CONFIG_PATH": str(path)},
    )
    assert resolved.secret_key == SECRET["file"]


def test_api_url_defaults_to_scaleway(tmp_path: Path) -> None:
    resolved = resolve_config(environ={"SCW_SECRET_KEY": BASE_SECRET, "HOME": str(tmp_path)})
    assert (resolved.api_url, resolved.sources["api_url"]) == (DEFAULT_API_URL, "default")


def test_stack_config_long_key_form_is_accepted(tmp_path: Path) -> None:
    resolved = resolve_config(
        stack_config={"qpu:config:secretKey": SECRET["stack"]}, environ={"HOME": str(tmp_path)}
    )
    assert resolved.secret_key == SECRET["stack"]


def test_file_alone_is_not_read_when_everything_is_set_above(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("secret_key: [unclosed", encoding="utf-8")
    resolved = resolve_config(
        secret_key=SECRET["argument"],
        project_id=PROJECT["argument"],
        api_url=URL["argument"],
        environ={"SCW_CONFIG_PATH": str(broken)},
    )
    assert resolved.secret_key == SECRET["argument"]


# --- profiles -----------------------------------------------------------------------

PROFILED = {
    "secret_key": SECRET["file"],
    "default_project_id": PROJECT["file"],
    "active_profile": "work",
    "profiles": {
        "work": {"secret_key": SECRET["env"]},
        "play": {"secret_key": SECRET["stack"], "default_project_id": PROJECT["stack"]},
    },
}


def resolve_profiled(tmp_path: Path, **kwargs: Any) -> ResolvedConfig:
    path = write_config(tmp_path / "scw.yaml", PROFILED)
    environ = {"SCW_CONFIG_PATH": str(path), **kwargs.pop("environ", {})}
    return resolve_config(environ=environ, **kwargs)


def test_active_profile_selects_a_named_profile(tmp_path: Path) -> None:
    resolved = resolve_profiled(tmp_path)
    assert (resolved.profile, resolved.secret_key) == ("work", SECRET["env"])


def test_named_profile_falls_back_to_top_level_keys(tmp_path: Path) -> None:
    resolved = resolve_profiled(tmp_path)
    assert resolved.project_id == PROJECT["file"]


def test_scw_profile_env_beats_active_profile(tmp_path: Path) -> None:
    resolved = resolve_profiled(tmp_path, environ={"SCW_PROFILE": "play"})
    assert (resolved.profile, resolved.project_id) == ("play", PROJECT["stack"])


def test_stack_profile_beats_scw_profile_env(tmp_path: Path) -> None:
    resolved = resolve_profiled(
        tmp_path, stack_config={"qpu:profile": "play"}, environ={"SCW_PROFILE": "work"}
    )
    assert resolved.profile == "play"


def test_explicit_profile_beats_stack_profile(tmp_path: Path) -> None:
    resolved = resolve_profiled(tmp_path, profile="work", stack_config={"qpu:profile": "play"})
    assert resolved.profile == "work"


def test_profile_named_default_uses_top_level_keys(tmp_path: Path) -> None:
    resolved = resolve_profiled(tmp_path, profile="default")
    assert resolved.secret_key == SECRET["file"]


def test_unknown_profile_is_rejected_with_known_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigurationError) as info:
        resolve_profiled(tmp_path, environ={"SCW_PROFILE": "prod"})
    assert info.value.field == "profile"
    assert "SCW_PROFILE" in info.value.source
    assert "play, work" in str(info.value)


# --- where the file is --------------------------------------------------------------


def test_config_path_prefers_scw_config_path() -> None:
    env = {"SCW_CONFIG_PATH": "/a/b.yaml", "XDG_CONFIG_HOME": "/x", "HOME": "/h"}
    assert config_file_path(env) == Path("/a/b.yaml")


def test_config_path_then_xdg_config_home() -> None:
    assert config_file_path({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/scw/config.yaml")


def test_config_path_then_home() -> None:
    assert config_file_path({"HOME": "/h"}) == Path("/h/.config/scw/config.yaml")


def test_file_under_xdg_config_home_is_read(tmp_path: Path) -> None:
    write_config(tmp_path / "scw" / "config.yaml", {"secret_key": SECRET["file"]})
    resolved = resolve_config(environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert resolved.secret_key == SECRET["file"]


# --- missing and malformed values ---------------------------------------------------


def test_missing_secret_key_lists_every_place_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(MissingConfigurationError) as info:
        resolve_config(environ={"SCW_CONFIG_PATH": str(missing)})
    looked = "\n".join(info.value.looked)
    for place in ("argument secret_key", "qpu:secretKey", "SCW_SECRET_KEY", str(missing)):
        assert place in looked
    assert "file not found" in looked


def test_missing_secret_key_says_how_to_set_it(tmp_path: Path) -> None:
    with pytest.raises(MissingConfigurationError) as info:
        resolve_config(environ={"HOME": str(tmp_path)})
    assert "export SCW_SECRET_KEY=" in str(info.value)


def test_missing_project_is_an_error_only_when_required(tmp_path: Path) -> None:
    environ = {"SCW_SECRET_KEY": BASE_SECRET, "HOME": str(tmp_path)}
    assert resolve_config(environ=environ).project_id is None
    with pytest.raises(MissingConfigurationError) as info:
        resolve_config(environ=environ, require_project=True)
    assert info.value.field == "project_id"


def test_project_id_that_is_not_a_uuid_names_field_and_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigurationError) as info:
        resolve_config(
            environ={
                "SCW_SECRET_KEY": BASE_SECRET,
                "SCW_DEFAULT_PROJECT_ID": "my-project",
                "HOME": str(tmp_path),
            }
        )
    assert (info.value.field, info.value.source) == (
        "project_id",
        "environment variable SCW_DEFAULT_PROJECT_ID",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.scaleway.com/qaas/v1alpha1",
        "api.scaleway.com",
        "ftp://api.scaleway.com",
        "https://user:pass@api.scaleway.com",
        "https://api.scaleway.com?x=1",
    ],
)
def test_malformed_api_url_is_rejected(tmp_path: Path, url: str) -> None:
    with pytest.raises(InvalidConfigurationError) as info:
        resolve_config(secret_key=BASE_SECRET, api_url=url, environ={"HOME": str(tmp_path)})
    assert (info.value.field, info.value.source) == ("api_url", "argument api_url")


def test_api_url_trailing_slash_is_dropped(tmp_path: Path) -> None:
    resolved = resolve_config(
        secret_key=BASE_SECRET, api_url="http://127.0.0.1:8080/", environ={"HOME": str(tmp_path)}
    )
    assert resolved.api_url == "http://127.0.0.1:8080"


def test_secret_key_with_spaces_is_rejected_without_quoting_it(tmp_path: Path) -> None:
    bad = "abc def-secret"
    with pytest.raises(InvalidConfigurationError) as info:
        resolve_config(secret_key=bad, environ={"HOME": str(tmp_path)})
    assert info.value.field == "secret_key"
    assert bad not in str(info.value)


def test_invalid_yaml_names_the_file_but_not_its_content(tmp_path: Path) -> None:
    path = tmp_path / "scw.yaml"
    path.write_text(f"secret_key: {SECRET['file']}\nprofiles: [x\n", encoding="utf-8")
    with pytest.raises(InvalidConfigurationError) as info:
        resolve_config(environ={"SCW_CONFIG_PATH": str(path)})
    assert str(path) in str(info.value)
    assert SECRET["file"] not in str(info.value)


def test_repr_hides_the_secret_key(tmp_path: Path) -> None:
    resolved = resolve_config(secret_key=SECRET["argument"], environ={"HOME": str(tmp_path)})
    assert SECRET["argument"] not in repr(resolved)
    assert "<hidden>" in repr(resolved)
