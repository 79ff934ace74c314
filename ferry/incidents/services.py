"""Writes on the documentation: incidents, victims, acts, involvements, sources and their information,
interventions, verification, sharing; the register of perpetrators and places.

Every sealed record is opened through its door (core.doors): missing, not granted and not for the role
answer the same, and a refusal of a real record is audited. Every open of sealed content and every change
is audited, with no content in the entry. Incidents change only at the version the page showed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.cases.models import Assignment, Case
from ferry.cases.services import access_case
from ferry.core.doors import Door, Opened, door_open
from ferry.core.errors import Conflict, FerryError, NotFound
from ferry.core.permissions import require
from ferry.core.text import decimal_number, without_bidi
from ferry.incidents import act_counts, term_index
from ferry.incidents.models import (
    Act,
    Degree,
    Incident,
    Information,
    Intervention,
    Involvement,
    Perpetrator,
    PerpetratorLink,
    Place,
    Position,
    Precision,
    Source,
    Term,
    Verification,
    Victim,
    Vocabulary,
)
from ferry.intake.places import country_of_region, is_country, is_region
from ferry.intake.submission import reference_new
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant, KeySet

__all__ = ["INCIDENT_DOOR", "DocumentationError", "access_incident"]


class DocumentationError(FerryError):
    """A refusal the documenter can act on; translated, and holding nothing of what was typed."""


# Who may open an incident at all (the grant then decides which): documenters, and analysts an incident
# was shared with. An analyst without a grant is refused like anyone else, and the refusal is audited.
INCIDENT_ROLES = (Role.DOCUMENTER, Role.ANALYST)
INCIDENT_DOOR = Door(
    model=Incident,
    by="reference",
    roles=INCIDENT_ROLES,
    audit_noun="incident",
    missing=gettext_lazy("No such incident."),
    related=("place",),
)
SOURCE_DOOR = Door(
    model=Source,
    by="reference",
    roles=(Role.DOCUMENTER,),
    audit_noun="source",
    missing=gettext_lazy("No such source."),
)
# A victim is opened by the documenters of the incident and by the caseworkers of the case they were
# linked to (who hold the victim's key set and nothing else of the incident).
VICTIM_DOOR = Door(
    model=Victim,
    by="pk",
    roles=(Role.DOCUMENTER, Role.ANALYST, Role.CASEWORKER, Role.COORDINATOR),
    audit_noun="victim",
    missing=gettext_lazy("No such victim."),
    related=("incident",),
)

M = TypeVar("M", bound=Model)


# ---------------------------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class PartialDate:
    """A date as it is known: the year always, the month and day when known, and how precise it is."""

    year: int
    month: int | None = None
    day: int | None = None
    precision: str = Precision.DAY

    def as_date(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)


DATE_PROBLEMS = {
    ("start", "precision"): gettext_lazy("Choose how precise the start date is."),
    ("end", "precision"): gettext_lazy("Choose how precise the end date is."),
    ("start", "day"): gettext_lazy("The start date is marked exact to the day: give its day and month."),
    ("end", "day"): gettext_lazy("The end date is marked exact to the day: give its day and month."),
    ("start", "month"): gettext_lazy("The start date is marked exact to the month: give its month."),
    ("end", "month"): gettext_lazy("The end date is marked exact to the month: give its month."),
    ("start", "no_month"): gettext_lazy("The start date has a day but no month."),
    ("end", "no_month"): gettext_lazy("The end date has a day but no month."),
    ("start", "impossible"): gettext_lazy("The start date does not exist."),
    ("end", "impossible"): gettext_lazy("The end date does not exist."),
}


def date_from_parts(value: PartialDate, *, which: str) -> date:
    """The stored first day of a partial date ("start" or "end"), or a DocumentationError saying what is wrong."""
    problem = ""
    if value.precision not in Precision.values:
        problem = "precision"
    elif value.precision == Precision.DAY and (value.day is None or value.month is None):
        problem = "day"
    elif value.precision == Precision.MONTH and value.month is None:
        problem = "month"
    elif value.day is not None and value.month is None:
        problem = "no_month"
    if problem:
        raise DocumentationError(str(DATE_PROBLEMS[which, problem]))
    try:
        return value.as_date()
    except ValueError:
        raise DocumentationError(str(DATE_PROBLEMS[which, "impossible"])) from None


def dates_check(start: PartialDate, end: PartialDate | None) -> tuple[date, date | None]:
    first = date_from_parts(start, which="start")
    last = None if end is None else date_from_parts(end, which="end")
    if first > timezone.localdate():
        raise DocumentationError(_("The start date is in the future."))
    if last is not None and last < first:
        raise DocumentationError(_("The end date is before the start date."))
    return first, last


# ------------------------------------------------------------------------------------------- helpers


def _references_new(model: type[Model]) -> str:
    for _attempt in range(20):
        reference = reference_new()
        if not model._default_manager.filter(reference=reference).exists():
            return reference
    raise DocumentationError(_("Could not find a free reference. Try again."))  # pragma: no cover


def _saved_with_reference(obj: Model) -> None:
    """Insert a record under a fresh random reference; a clash with a concurrent insert takes another."""
    model = type(obj)
    for _attempt in range(20):
        obj.reference = _references_new(model)  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return
        except IntegrityError:
            continue
    raise DocumentationError(_("Could not find a free reference. Try again."))  # pragma: no cover


def documentation_team() -> list[int]:
    """Active documenters whose key administrators confirmed and no duress paused: every non-restricted
    incident and every source is sealed to them."""
    return list(
        Staff.objects.filter(
            is_active=True,
            roles__role=Role.DOCUMENTER,
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .distinct()
        .values_list("pk", flat=True)
    )


def _holders(key_set_id: int) -> list[int]:
    return list(
        Grant.objects.filter(
            key_set_id=key_set_id,
            staff__isnull=False,
            staff__is_active=True,
            staff__vault_key__confirmed_at__isnull=False,
            staff__vault_key__paused_at__isnull=True,
        ).values_list("staff_id", flat=True)
    )


def _term_optional(vocabulary: str, value: Term | int | str | None) -> Term | None:
    """A live term of the vocabulary, by instance, id or code, or None for no value; an unknown or
    deprecated one is refused."""
    if value is None or value == "":
        return None
    return _term(vocabulary, value)


def _term(vocabulary: str, value: Term | int | str | None) -> Term:
    if value is None or value == "":
        raise DocumentationError(_("Choose a value from the list."))
    rows = Term.objects.filter(vocabulary=vocabulary, deprecated_at__isnull=True)
    if isinstance(value, Term):
        term = rows.filter(pk=value.pk).first()
    elif isinstance(value, int):
        term = rows.filter(pk=value).first()
    else:
        text = str(value).strip()
        number = decimal_number(text)
        term = rows.filter(pk=number).first() if number is not None else rows.filter(code=text).first()
    if term is None:
        raise DocumentationError(_("Unknown code: choose a value from the list."))
    return term


def _clean(text: str) -> str:
    return without_bidi((text or "").strip())


def _location_check(country: str, subdivision: str) -> None:
    if not is_country(country):
        raise DocumentationError(_("Choose a country from the list."))
    if subdivision and (not is_region(subdivision) or country_of_region(subdivision) != country):
        raise DocumentationError(_("Choose a region of the chosen country."))


def _bump(incident: Incident, version: int, **changes: Any) -> None:
    changes.setdefault("updated_at", timezone.now())
    if not Incident.objects.filter(pk=incident.pk, version=version).update(version=F("version") + 1, **changes):
        raise Conflict(_("Someone else changed this incident while you were looking at it. Check it and try again."))


def _touch(incident: Incident) -> None:
    """A change below the incident (an act, a victim) moves its version, so an open edit form goes stale."""
    Incident.objects.filter(pk=incident.pk).update(version=F("version") + 1, updated_at=timezone.now())


def _audit(action: str, staff: Staff, record: Model) -> None:
    noun = action.split(".", maxsplit=1)[0]
    audit_record(action=action, actor_id=staff.pk, object_type=noun, object_id=record.pk.hex)


# --------------------------------------------------------------------------------------------- doors


def access_incident(*, ring: KeyRing | None, staff: Staff, reference: str, audit: bool = False) -> Opened[Incident]:
    """The one door to an incident: the incident and its key, or NotFound."""
    opened = door_open(INCIDENT_DOOR, ring=ring, staff=staff, value=reference)
    if audit:
        _audit("incident.open", staff, opened.record)
    return opened


def access_source(*, ring: KeyRing | None, staff: Staff, reference: str) -> Opened[Source]:
    return door_open(SOURCE_DOOR, ring=ring, staff=staff, value=reference)


def access_victim(*, ring: KeyRing | None, staff: Staff, victim_id: object) -> Opened[Victim]:
    opened = door_open(VICTIM_DOOR, ring=ring, staff=staff, value=victim_id)
    _audit("victim.open", staff, opened.record)
    return opened


# ------------------------------------------------------------------------------------------ incidents


@dataclass(frozen=True)
class IncidentData:
    title: str
    start: PartialDate
    country: str
    end: PartialDate | None = None
    subdivision: str = ""
    place_precision: int = 3
    place_id: int | None = None
    victim_count: int = 1
    narrative: str = ""
    location: str = ""
    notes: str = ""


def _incident_fields(data: IncidentData) -> dict[str, Any]:
    first, last = dates_check(data.start, data.end)
    _location_check(data.country, data.subdivision)
    if not _clean(data.title):
        raise DocumentationError(_("Give the incident a title."))
    if data.place_precision not in (1, 2, 3):
        raise DocumentationError(_("Choose how exactly the place is known."))
    if data.victim_count < 0:
        raise DocumentationError(_("The number of victims cannot be negative."))
    place = None
    if data.place_id is not None:
        place = Place.objects.filter(pk=data.place_id).first()
        if place is None:
            raise DocumentationError(_("Choose a place from the list."))
        if place.country != data.country:
            raise DocumentationError(_("The place is in another country."))
    return {
        "start_date": first,
        "start_precision": data.start.precision,
        "end_date": last,
        "end_precision": "" if data.end is None else data.end.precision,
        "country": data.country,
        "subdivision": data.subdivision,
        "place_precision": data.place_precision,
        "place": place,
        "victim_count": data.victim_count,
    }


def _seal_incident(key: bytes, incident: Incident, data: IncidentData) -> None:
    keysets.seal_json(key, incident, "card", {"title": _clean(data.title)})
    keysets.seal_field(key, incident, "narrative", _clean(data.narrative))
    keysets.seal_field(key, incident, "location", _clean(data.location))
    keysets.seal_field(key, incident, "notes", _clean(data.notes))


@transaction.atomic
def incident_create(
    *, staff: Staff, data: IncidentData, restricted: bool = False, share_with: Iterable[int] = ()
) -> tuple[Incident, bytes]:
    """A new incident under its own key set, sealed to its author, the documentation team (unless it is
    restricted: then only to the people named) and the escrow key."""
    require(staff, Role.DOCUMENTER)
    fields = _incident_fields(data)
    grant_to = {staff.pk, *share_with}
    if not restricted:
        grant_to |= set(documentation_team())
    key_set, key = _keyset_for(grant_to, staff)
    now = timezone.now()
    incident = Incident(key_set=key_set, restricted=restricted, author=staff, created_at=now, updated_at=now, **fields)
    _seal_incident(key, incident, data)
    _saved_with_reference(incident)
    _audit("incident.create", staff, incident)
    return incident, key


def _keyset_for(grant_to: Iterable[int], staff: Staff) -> tuple[KeySet, bytes]:
    try:
        return keysets.keyset_create(purpose=KeySet.Purpose.DOCUMENTATION, grant_to=sorted(set(grant_to)))
    except keysets.NoStaffKey:
        raise DocumentationError(_("Everyone it is shared with needs a confirmed key first.")) from None


def incident_update(*, ring: KeyRing | None, staff: Staff, reference: str, version: int, data: IncidentData) -> None:
    require(staff, Role.DOCUMENTER)
    incident, key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        fields = _incident_fields(data)
        _seal_incident(key, incident, data)
        sealed = {name: getattr(incident, name) for name in ("card", "narrative", "location", "notes")}
        changes = {**fields, **sealed}
        before = act_counts.lock(incident)
        _bump(incident, version, **changes)
        act_counts.reclassified(incident.pk, before)
        term_index.dates_follow(incident.pk, fields["start_date"])
        _audit("incident.update", staff, incident)


def incident_verify(*, ring: KeyRing | None, staff: Staff, reference: str, version: int, status: str) -> None:
    """Set the verification status. "Verified" needs a second documenter: not the incident's author."""
    require(staff, Role.DOCUMENTER)
    incident, _key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        if status not in Verification.values:
            raise DocumentationError(_("Choose a verification status from the list."))
        before = act_counts.lock(incident)
        if status == Verification.VERIFIED:
            if incident.author_id == staff.pk:
                raise DocumentationError(
                    _("An incident is verified by a second documenter, not by the person who recorded it.")
                )
            _bump(incident, version, verification=status, verified_by=staff, verified_at=timezone.now())
        else:
            _bump(incident, version, verification=status, verified_by=None, verified_at=None)
        act_counts.reclassified(incident.pk, before)
        audit_record(
            action=f"incident.verification_{status}",
            actor_id=staff.pk,
            object_type="incident",
            object_id=incident.pk.hex,
        )


def incident_key_sets(incident: Incident) -> list[int]:
    """The incident's compartments: its own, each victim's and each evidence item's."""
    ids = [incident.key_set_id]
    ids += list(Victim.objects.filter(incident=incident).values_list("key_set_id", flat=True))
    ids += list(incident.evidence.values_list("key_set_id", flat=True))
    ids += list(
        KeySet.objects.filter(pk__in=incident.evidence.values("custody__key_set_id")).values_list("pk", flat=True)
    )
    return list(dict.fromkeys(ids))


def incident_share(*, ring: KeyRing | None, staff: Staff, reference: str, colleague_id: int) -> None:
    """Seal the incident, its victims and its evidence to a colleague (a documenter or an analyst)."""
    require(staff, Role.DOCUMENTER)
    incident, _key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        colleague = Staff.objects.filter(
            pk=colleague_id, is_active=True, roles__role__in=[Role.DOCUMENTER, Role.ANALYST]
        ).first()
        if colleague is None or ring is None:
            raise DocumentationError(_("Choose a documenter or an analyst from the list."))
        for key_set in KeySet.objects.filter(pk__in=incident_key_sets(incident), shredded_at__isnull=True):
            if not ring.can_open(key_set):
                continue
            try:
                keysets.keyset_grant(key_set=key_set, ring=ring, staff_id=colleague.pk)
            except keysets.NoStaffKey:
                raise DocumentationError(_("This colleague needs a confirmed key first.")) from None
        audit_record(action="incident.share", actor_id=staff.pk, object_type="incident", object_id=incident.pk.hex)


def incident_unshare(*, ring: KeyRing | None, staff: Staff, reference: str, staff_id: int) -> None:
    """Take an incident (and its victims and evidence) away from someone: their grant goes, every key set re-keyed."""
    require(staff, Role.DOCUMENTER)
    incident, _key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        if staff_id == staff.pk or ring is None:
            raise DocumentationError(_("You cannot remove yourself; ask a colleague."))
        for key_set in KeySet.objects.filter(pk__in=incident_key_sets(incident), shredded_at__isnull=True):
            if Grant.objects.filter(key_set=key_set, staff_id=staff_id).exists() and ring.can_open(key_set):
                keysets.keyset_revoke(key_set=key_set, ring=ring, staff_id=staff_id)
        audit_record(action="incident.unshare", actor_id=staff.pk, object_type="incident", object_id=incident.pk.hex)


# -------------------------------------------------------------------------------------- victims, acts

SOGIESC = ("sexual_orientation", "gender_identity", "gender_expression", "sex_characteristics")


@dataclass(frozen=True)
class VictimData:
    name: str = ""
    age: str = ""
    sexual_orientation: str = ""
    gender_identity: str = ""
    gender_expression: str = ""
    sex_characteristics: str = ""
    case_reference: str = ""


def _linked_case(ring: KeyRing | None, staff: Staff, case_reference: str) -> Case:
    """The case a victim is to be linked to, through the case door: only someone who holds the case (a caseworker
    or coordinator on it) may link to it. A missing case and a forbidden one get the same words, and the refused
    look at one that exists is audited by the door. Nothing of the case is decrypted."""
    try:
        return access_case(ring=ring, staff=staff, reference=case_reference).record
    except NotFound:
        raise DocumentationError(_("No such case.")) from None


def case_reference_of(text: str) -> str:
    """A case reference as a victim's sealed link keeps it: trimmed, capitals (the page and the import alike)."""
    return _clean(text).upper()


def _case_carriers(case: Case) -> list[int]:
    """Who carries the case a victim is linked to (they get the victim, and only the victim)."""
    return list(Assignment.objects.filter(case=case).values_list("staff_id", flat=True))


def _case_caseworkers(case_reference: str) -> list[int]:
    """The same, for a case named by its reference (an import's chunk, its door asked at the dry run)."""
    case = Case.objects.filter(reference=case_reference_of(case_reference), shredded_at__isnull=True).first()
    if case is None:
        raise DocumentationError(_("No such case."))
    return _case_carriers(case)


def victim_add(*, ring: KeyRing | None, staff: Staff, reference: str, data: VictimData) -> Victim:
    """A victim of the incident under their own key set: sealed to everyone who holds the incident and,
    when linked to a case, to the case's caseworkers. The link is sealed; nothing in clear joins them."""
    require(staff, Role.DOCUMENTER)
    incident, _key = access_incident(ring=ring, staff=staff, reference=reference)
    # The doors first, outside the transaction: a refusal is audited even though nothing else is saved.
    link = case_reference_of(data.case_reference)
    case = _linked_case(ring, staff, link) if link else None
    with transaction.atomic():
        grant_to = set(_holders(incident.key_set_id)) | {staff.pk}
        if case is not None:
            grant_to |= set(_case_carriers(case))
        key_set, key = _keyset_for(grant_to, staff)
        position = (
            Victim.objects.filter(incident=incident).order_by("-position").values_list("position", flat=True).first()
            or 0
        ) + 1
        victim = Victim(incident=incident, key_set=key_set, position=position, created_at=timezone.now())
        identity = {"name": _clean(data.name), "age": _clean(data.age)}
        identity |= {name: _clean(getattr(data, name)) for name in SOGIESC}
        keysets.seal_json(key, victim, "identity", identity)
        keysets.seal_field(key, victim, "case_link", link)
        victim.save(force_insert=True)
        _touch(incident)
        _audit("victim.create", staff, victim)
        return victim


@dataclass(frozen=True)
class InvolvementData:
    perpetrator_id: int | None = None
    perpetrator_type: int | str | None = None
    degree: str = Degree.UNKNOWN
    detail: str = ""


@dataclass(frozen=True)
class ActData:
    victim_id: Any
    act_type: int | str
    start: PartialDate
    end: PartialDate | None = None
    method: int | str | None = None
    consequence: int | str | None = None
    notes: str = ""
    involvements: tuple[InvolvementData, ...] = field(default_factory=tuple)


def _involvement(key: bytes, act: Act, data: InvolvementData) -> Involvement:
    perpetrator = None
    if data.perpetrator_id is not None:
        perpetrator = Perpetrator.objects.filter(pk=data.perpetrator_id).select_related("perpetrator_type").first()
        if perpetrator is None:
            raise DocumentationError(_("Choose a perpetrator from the register."))
        kind = perpetrator.perpetrator_type
    else:
        kind = _term(Vocabulary.PERPETRATOR_TYPE, data.perpetrator_type)
    if data.degree not in Degree.values:
        raise DocumentationError(_("Choose the perpetrator's part from the list."))
    involvement = Involvement(
        act=act, key_set_id=act.key_set_id, perpetrator=perpetrator, perpetrator_type=kind, degree=data.degree
    )
    keysets.seal_field(key, involvement, "detail", _clean(data.detail))
    return involvement


def act_add(*, ring: KeyRing | None, staff: Staff, reference: str, data: ActData) -> Act:
    """One violation suffered by one of the incident's victims, with who took part; all or nothing."""
    require(staff, Role.DOCUMENTER)
    incident, key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        place = act_counts.lock(incident)  # and the incident's dates as they are now, for the term index
        victim = Victim.objects.filter(incident=incident, pk=data.victim_id).first() if data.victim_id else None
        if victim is None:
            raise DocumentationError(_("Choose a victim of this incident."))
        first, last = dates_check(data.start, data.end)
        act = Act(
            incident=incident,
            key_set_id=incident.key_set_id,
            victim=victim,
            act_type=_term(Vocabulary.ACT_TYPE, data.act_type),
            method=_term_optional(Vocabulary.METHOD, data.method),
            consequence=_term_optional(Vocabulary.CONSEQUENCE, data.consequence),
            start_date=first,
            start_precision=data.start.precision,
            end_date=last,
            end_precision="" if data.end is None else data.end.precision,
            created_at=timezone.now(),
        )
        keysets.seal_field(key, act, "notes", _clean(data.notes))
        involvements = [_involvement(key, act, item) for item in data.involvements]
        act.save(force_insert=True)
        Involvement.objects.bulk_create(involvements)
        term_index.terms_add(
            incident,
            [act.act_type_id, act.method_id, *(i.perpetrator_type_id for i in involvements)],
            [i.perpetrator_id for i in involvements],
        )
        act_counts.acts_added(place, [act])
        _touch(incident)
        _audit("act.create", staff, act)
        return act


def involvement_add(
    *, ring: KeyRing | None, staff: Staff, reference: str, act_id: Any, data: InvolvementData
) -> Involvement:
    require(staff, Role.DOCUMENTER)
    incident, key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        act_counts.lock(incident)  # the incident's dates as they are now, for the term index
        act = Act.objects.filter(incident=incident, pk=act_id).first()
        if act is None:
            raise NotFound(_("No such act."))
        involvement = _involvement(key, act, data)
        involvement.save(force_insert=True)
        term_index.terms_add(incident, [involvement.perpetrator_type_id], [involvement.perpetrator_id])
        _touch(incident)
        _audit("involvement.create", staff, involvement)
        return involvement


# ---------------------------------------------------------------------------------- sources, information


@dataclass(frozen=True)
class SourceData:
    kind: str
    reliability: str
    name: str = ""
    contact: str = ""
    description: str = ""


@transaction.atomic
def source_create(*, staff: Staff, data: SourceData) -> tuple[Source, bytes]:
    """A source under its own key set (its identity is the most dangerous thing Ferry keeps), sealed to
    its author, the documentation team and the escrow key."""
    require(staff, Role.DOCUMENTER)
    if data.kind not in Source.Kind.values:
        raise DocumentationError(_("Choose what kind of source this is."))
    if data.reliability not in Source.Reliability.values:
        raise DocumentationError(_("Grade the source's reliability from A to F."))
    key_set, key = _keyset_for({staff.pk, *documentation_team()}, staff)
    source = Source(
        key_set=key_set, kind=data.kind, reliability=data.reliability, created_at=timezone.now(), created_by=staff
    )
    keysets.seal_json(
        key,
        source,
        "identity",
        {"name": _clean(data.name), "contact": _clean(data.contact), "description": _clean(data.description)},
    )
    _saved_with_reference(source)
    _audit("source.create", staff, source)
    return source, key


def information_add(
    *,
    ring: KeyRing | None,
    staff: Staff,
    reference: str,
    source_reference: str,
    credibility: int,
    received_on: date,
    summary: str,
) -> Information:
    """What a source said of the incident, graded 1 to 6. The documenter must be able to open both."""
    require(staff, Role.DOCUMENTER)
    incident, key = access_incident(ring=ring, staff=staff, reference=reference)
    source, _source_key = access_source(ring=ring, staff=staff, reference=source_reference.strip().upper())
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        if credibility not in Information.Credibility.values:
            raise DocumentationError(_("Grade the information from 1 to 6."))
        if received_on > timezone.localdate():
            raise DocumentationError(_("The date it was received is in the future."))
        info = Information(
            incident=incident,
            key_set_id=incident.key_set_id,
            source=source,
            credibility=credibility,
            received_on=received_on,
        )
        keysets.seal_field(key, info, "summary", _clean(summary))
        info.save(force_insert=True)
        _touch(incident)
        _audit("information.create", staff, info)
        return info


def intervention_add(
    *, ring: KeyRing | None, staff: Staff, reference: str, kind: str, on: date, detail: str
) -> Intervention:
    require(staff, Role.DOCUMENTER)
    incident, key = access_incident(ring=ring, staff=staff, reference=reference)
    # The door first, outside the transaction: a refusal is audited even though nothing else is saved.
    with transaction.atomic():
        if kind not in Intervention.Kind.values:
            raise DocumentationError(_("Choose what was done from the list."))
        if on > timezone.localdate():
            raise DocumentationError(_("The date is in the future."))
        intervention = Intervention(incident=incident, key_set_id=incident.key_set_id, kind=kind, on=on, by=staff)
        keysets.seal_field(key, intervention, "detail", _clean(detail))
        intervention.save(force_insert=True)
        _touch(incident)
        _audit("intervention.create", staff, intervention)
        return intervention


# ------------------------------------------------------------------------------ perpetrators and places


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", without_bidi(name)).strip().casefold()


def _unique_or_conflict(save: Callable[[], M], message: str) -> M:
    """Run an insert guarded by a unique constraint; a duplicate (even one racing in) is a clear refusal."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise DocumentationError(message) from None


@dataclass(frozen=True)
class PerpetratorData:
    kind: str
    perpetrator_type: int | str
    name_original: str
    name_translit: str = ""
    country: str = ""


def perpetrator_create(*, staff: Staff, data: PerpetratorData) -> Perpetrator:
    """A perpetrator entity in the clear register; private individuals are refused (their identity goes
    into an involvement's sealed detail, never into the register)."""
    require(staff, Role.DOCUMENTER)
    if data.kind not in Perpetrator.Kind.values:
        raise DocumentationError(_("Choose whether this is a person, a unit or an institution."))
    kind = _term(Vocabulary.PERPETRATOR_TYPE, data.perpetrator_type)
    if kind.private:
        raise DocumentationError(
            _("Private individuals are not entered in the register: describe them in the act's sealed detail.")
        )
    name = _clean(data.name_original)
    if not name:
        raise DocumentationError(_("Give the name as it is written in the original script."))
    if data.country and not is_country(data.country):
        raise DocumentationError(_("Choose a country from the list."))
    key = name_key(name)
    duplicate = _("A perpetrator with this name is already in the register.")
    if Perpetrator.objects.filter(kind=data.kind, name_key=key).exists():
        raise DocumentationError(duplicate)
    perpetrator = _unique_or_conflict(
        lambda: Perpetrator.objects.create(
            kind=data.kind,
            perpetrator_type=kind,
            name_original=name,
            name_translit=_clean(data.name_translit),
            name_key=key,
            country=data.country,
            created_at=timezone.now(),
            created_by=staff,
        ),
        duplicate,
    )
    audit_record(action="perpetrator.create", actor_id=staff.pk, object_type="perpetrator", object_id=perpetrator.pk)
    return perpetrator


def position_add(
    *,
    staff: Staff,
    perpetrator: Perpetrator,
    unit_id: int | None,
    title: str,
    rank: str,
    start: date | None,
    end: date | None,
) -> Position:
    require(staff, Role.DOCUMENTER)
    unit = None
    if unit_id is not None:
        unit = Perpetrator.objects.filter(pk=unit_id).exclude(kind=Perpetrator.Kind.PERSON).first()
        if unit is None or unit.pk == perpetrator.pk:
            raise DocumentationError(_("Choose a unit or an institution from the register."))
    if start and end and end < start:
        raise DocumentationError(_("The end date is before the start date."))
    position = Position.objects.create(
        perpetrator=perpetrator, unit=unit, title=_clean(title), rank=_clean(rank), start_date=start, end_date=end
    )
    audit_record(action="perpetrator.position", actor_id=staff.pk, object_type="perpetrator", object_id=perpetrator.pk)
    return position


def perpetrator_link_add(*, staff: Staff, source: Perpetrator, target_id: int, kind: str) -> PerpetratorLink:
    require(staff, Role.DOCUMENTER)
    target = Perpetrator.objects.filter(pk=target_id).first()
    if target is None or target.pk == source.pk:
        raise DocumentationError(_("Choose another entity from the register."))
    if kind not in PerpetratorLink.Kind.values:
        raise DocumentationError(_("Choose how they are linked."))
    link = _unique_or_conflict(
        lambda: PerpetratorLink.objects.create(source=source, target=target, kind=kind),
        _("These two are already linked that way."),
    )
    audit_record(action="perpetrator.link", actor_id=staff.pk, object_type="perpetrator", object_id=source.pk)
    return link


def place_create(*, staff: Staff, name: str, name_translit: str, kind: str, country: str, subdivision: str) -> Place:
    require(staff, Role.DOCUMENTER)
    _location_check(country, subdivision)
    if kind not in Place.Kind.values:
        raise DocumentationError(_("Choose what kind of place this is."))
    clean = _clean(name)
    if not clean:
        raise DocumentationError(_("Give the place a name."))
    place = _unique_or_conflict(
        lambda: Place.objects.create(
            name=clean,
            name_translit=_clean(name_translit),
            kind=kind,
            country=country,
            subdivision=subdivision,
            created_at=timezone.now(),
            created_by=staff,
        ),
        _("A place with this name is already recorded in this country."),
    )
    audit_record(action="place.create", actor_id=staff.pk, object_type="place", object_id=place.pk)
    return place
