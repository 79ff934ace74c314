"""A colleague's duress login, seen from the cases they are on: which those are, and acknowledging the alert
with a note sealed in their timelines (where whoever takes a case over reads why it changed hands)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ferry.accounts.alerts import duress_alerts_acknowledge, duress_alerts_open
from ferry.accounts.dashboard import CaseOfStaff
from ferry.accounts.models import Staff
from ferry.audit.services import audit_record
from ferry.cases.models import Assignment, Case, Event
from ferry.cases.services import CaseError, event_add
from ferry.core.errors import NotFound
from ferry.vault.keyring import KeyRing


def _open_cases(staff_id: int) -> list[Case]:
    return list(
        Case.objects.filter(assignments__staff_id=staff_id, closed_at__isnull=True, shredded_at__isnull=True)
        .select_related("key_set")
        .defer("identity", "contacts", "risk_reason", "card")
        .order_by("reference")
    )


def cases_of(*, ring: KeyRing | None, staff_id: int) -> list[CaseOfStaff]:
    """The open cases a colleague is assigned to: each reference, who else active is on it, and whether the
    viewer holds its key. Metadata only: nothing is decrypted."""
    cases = _open_cases(staff_id)
    keys = ring.keys_for(c.key_set for c in cases) if ring is not None else {}
    others: dict[object, list[str]] = {}
    for case_id, display, email in (
        Assignment.objects.filter(case__in=cases, staff__is_active=True)
        .exclude(staff_id=staff_id)
        .values_list("case_id", "staff__display_name", "staff__email")
    ):
        others.setdefault(case_id, []).append(display or email)
    return [
        CaseOfStaff(reference=c.reference, others=sorted(others.get(c.pk, [])), can_open=c.key_set_id in keys)
        for c in cases
    ]


def duress_acknowledge(*, ring: KeyRing, staff: Staff, about_id: int, note: str) -> int:
    """Acknowledge a colleague's duress-login alerts for everyone they went to, with a note sealed in the
    timeline of each of their open cases the acknowledger can open. Returns how many alerts."""
    if not duress_alerts_open(recipient=staff, about_id=about_id):
        raise NotFound(_("No such alert."))
    if not note.strip():
        raise CaseError(_("Write what was done: the next person on call needs to know."))
    about = Staff.objects.get(pk=about_id)
    cases = _open_cases(about_id)
    keys = ring.keys_for(c.key_set for c in cases)
    with transaction.atomic():
        events = []
        for case in cases:
            key = keys.get(case.key_set_id)
            if key is None:
                continue
            text = _("Duress login by %(name)s: their access to this case was destroyed") % {"name": about.name}
            events.append(
                event_add(case=case, key=key, kind=Event.Kind.ALERT, actor=staff, detail={"text": text, "note": note})
            )
            audit_record(action="case.duress_note", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
        done = duress_alerts_acknowledge(about_id=about_id, by=staff, note_event=events[0].pk if events else None)
        if not done:
            # Someone acknowledged them a moment ago: undo these notes rather than file them under nothing.
            raise CaseError(_("Someone else acknowledged these alerts a moment ago. Read their note."))
        audit_record(action="staff.duress_acknowledge", actor_id=staff.pk, object_type="staff", object_id=about_id)
    return done
