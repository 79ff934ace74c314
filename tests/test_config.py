"""Choosing the file storage from the environment: the data folder by default, a bucket on request, clear errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage, StorageHandler

from ferry import config
from ferry.vault.objectstore import NoAddress

ROOT = Path(__file__).resolve().parent.parent
S3_VARIABLES = [
    "FERRY_FILE_STORAGE",
    "FERRY_S3_BUCKET",
    "FERRY_S3_ENDPOINT_URL",
    "FERRY_S3_REGION",
    "FERRY_S3_ADDRESSING_STYLE",
    "FERRY_S3_ACCESS_KEY",
    "FERRY_S3_SECRET_KEY",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with none of the file-storage variables set."""
    for name in S3_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _create(entry: dict[str, Any]) -> Any:
    """The storage Django would build from this STORAGES entry."""
    return StorageHandler({"ferry_files": entry})["ferry_files"]


def test_by_default_files_go_to_the_data_folder(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = _create(config.file_storage(tmp_path))
    assert isinstance(store, FileSystemStorage)
    assert Path(store.location) == tmp_path / "files"


def test_s3_is_configured_from_ferry_variables_with_the_fixed_policy(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("FERRY_FILE_STORAGE", "S3")
    env.setenv("FERRY_S3_BUCKET", "ferry-files")
    env.setenv("FERRY_S3_ENDPOINT_URL", "https://objects.example.org")
    env.setenv("FERRY_S3_REGION", "eu-central-1")
    env.setenv("FERRY_S3_ADDRESSING_STYLE", "path")
    env.setenv("FERRY_S3_ACCESS_KEY", "access")
    env.setenv("FERRY_S3_SECRET_KEY", "secret")

    store = _create(config.file_storage(tmp_path))

    assert (store.bucket_name, store.endpoint_url, store.region_name) == (
        "ferry-files",
        "https://objects.example.org",
        "eu-central-1",
    )
    assert store.addressing_style == "path"
    assert (store.access_key, store.secret_key) == ("access", "secret")
    # Never replace an object, send no ACL (objects are as private as the bucket), hand out no link.
    assert store.file_overwrite is False
    assert store.default_acl is None
    assert store.querystring_auth is False
    assert store.custom_domain is None
    assert store.location == ""
    with pytest.raises(NoAddress):
        store.url("ab/cd.bin")


def test_without_ferry_credentials_s3_leaves_them_to_boto3(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("FERRY_FILE_STORAGE", "s3")
    env.setenv("FERRY_S3_BUCKET", "ferry-files")
    options = config.file_storage(tmp_path)["OPTIONS"]
    assert options == {"bucket_name": "ferry-files"}


def test_choosing_s3_contacts_nothing_until_a_file_is_stored(
    env: pytest.MonkeyPatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.setenv("FERRY_FILE_STORAGE", "s3")
    env.setenv("FERRY_S3_BUCKET", "ferry-files")
    env.setenv("FERRY_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    env.setenv("FERRY_S3_ACCESS_KEY", "access")
    env.setenv("FERRY_S3_SECRET_KEY", "secret")
    connections: list[Any] = []
    monkeypatch.setattr(socket.socket, "connect", lambda _sock, address: connections.append(address))
    _create(config.file_storage(tmp_path))
    assert connections == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FERRY_FILE_STORAGE": "ftp"}, "FERRY_FILE_STORAGE must be one of filesystem, s3 (got 'ftp')."),
        ({"FERRY_FILE_STORAGE": "s3"}, "FERRY_S3_BUCKET must name the bucket when FERRY_FILE_STORAGE=s3."),
        (
            {"FERRY_FILE_STORAGE": "s3", "FERRY_S3_BUCKET": "b", "FERRY_S3_ENDPOINT_URL": "objects.example.org"},
            "FERRY_S3_ENDPOINT_URL must be an http:// or https:// address with a host name.",
        ),
        (
            {"FERRY_FILE_STORAGE": "s3", "FERRY_S3_BUCKET": "b", "FERRY_S3_ADDRESSING_STYLE": "dns"},
            "FERRY_S3_ADDRESSING_STYLE must be one of auto, path, virtual (got 'dns').",
        ),
        (
            {"FERRY_FILE_STORAGE": "s3", "FERRY_S3_BUCKET": "b", "FERRY_S3_ACCESS_KEY": "access"},
            "FERRY_S3_ACCESS_KEY and FERRY_S3_SECRET_KEY must be set together (or neither).",
        ),
    ],
)
def test_a_wrong_storage_setting_is_one_clear_line(
    env: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(config.ConfigError) as raised:
        config.file_storage(tmp_path)
    assert str(raised.value) == message


def test_the_default_storage_loads_no_s3_client(tmp_path: Path) -> None:
    """A process with the filesystem default never imports boto3, so it cannot reach out to any bucket."""
    script = (
        "import sys, django; django.setup(); from ferry.vault import files; files.storage(); "
        "sys.exit('boto3 was imported' if 'boto3' in sys.modules else 0)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in S3_VARIABLES}
    environment |= {"DJANGO_SETTINGS_MODULE": "ferry.settings", "FERRY_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
