"""Signing the audit log's head with a key kept outside the database (a file in the data folder).

Whoever can write the database can delete entries and re-hash the rest into a chain that verifies; they
cannot sign its head again without this key. A head exported and kept elsewhere (paper, a second system)
catches even someone who also holds the key: the rewritten chain no longer contains it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import nacl.exceptions
import nacl.signing
from django.conf import settings

KEY_FILE = "audit_signing_key"
# The latest signed head, also kept beside the key: deleting head rows from the database does not remove it.
HEAD_FILE = "audit_head"


class SigningKeyMissing(RuntimeError):
    """Signed heads exist but the key file that signed them is gone (a restore without it, another folder)."""


def _key_path() -> Path:
    return Path(settings.DATA_DIR) / KEY_FILE


def head_path() -> Path:
    return Path(settings.DATA_DIR) / HEAD_FILE


def _key_write(path: Path, secret_hex: str) -> None:
    """Written whole to a file of its own, then linked into place: a reader never sees it half written, and of
    two processes making it at once, one wins and both use the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{KEY_FILE}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secret_hex)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        os.unlink(partial)


def _signing_key() -> nacl.signing.SigningKey:
    """The installation's head-signing key, made on first use (32 random bytes, readable by its owner only)."""
    path = _key_path()
    if not path.exists():
        _key_write(path, nacl.signing.SigningKey.generate().encode().hex())
    return nacl.signing.SigningKey(bytes.fromhex(path.read_text().strip()))


class SigningKeyMismatch(RuntimeError):
    """A signing key given to restore is not the one whose public half a backup recorded."""


def signing_key_install(secret_hex: str, *, expect_public: str) -> None:
    """Put back the signing key kept apart from backups (a restore on a new machine), after checking it is the
    one that signed the backup's heads; a data folder that already holds that key is left as it is."""
    try:
        key = nacl.signing.SigningKey(bytes.fromhex(secret_hex))
    except (ValueError, TypeError):
        raise SigningKeyMismatch("this is not an audit signing key") from None
    if key.verify_key.encode().hex() != expect_public:
        raise SigningKeyMismatch("this is not the key that signed the backup's audit heads")
    path = _key_path()
    if path.exists():
        if public_key() != expect_public:
            raise SigningKeyMismatch("the data folder already holds another audit signing key")
        return
    _key_write(path, secret_hex)


def _message(seq: int, digest: str) -> bytes:
    return f"ferry.audit.head.v1:{seq}:{digest}".encode("ascii")


def head_sign(*, seq: int, digest: str) -> tuple[str, str]:
    """(signature, public key), both hex, over the head (seq, entry hash)."""
    key = _signing_key()
    return key.sign(_message(seq, digest)).signature.hex(), key.verify_key.encode().hex()


def public_key() -> str:
    """The public half of the signing key; SigningKeyMissing when there is no key file (never made here:
    checking must not quietly replace the key that signed the heads on record)."""
    path = _key_path()
    if not path.exists():
        raise SigningKeyMissing("the audit signing key file is missing")
    return nacl.signing.SigningKey(bytes.fromhex(path.read_text().strip())).verify_key.encode().hex()


def head_keep(*, seq: int, digest: str, signature: str) -> None:
    """Keep the latest signed head in the data folder (replaced atomically): a copy outside the database."""
    path = head_path()
    fd, partial = tempfile.mkstemp(prefix=f".{HEAD_FILE}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{seq}:{digest}:{signature}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def head_kept() -> tuple[int, str, str] | None:
    """The signed head kept in the data folder, or None if there is none (or it is unreadable)."""
    path = head_path()
    if not path.exists():
        return None
    seq, _, rest = path.read_text().strip().partition(":")
    digest, _, signature = rest.partition(":")
    if not seq.isdigit() or len(digest) != 64 or not signature:
        return None
    return int(seq), digest, signature


def head_signature_valid(*, seq: int, digest: str, signature: str, public: str) -> bool:
    try:
        nacl.signing.VerifyKey(bytes.fromhex(public)).verify(_message(seq, digest), bytes.fromhex(signature))
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True
