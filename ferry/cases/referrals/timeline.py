"""What a referral's timeline entries say, composed when the case page is shown, in the viewer's language.

An entry keeps keys only (the referral's id, the status it moved to); text composed when it was written
would stay in the writer's language for every later reader. Entries written before keep an old "text",
which this replaces whenever their referral is still there."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from ferry.cases.models import Referral
from ferry.cases.referrals.services import country_name


def referral_text(referral: Referral, status: str) -> str:
    label = Referral.Status(status).label if status in Referral.Status.values else status
    return _("Referral to %(partner)s (%(country)s): %(status)s") % {
        "partner": referral.partner.name,
        "country": country_name(referral.destination_country) or "—",
        "status": label,
    }


def _id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=str(value))
    except ValueError:
        return None


def referral_texts(details: Iterable[dict[str, Any]]) -> None:
    """Put the text of each referral entry's detail (decrypted, of one case) in place, with one query."""
    entries = [(detail, _id(detail.get("referral", ""))) for detail in details]
    wanted = {found for _detail, found in entries if found is not None}
    referrals = {r.pk: r for r in Referral.objects.filter(pk__in=wanted).select_related("partner")} if wanted else {}
    for detail, found in entries:
        referral = referrals.get(found) if found is not None else None
        if referral is not None:
            detail["text"] = referral_text(referral, str(detail.get("status", "")))
