"""S3-compatible object storage for sealed files (FERRY_FILE_STORAGE=s3): private objects, never a link to one."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from ferry.vault.errors import VaultError


class NoAddress(VaultError):
    """A stored file has no address to hand out, by design (not a missing feature)."""


class SealedObjectStorage(S3Storage):
    """django-storages' S3 backend with Ferry's fixed policy; the bucket and credentials come from settings."""

    # A stored name is a file key's id: never replace an object, so a clash fails instead of destroying a file.
    file_overwrite = False
    # No ACL header: objects stay as private as the bucket (and buckets with ACLs disabled accept the upload).
    default_acl = None
    querystring_auth = False
    custom_domain = None
    gzip = False
    object_parameters: dict[str, Any] = {}

    def url(self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        # Ferry serves every file itself, after the access check and decryption; a link would bypass both.
        raise NoAddress("Stored files have no address: Ferry serves them itself.")
