"""Writes of the government response tracker: governments and bodies, what the organisation asked of them,
and what they said or did. All in clear (ferry/advocacy/models.py says why); an ask names incidents and
releases by reference only. Every write needs an analyst, runs in one transaction and is audited by id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ferry.accounts.models import Role, Staff
from ferry.advocacy.models import Ask, Government, Release, Response
from ferry.advocacy.tracker.seed import COMMON_BODIES
from ferry.audit.services import audit_record
from ferry.core.errors import FerryError
from ferry.core.permissions import require
from ferry.core.text import without_bidi
from ferry.incidents.models import Incident
from ferry.intake.places import is_country

NAME_MAX = 160
SUMMARY_MAX = 4000
SOURCE_MAX = 500
QUOTE_MAX = 4000
# An ask rests on a handful of incidents or figures; more is a paste gone wrong.
REFERENCES_MAX = 200
EARLIEST = date(1945, 1, 1)


class TrackerError(FerryError):
    """A write the tracker refuses; the message says what to change."""


def _clean(text: str) -> str:
    return without_bidi((text or "").strip())


def _text(text: str, limit: int, too_long: str) -> str:
    clean = _clean(text)
    if len(clean) > limit:
        raise TrackerError(too_long % {"limit": limit})
    return clean


def _day(value: date | None, missing: str) -> date:
    if value is None:
        raise TrackerError(missing)
    if value > timezone.localdate():
        raise TrackerError(_("The date cannot be in the future."))
    if value < EARLIEST:
        raise TrackerError(_("The date is too far in the past."))
    return value


def _audit(action: str, staff: Staff, noun: str, pk: int) -> None:
    audit_record(action=action, actor_id=staff.pk, object_type=noun, object_id=pk)


# ---------------------------------------------------------------------------------------------- governments


def _government_fields(*, kind: str, name_en: str, name_ru: str, country: str) -> dict[str, str]:
    if kind not in Government.Kind.values:
        raise TrackerError(_("Choose what kind of government or body this is."))
    too_long = _("A name can have at most %(limit)d characters.")
    english, russian = _text(name_en, NAME_MAX, too_long), _text(name_ru, NAME_MAX, too_long)
    if not english:
        raise TrackerError(_("Give the name in English."))
    if not russian:
        raise TrackerError(_("Give the name in Russian."))
    country = _clean(country).upper()
    if country and not is_country(country):
        raise TrackerError(_("Choose a country from the list."))
    if kind == Government.Kind.STATE and not country:
        raise TrackerError(_("Choose the country of this state."))
    return {"kind": kind, "name_en": english, "name_ru": russian, "country": country}


def _saved_once(government: Government) -> None:
    try:
        with transaction.atomic():
            government.save()
    except IntegrityError:
        raise TrackerError(_("A government or body with this English name is already listed.")) from None


def government_create(*, staff: Staff, kind: str, name_en: str, name_ru: str, country: str = "") -> Government:
    require(staff, Role.ANALYST)
    fields = _government_fields(kind=kind, name_en=name_en, name_ru=name_ru, country=country)
    with transaction.atomic():
        government = Government(created_at=timezone.now(), **fields)
        _saved_once(government)
        _audit("government.created", staff, "government", government.pk)
    return government


def government_update(
    *, staff: Staff, government: Government, kind: str, name_en: str, name_ru: str, country: str = ""
) -> Government:
    require(staff, Role.ANALYST)
    fields = _government_fields(kind=kind, name_en=name_en, name_ru=name_ru, country=country)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(government, name, value)
        _saved_once(government)
        _audit("government.updated", staff, "government", government.pk)
    return government


def governments_seed(*, staff: Staff) -> list[Government]:
    """Add the bodies and states most organisations press (COMMON_BODIES), skipping any already listed by
    their English name. Returns those added."""
    require(staff, Role.ANALYST)
    added = []
    with transaction.atomic():
        listed = set(Government.objects.values_list("name_en", flat=True))
        for body in COMMON_BODIES:
            if body.name_en in listed:
                continue
            government = Government.objects.create(
                kind=body.kind,
                name_en=body.name_en,
                name_ru=body.name_ru,
                country=body.country,
                created_at=timezone.now(),
            )
            _audit("government.created", staff, "government", government.pk)
            added.append(government)
    return added


# ---------------------------------------------------------------------------------------------------- asks


def references_parsed(text: str) -> list[str]:
    """References typed or pasted as a list (commas, spaces or lines between them), upper-cased, each once."""
    seen: dict[str, None] = {}
    for part in _clean(text).replace(",", " ").replace(";", " ").split():
        seen.setdefault(part.upper(), None)
    return list(seen)


def _unknown_incidents(missing: list[str]) -> str:
    return ngettext(
        "No incident has the reference %(references)s.",
        "No incident has these references: %(references)s.",
        len(missing),
    ) % {"references": ", ".join(missing)}


def _unknown_releases(missing: list[str]) -> str:
    return ngettext(
        "No release has the reference %(references)s.", "No release has these references: %(references)s.", len(missing)
    ) % {"references": ", ".join(missing)}


def _by_reference(
    model: type[Incident] | type[Release], references: Iterable[str], unknown: Callable[[list[str]], str]
) -> list[Any]:
    wanted = [(r or "").strip().upper() for r in references]
    wanted = list(dict.fromkeys(r for r in wanted if r))
    if len(wanted) > REFERENCES_MAX:
        raise TrackerError(_("An ask can rest on at most %(limit)d references.") % {"limit": REFERENCES_MAX})
    found = dict(model.objects.filter(reference__in=wanted).values_list("reference", "pk"))
    missing = [r for r in wanted if r not in found]
    if missing:
        # The references the person typed themselves, said back to them: nothing they did not know.
        raise TrackerError(unknown(missing))
    return [found[r] for r in wanted]


def ask_create(
    *,
    staff: Staff,
    government: Government,
    kind: str,
    asked_on: date | None,
    summary: str,
    incidents: Iterable[str] = (),
    releases: Iterable[str] = (),
) -> Ask:
    """What the organisation asked of a government, and the incidents and releases it rested on (each must
    exist: an unknown reference is refused by name, and nothing is saved)."""
    require(staff, Role.ANALYST)
    if kind not in Ask.Kind.values:
        raise TrackerError(_("Choose what was asked."))
    day = _day(asked_on, _("Give the date of the ask."))
    text = _text(summary, SUMMARY_MAX, _("The summary can have at most %(limit)d characters."))
    if not text:
        raise TrackerError(_("Say in a few words what was asked."))
    incident_ids = _by_reference(Incident, incidents, _unknown_incidents)
    release_ids = _by_reference(Release, releases, _unknown_releases)
    with transaction.atomic():
        ask = Ask.objects.create(
            government=government,
            kind=kind,
            asked_on=day,
            summary=text,
            created_by=staff,
            created_at=timezone.now(),
        )
        ask.incidents.set(incident_ids)
        ask.releases.set(release_ids)
        _audit("ask.created", staff, "ask", ask.pk)
    return ask


# ----------------------------------------------------------------------------------------------- responses


def response_record(
    *,
    staff: Staff,
    government: Government,
    kind: str,
    on: date | None,
    ask: Ask | int | None = None,
    source: str = "",
    quote: str = "",
) -> Response:
    """What a government said or did: an answer to one of its own asks, or unprompted."""
    require(staff, Role.ANALYST)
    if kind not in Response.Kind.values:
        raise TrackerError(_("Choose what the government did."))
    day = _day(on, _("Give the date of the response."))
    answered = _ask_of(government, ask)
    if answered is not None and day < answered.asked_on:
        raise TrackerError(_("A response to an ask cannot come before the ask."))
    where = _text(source, SOURCE_MAX, _("The source can have at most %(limit)d characters."))
    said = _text(quote, QUOTE_MAX, _("The quote can have at most %(limit)d characters."))
    with transaction.atomic():
        response = Response.objects.create(
            government=government,
            ask=answered,
            kind=kind,
            on=day,
            source=where,
            quote=said,
            created_by=staff,
            created_at=timezone.now(),
        )
        _audit("response.recorded", staff, "response", response.pk)
    return response


def _ask_of(government: Government, ask: Ask | int | None) -> Ask | None:
    if ask is None:
        return None
    ask_id = ask.pk if isinstance(ask, Ask) else ask
    found = Ask.objects.filter(pk=ask_id, government=government).first()
    if found is None:
        raise TrackerError(_("The ask answered must be one made to this government."))
    return found
