"""Typed errors raised by the vault; messages never carry plaintext or key material."""


class VaultError(Exception):
    """Base class for every error the vault raises."""


class DecryptionFailed(VaultError):
    """Wrong key, or tampered ciphertext or associated data."""


class BadFormat(VaultError):
    """A blob or stored parameter set is malformed: unknown version, truncated..."""


class WrongSecret(VaultError):
    """A passphrase- or code-derived key failed to unwrap (raised by callers)."""


class NotEnoughShares(VaultError):
    """Too few Shamir shares were given to attempt recovery."""


class BadShare(VaultError):
    """A Shamir share is malformed, duplicated, or fails its checksum."""


class Busy(VaultError):
    """The key-derivation lane is full; the caller should answer "try again shortly" instead of queueing."""


class StoredNameTaken(VaultError):
    """Storage already holds an object under a new file's name; nothing was replaced."""
