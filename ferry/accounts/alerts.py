"""Staff alerts (duress, lockouts, new requests and messages): raising, listing and acknowledging them."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from ferry.accounts.models import Staff, StaffAlert
from ferry.audit.services import audit_record


def alerts_open(*, recipient: Staff) -> list[StaffAlert]:
    return list(
        StaffAlert.objects.filter(recipient=recipient, acknowledged_at__isnull=True)
        .select_related("about_staff")
        .order_by("-created_at")
    )


def alert_acknowledge(*, recipient: Staff, alert_id: int) -> None:
    updated = StaffAlert.objects.filter(pk=alert_id, recipient=recipient, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    if updated:
        audit_record(action="alert.acknowledge", actor_id=recipient.pk, object_type="staff_alert", object_id=alert_id)


# Kinds that pile up under a flood: one unacknowledged alert per recipient (and reference) is enough.
_COALESCED = {StaffAlert.Kind.NEW_REQUEST, StaffAlert.Kind.NEW_MESSAGE}
# Alerts caused by what a person did on the intake carry the day only, like the rest of their traces.
_DAY_ONLY = {StaffAlert.Kind.NEW_REQUEST, StaffAlert.Kind.NEW_MESSAGE}


def activity_alert(*, kind: str, recipient_ids: Iterable[int], reference: str = "") -> None:
    """Raise an in-app alert for each recipient; the worker's sweep e-mails them "new activity" (no content).

    Safe inside an anonymous request: nothing is sent from it, and nothing here holds personal data."""
    ids = set(recipient_ids)
    if kind in _COALESCED:
        ids -= set(
            StaffAlert.objects.filter(
                kind=kind, reference=reference, recipient_id__in=ids, acknowledged_at__isnull=True
            ).values_list("recipient_id", flat=True)
        )
    if not ids:
        return
    now = timezone.now()
    if kind in _DAY_ONLY:
        now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    StaffAlert.objects.bulk_create(
        [
            StaffAlert(kind=kind, recipient_id=pk, reference=reference, created_at=now, emailed=False)
            for pk in sorted(ids)
        ]
    )
