"""Session unlock: the staff private key re-wrapped under a random key that only the client holds."""

from __future__ import annotations

import base64
import binascii

from ferry.vault import crypto
from ferry.vault.errors import BadFormat, DecryptionFailed, VaultError


class VaultLocked(VaultError):
    """The request carries no usable unlock key (cookie missing, wrong, or the session was ended)."""


def session_wrap(*, private_key: bytes, session_id: str, kind: str = "staff_session") -> tuple[str, bytes]:
    """Returns (client key for the cookie or token, wrapped private key for the server to keep)."""
    client_key = crypto.random_key()
    wrapped = crypto.seal(client_key, private_key, (kind, session_id, "private_key"))
    return base64.urlsafe_b64encode(client_key).decode("ascii").rstrip("="), wrapped


def session_unwrap(
    *, client_key: str, wrapped: bytes, session_id: str, kind: str = "staff_session"
) -> tuple[bytes, bytes]:
    """Returns (private key, session key bytes); VaultLocked if the client key is missing, malformed or wrong."""
    try:
        key = base64.urlsafe_b64decode(client_key + "=" * (-len(client_key) % 4))
    except (binascii.Error, ValueError):
        raise VaultLocked("unlock key malformed") from None
    if len(key) != crypto.KEY_BYTES:
        raise VaultLocked("unlock key malformed")
    try:
        return crypto.unseal(key, bytes(wrapped), (kind, session_id, "private_key")), key
    except (DecryptionFailed, BadFormat):
        raise VaultLocked("unlock key does not open this session") from None
