"""Referrals: the managed partner list, a referral's packet sealed as a snapshot, consent, status and the PDF.

A packet holds only what the caseworker ticked (never the name or contacts unless ticked). The partner,
status, destination country and consent time are in clear; the packet's content is sealed under the
case's key set and opened only by someone who can open the case, each time audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pycountry
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.cases.models import Case, Event, Need, Partner, Referral
from ferry.cases.services import CASE_ROLES, CaseError, access_case, event_add, open_json
from ferry.core.doors import Door, door_open
from ferry.core.errors import NotFound
from ferry.core.pdf import html_pdf
from ferry.core.permissions import require
from ferry.intake.places import country_choices
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing

S = Referral.Status

# What a packet may hold, in the order the form offers it; the first three are ticked by default.
CONTENT = [
    ("stage", gettext_lazy("Stage of the evacuation")),
    ("risk", gettext_lazy("Risk level")),
    ("needs", gettext_lazy("Needs and their status")),
    ("need_details", gettext_lazy("Details of the needs")),
    ("risk_reason", gettext_lazy("Why this risk level")),
    ("summary", gettext_lazy("Summary of the request, in the person's words")),
    ("tasks", gettext_lazy("Open tasks and their due dates")),
    ("location", gettext_lazy("Where the person is (country, region, place)")),
    ("name", gettext_lazy("Name")),
    ("contacts", gettext_lazy("Contacts (phone, Telegram or Signal, e-mail)")),
]
CONTENT_KEYS = [key for key, _label in CONTENT]
DEFAULT_CONTENT = ["stage", "risk", "needs"]

# The only moves a referral can make; everything else is refused with a message.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SENT},
    S.SENT: {S.ACCEPTED, S.DECLINED},
    S.ACCEPTED: {S.COMPLETED},
    S.DECLINED: set(),
    S.COMPLETED: set(),
}

PARTNER_KINDS = [
    ("organisation", gettext_lazy("Partner organisation")),
    ("pathway", gettext_lazy("Asylum pathway")),
]


class PartnerError(CaseError):
    """A refused change to the partner list."""


def country_name(code: str) -> str:
    return dict(country_choices()).get(code, code) if code else ""


def _valid_country(code: str) -> bool:
    return bool(code) and pycountry.countries.get(alpha_2=code) is not None


# --- the partner list (administrators) ----------------------------------------------------------------


def _check_partner(*, name: str, country: str, kind: str, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise PartnerError(_("Give the partner a name."))
    if country and not _valid_country(country):
        raise PartnerError(_("Choose a country from the list."))
    if kind and kind not in dict(PARTNER_KINDS):
        raise PartnerError(_("Choose what kind of partner this is."))
    same = Partner.objects.filter(name__iexact=name)
    if (same.exclude(pk=exclude) if exclude is not None else same).exists():
        raise PartnerError(_("There is a partner with this name already."))
    return name


def partner_add(*, by: Staff, name: str, country: str = "", kind: str = "") -> Partner:
    require(by, Role.ADMINISTRATOR)
    name = _check_partner(name=name, country=country, kind=kind)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(name=name, country=country, kind=kind)
            audit_record(action="cases.partner_add", actor_id=by.pk, object_type="partner", object_id=partner.pk)
    except IntegrityError:
        raise PartnerError(_("There is a partner with this name already.")) from None
    return partner


def _partner(partner_id: int) -> Partner:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise NotFound(_("There is no such partner."))
    return partner


def partner_update(*, by: Staff, partner_id: int, name: str, country: str = "", kind: str = "") -> Partner:
    """Rename a partner (and correct its country and kind); referrals already made follow the new name."""
    require(by, Role.ADMINISTRATOR)
    partner = _partner(partner_id)
    partner.name = _check_partner(name=name, country=country, kind=kind, exclude=partner.pk)
    partner.country, partner.kind = country, kind
    try:
        with transaction.atomic():
            partner.save(update_fields=["name", "country", "kind"])
            audit_record(action="cases.partner_update", actor_id=by.pk, object_type="partner", object_id=partner.pk)
    except IntegrityError:
        raise PartnerError(_("There is a partner with this name already.")) from None
    return partner


def partner_active_set(*, by: Staff, partner_id: int, active: bool) -> Partner:
    """Deactivate (or bring back) a partner: no new referrals go to an inactive one; old ones keep their history."""
    require(by, Role.ADMINISTRATOR)
    partner = _partner(partner_id)
    with transaction.atomic():
        Partner.objects.filter(pk=partner.pk).update(active=active)
        action = "cases.partner_activate" if active else "cases.partner_deactivate"
        audit_record(action=action, actor_id=by.pk, object_type="partner", object_id=partner.pk)
    partner.active = active
    return partner


# --- referrals ----------------------------------------------------------------------------------------


def _snapshot(case: Case, key: bytes, include: list[str], note: str) -> dict[str, Any]:
    """The packet's content, decrypting only what was ticked."""
    packet: dict[str, Any] = {"include": include, "note": note.strip(), "made_on": timezone.localdate().isoformat()}
    if "name" in include:
        packet["name"] = open_json(key, case, "identity").get("name", "")
    if "contacts" in include or "location" in include:
        contacts = open_json(key, case, "contacts")
        if "contacts" in include:
            packet["contacts"] = {k: contacts.get(k, "") for k in ("phone", "handle", "email")}
        if "location" in include:
            packet["location"] = {k: contacts.get(k, "") for k in ("country", "region", "place")}
    if "stage" in include:
        packet["stage"] = {"key": case.stage.key, "en": case.stage.name_en, "ru": case.stage.name_ru}
    if "risk" in include:
        packet["risk"] = case.risk
    if "risk_reason" in include:
        packet["risk_reason"] = keysets.open_field(key, case, "risk_reason") or ""
    if "summary" in include:
        packet["summary"] = open_json(key, case, "card").get("summary", "")
    if "needs" in include:
        details = "need_details" in include
        packet["needs"] = [
            {
                "kind": n.kind,
                "status": n.status,
                "detail": (keysets.open_field(key, n, "detail") or "") if details else "",
            }
            for n in case.needs.order_by("kind")
        ]
    if "tasks" in include:
        packet["tasks"] = [
            {"title": keysets.open_field(key, t, "title") or "", "due": t.due_on.isoformat()}
            for t in case.tasks.filter(done_at__isnull=True).order_by("due_on")
        ]
    return packet


def referral_create(
    *,
    ring: KeyRing,
    staff: Staff,
    reference: str,
    partner_id: int,
    destination_country: str,
    include: list[str],
    note: str = "",
    consent: bool = False,
) -> Referral:
    """A draft referral whose packet is a sealed snapshot of what was ticked, taken now."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    partner = Partner.objects.filter(pk=partner_id, active=True).first()
    if partner is None:
        raise CaseError(_("Choose a partner from the list; unknown or inactive partners cannot receive referrals."))
    if not _valid_country(destination_country):
        raise CaseError(_("Choose the destination country from the list."))
    unknown = set(include) - set(CONTENT_KEYS)
    if unknown:
        raise CaseError(_("Choose what the packet contains from the list."))
    chosen = [k for k in CONTENT_KEYS if k in include]
    now = timezone.now()
    referral = Referral(
        case=case,
        key_set_id=case.key_set_id,
        partner=partner,
        destination_country=destination_country,
        consent_at=now if consent else None,
        created_by=staff,
        created_at=now,
        updated_at=now,
    )
    with transaction.atomic():
        keysets.seal_json(key, referral, "packet", _snapshot(case, key, chosen, note))
        referral.save(force_insert=True)
        # Keys only: the entry's text is composed when shown, in the reader's language (referrals/timeline.py).
        detail = {"referral": referral.pk.hex, "status": S.DRAFT, "consent": consent}
        event_add(case=case, key=key, kind=Event.Kind.REFERRAL, actor=staff, detail=detail)
        audit_record(
            action="case.referral_create", actor_id=staff.pk, object_type="referral", object_id=referral.pk.hex
        )
    return referral


REFERRAL_DOOR = Door(
    model=Referral,
    by="pk",
    roles=CASE_ROLES,
    audit_noun="referral",
    missing=gettext_lazy("No such case."),
    related=("case", "case__stage", "partner"),
)


def access_referral(*, ring: KeyRing, staff: Staff, referral_id: object) -> tuple[Referral, Case, bytes]:
    """A referral through its door (its case's key set): missing, not granted, no role get the same answer."""
    referral, key = door_open(REFERRAL_DOOR, ring=ring, staff=staff, value=referral_id)
    return referral, referral.case, key


def referral_status_change(
    *, ring: KeyRing, staff: Staff, referral_id: uuid.UUID, status: str, consent: bool = False, note: str = ""
) -> Referral:
    """Move a referral one step; sending needs the person's consent recorded first (or now)."""
    referral, case, key = access_referral(ring=ring, staff=staff, referral_id=referral_id)
    current = referral.status
    if status not in S.values:
        raise CaseError(_("Choose a status from the list."))
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(str(S(s).label) for s in sorted(TRANSITIONS[current])) or _("none, it is finished")
        raise CaseError(
            _("A referral that is “%(current)s” cannot become “%(target)s”. Possible next: %(allowed)s.")
            % {"current": S(current).label, "target": S(status).label, "allowed": allowed}
        )
    now = timezone.now()
    consent_at = referral.consent_at or (now if consent else None)
    if status == S.SENT and consent_at is None:
        raise CaseError(_("Record the person's consent before the referral is sent."))
    with transaction.atomic():
        # The status it had when read is the lock: two people moving it at once cannot both win.
        moved = Referral.objects.filter(pk=referral.pk, status=current).update(
            status=status, consent_at=consent_at, updated_at=now
        )
        if not moved:
            raise CaseError(_("Someone else changed this referral while you were looking at it. Check it again."))
        referral.status, referral.consent_at, referral.updated_at = status, consent_at, now
        if status == S.COMPLETED:
            # What retention keeps of a shredded case: where the person went.
            Case.objects.filter(pk=case.pk).update(destination_country=referral.destination_country)
        detail = {
            "referral": referral.pk.hex,
            "status": status,
            "status_from": current,
            "note": note.strip(),
        }
        event_add(case=case, key=key, kind=Event.Kind.REFERRAL, actor=staff, detail=detail)
        audit_record(
            action="case.referral_status", actor_id=staff.pk, object_type="referral", object_id=referral.pk.hex
        )
    return referral


# --- the packet ---------------------------------------------------------------------------------------


@dataclass
class Packet:
    referral: Referral
    case: Case
    content: dict[str, Any]


def referral_packet_open(*, ring: KeyRing, staff: Staff, referral_id: uuid.UUID, purpose: str) -> Packet:
    """The packet decrypted, for the printable page ("view") or the PDF ("pdf"); every opening is audited."""
    if purpose not in ("view", "pdf"):
        raise ValueError(purpose)
    referral, case, key = access_referral(ring=ring, staff=staff, referral_id=referral_id)
    content = open_json(key, referral, "packet")
    audit_record(
        action=f"case.referral_packet_{purpose}", actor_id=staff.pk, object_type="referral", object_id=referral.pk.hex
    )
    return Packet(referral=referral, case=case, content=content)


def _region_name(code: str) -> str:
    region = pycountry.subdivisions.get(code=code) if code else None
    return region.name if region is not None else code


def _day(value: Any) -> date | None:
    """A day stored in a packet as ISO text, as a date (shown in the viewer's format), or None if unreadable."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def packet_context(packet: Packet) -> dict[str, Any]:
    """What the packet template shows, in the viewer's language; labels only for what the packet holds."""
    content = packet.content
    referral = packet.referral
    stage = content.get("stage") or {}
    stage_name = stage.get("ru" if (get_language() or "").startswith("ru") else "en") or stage.get("key", "")
    where = content.get("location")
    location = None
    if where is not None:
        location = {
            "country": country_name(where.get("country", "")),
            "region": _region_name(where.get("region", "")),
            "place": where.get("place", ""),
        }
    return {
        "referral": referral,
        "number": referral.pk.hex[:8].upper(),
        "partner": referral.partner,
        "destination": country_name(referral.destination_country),
        "content": content,
        "stage_name": stage_name,
        "risk_label": Case.Risk(content["risk"]).label if content.get("risk") in Case.Risk.values else "",
        "needs": [
            (Need.Kind(n["kind"]).label, Need.Status(n["status"]).label, n.get("detail", ""))
            for n in content.get("needs", [])
            if n.get("kind") in Need.Kind.values and n.get("status") in Need.Status.values
        ],
        "location": location,
        "made_on": _day(content.get("made_on")),
        "tasks": [{"title": t.get("title", ""), "due": _day(t.get("due"))} for t in content.get("tasks", [])],
        "included": [label for key, label in CONTENT if key in content.get("include", [])],
    }


def packet_pdf(html: str) -> bytes:
    """The packet's HTML as PDF bytes (core.pdf: nothing fetched, the system's fonts)."""
    return html_pdf(html)
