"""Urgent staff alerts (duress, lockouts): listing and acknowledging them."""

from __future__ import annotations

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
