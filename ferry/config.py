"""Reading Ferry's configuration from the environment, with safe defaults and clear errors."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line meant for the operator."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default).strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (got {raw!r}).")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r}).") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value}).")
    return value


SAFE_KDF_PROFILES = ("interactive", "moderate", "sensitive")


def kdf_profile() -> str:
    """The Argon2id cost. The test-only profile needs FERRY_INSECURE_TEST_KDF=1 as well, so it never slips in."""
    name = env_str("FERRY_KDF_PROFILE", "moderate")
    if name in SAFE_KDF_PROFILES:
        return name
    if name == "insecure-fast-test" and env_bool("FERRY_INSECURE_TEST_KDF"):
        return name
    raise ConfigError(f"FERRY_KDF_PROFILE must be one of {', '.join(SAFE_KDF_PROFILES)} (got {name!r}).")


def data_dir() -> Path:
    """The folder holding the SQLite database, the secret key and encrypted files; created if missing."""
    path = Path(env_str("FERRY_DATA_DIR", str(BASE_DIR / "var"))).expanduser().resolve()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Data folder {path} cannot be created: {exc.strerror}.") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"Data folder {path} is not writable by this user.")
    return path


def secret_key(folder: Path) -> str:
    """The Django secret key, generated once into the data folder with mode 0600."""
    from_env = os.environ.get("FERRY_SECRET_KEY", "").strip()
    if from_env:
        return from_env
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 50:
            raise ConfigError(f"Secret key file {path} is damaged (too short).") from None
        return key
    except OSError as exc:
        raise ConfigError(f"Secret key file {path} cannot be written: {exc.strerror}.") from None
    key = secrets.token_urlsafe(64)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def database(folder: Path) -> dict[str, Any]:
    """Django's DATABASES['default'] from DATABASE_URL, or an SQLite file in the data folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        config: dict[str, Any] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / "ferry.sqlite3"),
        }
    else:
        scheme = urlsplit(url).scheme
        if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
            raise ConfigError(
                "DATABASE_URL is malformed: it must start with postgres:// or sqlite:/// "
                f"(got scheme {scheme or 'none'!r})."
            )
        try:
            config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        except ValueError as exc:
            raise ConfigError(f"DATABASE_URL is malformed: {exc}.") from None
        if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
            raise ConfigError("DATABASE_URL is malformed: it names no database.")
    if config["ENGINE"].endswith("sqlite3"):
        config["OPTIONS"] = {
            # Every transaction takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of one failing with "database is locked" when it upgrades.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;"
            ),
        }
        config.pop("CONN_HEALTH_CHECKS", None)
        # Reuse each thread's connection: opening one runs the PRAGMAs above every time.
        config["CONN_MAX_AGE"] = 300
    return config


FILE_STORAGES = ("filesystem", "s3")
S3_ADDRESSING_STYLES = ("auto", "path", "virtual")


def file_storage(folder: Path) -> dict[str, Any]:
    """Where sealed files go (Django's STORAGES entry): the data folder's files/, or an S3-compatible bucket.

    Nothing here reaches the network: the bucket is first contacted when a file is stored or read."""
    kind = env_str("FERRY_FILE_STORAGE", "filesystem").lower()
    if kind == "filesystem":
        location = str(folder / "files")
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    if kind != "s3":
        raise ConfigError(f"FERRY_FILE_STORAGE must be one of {', '.join(FILE_STORAGES)} (got {kind!r}).")
    bucket = env_str("FERRY_S3_BUCKET", "")
    if not bucket:
        raise ConfigError("FERRY_S3_BUCKET must name the bucket when FERRY_FILE_STORAGE=s3.")
    options: dict[str, Any] = {"bucket_name": bucket}
    endpoint = env_str("FERRY_S3_ENDPOINT_URL", "")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError("FERRY_S3_ENDPOINT_URL must be an http:// or https:// address with a host name.")
        options["endpoint_url"] = endpoint
    region = env_str("FERRY_S3_REGION", "")
    if region:
        options["region_name"] = region
    style = env_str("FERRY_S3_ADDRESSING_STYLE", "auto").lower()
    if style not in S3_ADDRESSING_STYLES:
        choices = ", ".join(S3_ADDRESSING_STYLES)
        raise ConfigError(f"FERRY_S3_ADDRESSING_STYLE must be one of {choices} (got {style!r}).")
    if style != "auto":
        options["addressing_style"] = style
    access_key = env_str("FERRY_S3_ACCESS_KEY", "")
    secret = env_str("FERRY_S3_SECRET_KEY", "")
    if bool(access_key) != bool(secret):
        raise ConfigError("FERRY_S3_ACCESS_KEY and FERRY_S3_SECRET_KEY must be set together (or neither).")
    if access_key:
        options["access_key"] = access_key
        options["secret_key"] = secret
    # Without them, boto3 finds credentials itself: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile...
    return {"BACKEND": "ferry.vault.objectstore.SealedObjectStorage", "OPTIONS": options}
