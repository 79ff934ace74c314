"""Fixtures shared by every test: fast key derivation on request, staff made through the real services."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.backends.sqlite3.base import DatabaseOperations

TEST_PASSPHRASE = "correct horse battery staple 42"
_audit_triggers = importlib.import_module("ferry.audit.migrations.0002_append_only")


@pytest.fixture(autouse=True, scope="session")
def _flushable_audit_log() -> Iterator[None]:
    """Django's flush (transactional and live-server tests) empties tables with DELETE on SQLite, which the
    append-only trigger refuses. Only here, the flush drops the triggers, empties, and puts them back."""
    original = DatabaseOperations.sql_flush

    def sql_flush(self: DatabaseOperations, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if "audit_auditentry" not in tables:
            return statements
        return [*_audit_triggers.SQLITE_DOWN, *statements, *_audit_triggers.SQLITE_UP]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def insecure_fast_kdf(settings: Any) -> None:
    """Argon2id at its minimum cost. Insecure: for tests only, so a test can create many keys quickly."""
    settings.FERRY_KDF_PROFILE = "insecure-fast-test"


@pytest.fixture
def make_staff(insecure_fast_kdf: None, db: None) -> Callable[..., Any]:
    """Create an active staff member through the same service as `manage.py createstaff`."""
    from ferry.accounts import services

    counter = iter(range(1, 10_000))

    def make(*roles: str, email: str | None = None, passphrase: str = TEST_PASSPHRASE) -> Any:
        n = next(counter)
        return services.staff_create_active(
            email=email or f"staff{n}@example.org", roles=list(roles) or ["caseworker"], passphrase=passphrase
        )

    return make


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for a real Ferry process (worker, launcher) that must use the test database."""
    import os

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    from django.conf import settings

    return {
        **os.environ,
        "DATABASE_URL": url,
        "FERRY_DATA_DIR": str(settings.DATA_DIR),
        "DJANGO_SETTINGS_MODULE": "ferry.settings",
        "FERRY_KDF_PROFILE": "insecure-fast-test",
        "FERRY_INSECURE_TEST_KDF": "1",
    }


@pytest.fixture(autouse=True)
def _code_windows_start_afresh() -> None:
    """Each test has fresh staff and devices, so one-time-code windows can start again from the present;
    otherwise the clock each login travels to drifts further ahead with every login in the run, until a
    session begun "later" outlives the real clock's checks."""
    from tests.accounts import helpers

    helpers._SLOT[0] = 0


@pytest.fixture
def crypto_work(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every costly cryptographic step, in order, with its parameters (never its secrets or salts).

    Timing properties are proven with this instead of a stopwatch: two branches that run the same key
    derivations with the same cost parameters take the same time on any machine, however loaded; the
    wall-clock comparison lives in bench/ (`make bench ONLY=timing`)."""
    from ferry.vault import crypto

    steps: list[tuple[object, ...]] = []
    derive, from_seed, tag = crypto.derive_key, crypto.keypair_from_seed, crypto.tag

    def derive_counted(secret: Any, params: Any, **kwargs: Any) -> bytes:
        steps.append(("derive_key", params.opslimit, params.memlimit, kwargs.get("lane", "default")))
        return derive(secret, params, **kwargs)

    def from_seed_counted(seed: bytes) -> tuple[bytes, bytes]:
        steps.append(("keypair_from_seed",))
        return from_seed(seed)

    def tag_counted(key: bytes, person: bytes, message: bytes = b"") -> bytes:
        steps.append(("tag", person))
        return tag(key, person, message)

    monkeypatch.setattr(crypto, "derive_key", derive_counted)
    monkeypatch.setattr(crypto, "keypair_from_seed", from_seed_counted)
    monkeypatch.setattr(crypto, "tag", tag_counted)
    return steps


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """moto's S3 server as a real process on 127.0.0.1, started on first use and stopped at the end of the run."""
    from tests.s3server import s3_server

    with s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as server:
        yield server


@pytest.fixture
def s3_files(s3_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sealed files go to a fresh bucket on the test S3 server, configured as an operator would (FERRY_* variables).
    Yields the bucket, to be read directly with boto3."""
    from ferry import config
    from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, Bucket

    bucket = Bucket(client=s3_server.client(), name=f"ferry-test-{uuid.uuid4().hex[:12]}")
    bucket.client.create_bucket(Bucket=bucket.name)
    for name, value in {
        "FERRY_FILE_STORAGE": "s3",
        "FERRY_S3_BUCKET": bucket.name,
        "FERRY_S3_ENDPOINT_URL": s3_server.endpoint,
        "FERRY_S3_REGION": REGION,
        "FERRY_S3_ADDRESSING_STYLE": "path",
        "FERRY_S3_ACCESS_KEY": ACCESS_KEY,
        "FERRY_S3_SECRET_KEY": SECRET_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "ferry_files": config.file_storage(settings.DATA_DIR)}
    yield bucket
    bucket.empty_and_delete()


@pytest.fixture(autouse=True)
def _no_signed_head_kept(settings: Any) -> Iterator[None]:
    """The data folder outlives each test's database: a signed head kept there by one test must not be
    compared with the next test's audit log."""
    from pathlib import Path

    from ferry.vault import anchor

    yield
    (Path(settings.DATA_DIR) / anchor.HEAD_FILE).unlink(missing_ok=True)
