"""Which evidence supports a claim of a dossier, and which contradicts it (a sanctions submission must disclose
both): an analyst marks an evidence item of the act's own incident against an involvement of a registered
perpetrator. Both the incident and the item are opened through their doors; every mark is audited."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.advocacy.models import ClaimEvidence
from ferry.audit.services import audit_record
from ferry.core.errors import FerryError, NotFound
from ferry.core.permissions import require
from ferry.incidents.evidence import access_evidence
from ferry.incidents.models import Evidence, Involvement
from ferry.incidents.services import access_incident
from ferry.vault.keyring import KeyRing

ANALYSTS = (Role.ANALYST,)


class ClaimEvidenceError(FerryError):
    """A mark that cannot be made; the message is for the person."""


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _opened(
    *, ring: KeyRing | None, staff: Staff, involvement_id: object, evidence_reference: str
) -> tuple[Involvement, Evidence]:
    """The involvement (of a registered entity, in an incident this analyst holds) and the evidence item (one
    they hold, of the same incident). A missing or forbidden involvement answers alike."""
    missing = _("No such claim.")
    found = _uuid(involvement_id)
    involvement = (
        Involvement.objects.select_related("act__incident").filter(pk=found, perpetrator__isnull=False).first()
        if found
        else None
    )
    if involvement is None:
        raise NotFound(missing)
    try:
        access_incident(ring=ring, staff=staff, reference=involvement.act.incident.reference)
    except NotFound:
        raise NotFound(missing) from None
    evidence, _key = access_evidence(ring=ring, staff=staff, reference=evidence_reference)
    if evidence.incident_id != involvement.act.incident_id:
        raise ClaimEvidenceError(_("Choose evidence of the incident this claim is about."))
    return involvement, evidence


def claim_evidence_set(
    *, ring: KeyRing | None, staff: Staff, involvement_id: object, evidence_reference: str, stance: str
) -> ClaimEvidence:
    """Mark an evidence item as supporting or contradicting a perpetrator's part in an act (a second mark of the
    same item replaces the first)."""
    require(staff, *ANALYSTS)
    if stance not in ClaimEvidence.Stance.values:
        raise ClaimEvidenceError(_("Say whether the evidence supports or contradicts the claim."))
    involvement, evidence = _opened(
        ring=ring, staff=staff, involvement_id=involvement_id, evidence_reference=evidence_reference
    )
    with transaction.atomic():
        mark, _created = ClaimEvidence.objects.update_or_create(
            involvement=involvement,
            evidence=evidence,
            defaults={"stance": stance, "created_by": staff, "created_at": timezone.now()},
        )
        audit_record(
            action=f"claim.evidence_{stance}",
            actor_id=staff.pk,
            object_type="involvement",
            object_id=involvement.pk.hex,
        )
    return mark


def claim_evidence_remove(
    *, ring: KeyRing | None, staff: Staff, involvement_id: object, evidence_reference: str
) -> None:
    """Take a mark away (the evidence no longer speaks to the claim either way)."""
    require(staff, *ANALYSTS)
    involvement, evidence = _opened(
        ring=ring, staff=staff, involvement_id=involvement_id, evidence_reference=evidence_reference
    )
    with transaction.atomic():
        removed, _count = ClaimEvidence.objects.filter(involvement=involvement, evidence=evidence).delete()
        if not removed:
            raise ClaimEvidenceError(_("This evidence was not marked against this claim."))
        audit_record(
            action="claim.evidence_removed", actor_id=staff.pk, object_type="involvement", object_id=involvement.pk.hex
        )
