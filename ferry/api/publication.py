"""Publishing an approved release to the public API, and reading what is published.

A release's output is sealed (only analysts open it), so the public API could not serve it without a staff key.
Publishing is an analyst's act: the output is read through the release door (`release_serve`: approved, checked
against its hash, audited) and copied, in clear, into a `PublishedRelease`. That is honest: it was approved for
outsiders. The public API then serves it only while the release itself stays approved (a withdrawal stops it
at once, the copy notwithstanding) and only if the copy still matches the hash the release was approved with."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Staff
from ferry.advocacy.models import Release
from ferry.advocacy.releases import ANALYSTS, ReleaseError, release_serve
from ferry.api.models import PublishedRelease
from ferry.audit.services import audit_record
from ferry.core.conflicts import first_write
from ferry.core.errors import NotFound
from ferry.core.permissions import require
from ferry.vault.keyring import KeyRing


def release_publish(*, ring: KeyRing | None, staff: Staff, reference: str) -> PublishedRelease:
    """Copy an approved release's output to the public API."""
    require(staff, *ANALYSTS)
    served = release_serve(ring=ring, staff=staff, reference=reference)
    release = served.release
    if release.state != Release.State.APPROVED:
        raise ReleaseError(_("Only an approved release can be published."))
    with transaction.atomic(), first_write(_("This release is published already.")):
        published = PublishedRelease.objects.create(
            release=release,
            reference=release.reference,
            kind=release.kind,
            format=release.format,
            language=release.language,
            sha256=release.sha256,
            size=len(served.content),
            content=served.content,
            published_by=staff,
            published_at=timezone.now(),
        )
        audit_record(action="api.release.publish", actor_id=staff.pk, object_type="release", object_id=release.pk.hex)
    return published


def published_live() -> QuerySet[PublishedRelease]:
    """What the public may see: published, and the release still approved (never withdrawn)."""
    return PublishedRelease.objects.filter(
        release__state=Release.State.APPROVED, release__withdrawn_at__isnull=True
    ).select_related("release")


def published_get(reference: str) -> PublishedRelease:
    """One live published release whose content still matches the approved hash; NotFound otherwise."""
    found = published_live().filter(reference=(reference or "").strip().upper()[:7]).first()
    missing = NotFound(_("There is no published release with this reference."))
    if found is None:
        raise missing
    if found.sha256 != found.release.sha256:
        raise missing
    if hashlib.sha256(bytes(found.content)).hexdigest() != found.sha256:
        raise missing
    return found
