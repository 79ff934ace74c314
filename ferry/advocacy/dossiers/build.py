"""A perpetrator's dossier for a sanctions submission, built from what the preparing analyst may open.

What it holds: the entity of the clear register (names, kind, type, country, positions, links; for a unit or an
institution, its members), every act of a verified incident it is involved in (a **claim**), each incident's
sources graded (never who they are), and every evidence item of those incidents (an **exhibit**) with the
SHA-256 of its original bytes and a summary of its custody. Claims and exhibits are numbered within the dossier:
nothing in it carries an incident, evidence, source or case reference, a victim, a narrative or a place finer
than an ISO 3166-2 subdivision.

A unit's dossier claims only what the documentation attributes to the unit itself. Acts recorded against its
members are not claims of the unit (a member may have acted outside their time in it, or on their own); the
members are listed with the number of verified acts in their own dossiers, for counsel to follow.

Incidents the analyst cannot open are not silently dropped: the dossier says how many verified acts it leaves
out, so nobody submits it as complete when it is not. Every incident and evidence item opened goes through its
door, and every opened record is audited."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.advocacy.models import ClaimEvidence
from ferry.audit.services import audit_record
from ferry.core.errors import NotFound, Refused
from ferry.core.permissions import require
from ferry.incidents.custody import chain_verify
from ferry.incidents.evidence import evidence_record_open
from ferry.incidents.models import (
    CustodyEvent,
    Degree,
    Evidence,
    Incident,
    Information,
    Involvement,
    Perpetrator,
    Precision,
    Source,
    Verification,
)
from ferry.incidents.services import access_incident
from ferry.intake.places import place_label
from ferry.vault.keyring import KeyRing

ANALYSTS = (Role.ANALYST,)
# How fine a dossier's dates may be: as known (to the day where the day is known), or never finer than the month.
DATE_SETTINGS = ("day", "month")
_COARSENESS = {Precision.DAY: 0, Precision.MONTH: 1, Precision.YEAR: 2, Precision.APPROXIMATE: 3}


@dataclass(frozen=True)
class KnownDate:
    """A date as far as it is known: ISO text of what is known ("2017", "2017-03", "2017-03-05"), its precision,
    and a reader's text in the dossier's language."""

    iso: str
    precision: str
    text: str


def known_date(day: date, precision: str, finest: str = "day") -> KnownDate:
    """The date at its own precision, never finer than `finest` ("day" or "month")."""
    if precision not in _COARSENESS:
        precision = Precision.APPROXIMATE
    if finest == "month" and precision == Precision.DAY:
        precision = Precision.MONTH
    if precision == Precision.DAY:
        return KnownDate(day.isoformat(), precision, formats.date_format(day, "DATE_FORMAT"))
    if precision == Precision.MONTH:
        return KnownDate(day.strftime("%Y-%m"), precision, formats.date_format(day, "YEAR_MONTH_FORMAT"))
    if precision == Precision.YEAR:
        return KnownDate(str(day.year), precision, str(day.year))
    return KnownDate(str(day.year), precision, _("about %(year)s") % {"year": day.year})


@dataclass(frozen=True)
class Grading:
    """What one source said of an incident, graded: the source's reliability (A to F), the information's
    credibility (1 to 6) and the kind of source. Never who or which source."""

    reliability: str
    credibility: int
    source_kind: str

    @property
    def code(self) -> str:
        return f"{self.reliability}{self.credibility}"


@dataclass
class Event:
    """One verified incident, numbered within the dossier."""

    number: int
    country: str
    subdivision: str
    place: str  # "Subdivision, Country" in the dossier's language
    verification: str
    gradings: list[Grading]
    claims: list[int] = field(default_factory=list)
    exhibits: list[int] = field(default_factory=list)

    @property
    def reliability_counts(self) -> list[tuple[str, int]]:
        return sorted(Counter(g.reliability for g in self.gradings).items())

    @property
    def credibility_counts(self) -> list[tuple[int, int]]:
        return sorted(Counter(g.credibility for g in self.gradings).items())


@dataclass
class Claim:
    """The entity's part in one act of a verified incident."""

    number: int
    event: int
    act_type: str
    act_type_code: str
    method: str
    method_code: str
    consequence: str
    consequence_code: str
    degree: str
    degree_code: str
    start: KnownDate
    end: KnownDate | None
    supported_by: list[int] = field(default_factory=list)
    contradicted_by: list[int] = field(default_factory=list)
    # For the staff page only (marking evidence); never printed or exported.
    involvement_id: uuid.UUID | None = None

    @property
    def flagged(self) -> bool:
        """No exhibit supports this claim."""
        return not self.supported_by


@dataclass
class Exhibit:
    """One evidence item of an incident the dossier covers."""

    number: int
    event: int
    kind: str
    kind_code: str
    copy_kind: str
    copy_of: int | None
    sha256: str
    size: int
    acquired_on: date
    custody_events: int
    last_check_on: date | None
    last_check_ok: bool | None
    chain_ok: bool
    supports: list[int] = field(default_factory=list)
    contradicts: list[int] = field(default_factory=list)
    # For the staff page only (marking evidence); never printed or exported.
    reference: str = ""


@dataclass(frozen=True)
class Member:
    name_original: str
    name_translit: str
    title: str
    rank: str
    start: str
    end: str
    verified_acts: int


@dataclass(frozen=True)
class Relation:
    text: str  # e.g. "commands", "belongs to", translated
    other: str  # the other entity's name in the register
    outgoing: bool  # True: this entity commands / belongs to the other


@dataclass
class Dossier:
    perpetrator: Perpetrator
    kind: str
    kind_code: str
    perpetrator_type: str
    perpetrator_type_code: str
    country: str
    identifiers: list[tuple[str, str]]
    positions: list[dict[str, str]]
    relations: list[Relation]
    members: list[Member]
    events: list[Event]
    claims: list[Claim]
    exhibits: list[Exhibit]
    acts_not_shared: int  # verified acts in incidents the analyst cannot open: not included
    exhibits_not_openable: int  # evidence items of included incidents the analyst cannot open
    date_setting: str
    language: str
    prepared_on: date

    @property
    def flagged(self) -> list[Claim]:
        return [claim for claim in self.claims if claim.flagged]

    @property
    def complete(self) -> bool:
        return not self.acts_not_shared and not self.exhibits_not_openable

    def exhibit(self, number: int) -> Exhibit:
        return self.exhibits[number - 1]


def _label(term: Any) -> str:
    return term.label if term is not None else ""


def _code(term: Any) -> str:
    return term.code if term is not None else ""


def verified_involvements(perpetrator: Perpetrator) -> QuerySet[Involvement]:
    """The entity's own involvements in acts of verified incidents (clear fields only)."""
    return Involvement.objects.filter(perpetrator=perpetrator, act__incident__verification=Verification.VERIFIED)


def verified_act_counts(perpetrators: QuerySet[Perpetrator]) -> QuerySet[Perpetrator]:
    """The register's entities annotated with `verified_acts`: acts of verified incidents each is involved in."""
    return perpetrators.annotate(
        verified_acts=Count(
            "involvements__act",
            filter=Q(involvements__act__incident__verification=Verification.VERIFIED),
            distinct=True,
        )
    )


def _identity(perpetrator: Perpetrator) -> list[tuple[str, str]]:
    """What the register holds that identifies the entity (it keeps no dates of birth, document numbers or
    addresses: counsel adds those from public records)."""
    found = [(_("Name in the original script"), perpetrator.name_original)]
    if perpetrator.name_translit:
        found.append((_("Transliteration"), perpetrator.name_translit))
    found.append((_("Person, unit or institution"), perpetrator.get_kind_display()))
    found.append((_("Kind of perpetrator"), perpetrator.perpetrator_type.label))
    if perpetrator.country:
        found.append((_("Country"), place_label(perpetrator.country, "")))
    return found


def _day_text(day: date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _positions(perpetrator: Perpetrator) -> list[dict[str, str]]:
    return [
        {
            "unit": p.unit.name_original if p.unit else "",
            "title": p.title,
            "rank": p.rank,
            "start": p.start_date.isoformat() if p.start_date else "",
            "end": p.end_date.isoformat() if p.end_date else "",
            "start_text": _day_text(p.start_date),
            "end_text": _day_text(p.end_date),
        }
        for p in perpetrator.positions.select_related("unit").order_by("start_date", "pk")
    ]


def _relations(perpetrator: Perpetrator) -> list[Relation]:
    out = [
        Relation(link.get_kind_display(), link.target.name_original, True)
        for link in perpetrator.links_out.select_related("target")
    ]
    into = [
        Relation(link.get_kind_display(), link.source.name_original, False)
        for link in perpetrator.links_in.select_related("source")
    ]
    return out + into


def _members(perpetrator: Perpetrator) -> list[Member]:
    if perpetrator.kind == Perpetrator.Kind.PERSON:
        return []
    held = list(perpetrator.members.select_related("perpetrator").order_by("start_date", "pk"))
    counted = verified_act_counts(Perpetrator.objects.filter(pk__in=[p.perpetrator_id for p in held]))
    counts: dict[int, int] = {row.pk: getattr(row, "verified_acts", 0) for row in counted}
    return [
        Member(
            name_original=p.perpetrator.name_original,
            name_translit=p.perpetrator.name_translit,
            title=p.title,
            rank=p.rank,
            start=_day_text(p.start_date),
            end=_day_text(p.end_date),
            verified_acts=counts.get(p.perpetrator_id, 0),
        )
        for p in held
    ]


def _gradings(incidents: list[Incident]) -> dict[Any, list[Grading]]:
    found: dict[Any, list[Grading]] = defaultdict(list)
    rows = Information.objects.filter(incident__in=incidents).values_list(
        "incident_id", "source__reliability", "source__kind", "credibility"
    )
    for incident_id, reliability, kind, credibility in rows:
        label = Source.Kind(kind).label if kind in Source.Kind.values else ""
        found[incident_id].append(Grading(reliability, credibility, str(label)))
    # Sorted by grade, never in the order they were received (which would say who came forward first).
    return {
        key: sorted(value, key=lambda g: (g.reliability, g.credibility, g.source_kind)) for key, value in found.items()
    }


def _opened_incidents(*, ring: KeyRing, staff: Staff, incidents: list[Incident]) -> list[Incident]:
    """The incidents this analyst holds, each opened through its door (audited); the others are left out."""
    keys = ring.keys_for([incident.key_set for incident in incidents])
    opened = []
    for incident in incidents:
        if incident.key_set_id not in keys:
            continue
        record, _key = access_incident(ring=ring, staff=staff, reference=incident.reference, audit=True)
        opened.append(record)
    return opened


def _custody(items: list[Evidence]) -> dict[Any, list[CustodyEvent]]:
    chains: dict[Any, list[CustodyEvent]] = {item.pk: [] for item in items}
    for event in CustodyEvent.objects.filter(evidence__in=items).order_by("evidence", "sequence"):
        chains[event.evidence_id].append(event)
    return chains


def _exhibits(
    *, ring: KeyRing, staff: Staff, incidents: list[Incident], event_of: dict[Any, int]
) -> tuple[list[Exhibit], int]:
    """Every evidence item of the incidents the analyst can open, numbered in the incidents' order, each opened
    through its door; and how many items they cannot open."""
    order = {incident.pk: n for n, incident in enumerate(incidents)}
    items = sorted(
        Evidence.objects.filter(incident__in=incidents).select_related("key_set"),
        key=lambda e: (order[e.incident_id], e.acquired_at, e.reference),
    )
    keys = ring.keys_for([item.key_set for item in items])
    openable = [item for item in items if item.key_set_id in keys]
    chains = _custody(openable)
    exhibits: list[Exhibit] = []
    number_of: dict[Any, int] = {}
    for item in openable:
        evidence, record = evidence_record_open(ring=ring, staff=staff, reference=item.reference)
        events = chains[item.pk]
        checks = [e for e in events if e.action in (CustodyEvent.Action.CHECKED, CustodyEvent.Action.CHECK_FAILED)]
        last = checks[-1] if checks else None
        number_of[item.pk] = len(exhibits) + 1
        exhibits.append(
            Exhibit(
                number=len(exhibits) + 1,
                event=event_of[item.incident_id],
                kind=str(evidence.get_kind_display()),
                kind_code=evidence.kind,
                copy_kind=str(evidence.get_copy_kind_display()) if evidence.copy_kind else "",
                copy_of=number_of.get(evidence.original_id) if evidence.original_id else None,
                sha256=record.sha256,
                size=evidence.size,
                acquired_on=timezone.localdate(evidence.acquired_at),
                custody_events=len(events),
                last_check_on=timezone.localdate(last.at) if last else None,
                last_check_ok=(last.action == CustodyEvent.Action.CHECKED) if last else None,
                chain_ok=chain_verify(evidence, events=events).ok,
                reference=evidence.reference,
            )
        )
    return exhibits, len(items) - len(openable)


def _claims(involvements: list[Involvement], event_of: dict[Any, int], finest: str) -> list[Claim]:
    claims: list[Claim] = []
    for involvement in involvements:
        act = involvement.act
        claims.append(
            Claim(
                number=len(claims) + 1,
                event=event_of[act.incident_id],
                act_type=_label(act.act_type),
                act_type_code=_code(act.act_type),
                method=_label(act.method),
                method_code=_code(act.method),
                consequence=_label(act.consequence),
                consequence_code=_code(act.consequence),
                degree=str(Degree(involvement.degree).label) if involvement.degree in Degree.values else "",
                degree_code=involvement.degree,
                start=known_date(act.start_date, act.start_precision, finest),
                end=known_date(act.end_date, act.end_precision or act.start_precision, finest)
                if act.end_date
                else None,
                involvement_id=involvement.pk,
            )
        )
    return claims


def _cross_reference(claims: list[Claim], exhibits: list[Exhibit]) -> None:
    """Each claim's supporting and contradicting exhibits, and each exhibit's claims (ClaimEvidence)."""
    claim_of = {claim.involvement_id: claim for claim in claims}
    exhibit_of = {exhibit.reference: exhibit for exhibit in exhibits}
    marks = ClaimEvidence.objects.filter(involvement_id__in=list(claim_of)).values_list(
        "involvement_id", "evidence__reference", "stance"
    )
    for involvement_id, reference, stance in sorted(marks, key=lambda m: (str(m[0]), m[1])):
        claim, exhibit = claim_of[involvement_id], exhibit_of.get(reference)
        if exhibit is None:
            continue  # an item this analyst cannot open: counted in exhibits_not_openable
        if stance == ClaimEvidence.Stance.SUPPORTS:
            claim.supported_by.append(exhibit.number)
            exhibit.supports.append(claim.number)
        else:
            claim.contradicted_by.append(exhibit.number)
            exhibit.contradicts.append(claim.number)
    for claim in claims:
        claim.supported_by.sort()
        claim.contradicted_by.sort()
    for exhibit in exhibits:
        exhibit.supports.sort()
        exhibit.contradicts.sort()


def perpetrator_of(perpetrator_id: int) -> Perpetrator:
    found = Perpetrator.objects.select_related("perpetrator_type").filter(pk=perpetrator_id).first()
    if found is None:
        raise NotFound(_("No such perpetrator."))
    return found


def dossier_build(*, ring: KeyRing | None, staff: Staff, perpetrator_id: int, date_setting: str = "day") -> Dossier:
    """The dossier of one entity of the register, in the active language, from what this analyst can open."""
    require(staff, *ANALYSTS)
    if ring is None:
        raise Refused(_("Unlock your key to prepare a dossier."))
    if date_setting not in DATE_SETTINGS:
        date_setting = "day"
    perpetrator = perpetrator_of(perpetrator_id)
    involvements = list(
        verified_involvements(perpetrator)
        .select_related(
            "act__incident__key_set", "act__act_type", "act__method", "act__consequence", "perpetrator_type"
        )
        .order_by("act__incident__start_date", "act__start_date", "act__created_at", "pk")
    )
    incidents = list({inv.act.incident_id: inv.act.incident for inv in involvements}.values())
    opened = _opened_incidents(ring=ring, staff=staff, incidents=incidents)
    opened_ids = {incident.pk for incident in opened}
    event_of = {incident.pk: n for n, incident in enumerate(opened, start=1)}
    gradings = _gradings(opened)
    events = [
        Event(
            number=event_of[incident.pk],
            country=incident.country,
            subdivision=incident.subdivision,
            place=place_label(incident.country, incident.subdivision),
            verification=str(incident.get_verification_display()),
            gradings=gradings.get(incident.pk, []),
        )
        for incident in opened
    ]
    included = [inv for inv in involvements if inv.act.incident_id in opened_ids]
    claims = _claims(included, event_of, date_setting)
    exhibits, not_openable = _exhibits(ring=ring, staff=staff, incidents=opened, event_of=event_of)
    _cross_reference(claims, exhibits)
    for claim in claims:
        events[claim.event - 1].claims.append(claim.number)
    for exhibit in exhibits:
        events[exhibit.event - 1].exhibits.append(exhibit.number)
    left_out = {inv.act_id for inv in involvements if inv.act.incident_id not in opened_ids}
    audit_record(action="perpetrator.dossier", actor_id=staff.pk, object_type="perpetrator", object_id=perpetrator.pk)
    return Dossier(
        perpetrator=perpetrator,
        kind=str(perpetrator.get_kind_display()),
        kind_code=perpetrator.kind,
        perpetrator_type=perpetrator.perpetrator_type.label,
        perpetrator_type_code=perpetrator.perpetrator_type.code,
        country=place_label(perpetrator.country, "") if perpetrator.country else "",
        identifiers=_identity(perpetrator),
        positions=_positions(perpetrator),
        relations=_relations(perpetrator),
        members=_members(perpetrator),
        events=events,
        claims=claims,
        exhibits=exhibits,
        acts_not_shared=len(left_out),
        exhibits_not_openable=not_openable,
        date_setting=date_setting,
        language=(get_language() or "en").split("-")[0],
        prepared_on=timezone.localdate(),
    )
