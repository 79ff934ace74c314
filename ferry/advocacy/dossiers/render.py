"""A dossier as it leaves Ferry: a PDF (WeasyPrint, as referral packets and custody reports) or JSON for counsel,
with the same content, in the language the analyst chose. Either is handed to the release (advocacy.releases):
a second analyst approves it before anyone outside gets it."""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ferry.accounts.models import Staff
from ferry.advocacy.dossiers.build import DATE_SETTINGS, Dossier, KnownDate, dossier_build
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output, ReleaseError
from ferry.core.pdf import html_pdf
from ferry.incidents.models import Information, Source
from ferry.vault.keyring import KeyRing

LANGUAGES = ("en", "ru")
FORMATS = ("pdf", "json")
# Said once, in the release's clear record and in the JSON: what a dossier never carries.
REDACTED = [
    "victims",
    "sources_identity",
    "source_references",
    "case_references",
    "incident_references",
    "evidence_references",
    "exact_locations",
    "place_names",
    "narratives_and_notes",
    "involvement_detail",
    "staff_names",
]


def _date(value: KnownDate | None) -> dict[str, str] | None:
    return None if value is None else {"date": value.iso, "precision": value.precision, "text": value.text}


def dossier_json(dossier: Dossier) -> dict[str, Any]:
    """The dossier as data, field by field (never a dump of the objects: the staff-only references stay out)."""
    p = dossier.perpetrator
    return {
        "dossier": {
            "language": dossier.language,
            "prepared_on": dossier.prepared_on.isoformat(),
            "date_precision": dossier.date_setting,
            "place_precision": "subdivision",
            "redacted": REDACTED,
            "complete": dossier.complete,
            "verified_acts_not_included": dossier.acts_not_shared,
            "evidence_items_not_included": dossier.exhibits_not_openable,
        },
        "entity": {
            "name_original": p.name_original,
            "name_transliterated": p.name_translit,
            "kind": {"code": dossier.kind_code, "label": dossier.kind},
            "perpetrator_type": {"code": dossier.perpetrator_type_code, "label": dossier.perpetrator_type},
            "country": {"code": p.country, "name": dossier.country},
            "identifiers": [{"label": label, "value": value} for label, value in dossier.identifiers],
            "positions": [{k: v for k, v in pos.items() if not k.endswith("_text")} for pos in dossier.positions],
            "links": [
                {"relation": r.text, "entity": r.other, "direction": "outgoing" if r.outgoing else "incoming"}
                for r in dossier.relations
            ],
            "members": [
                {
                    "name_original": m.name_original,
                    "name_transliterated": m.name_translit,
                    "title": m.title,
                    "rank": m.rank,
                    "verified_acts": m.verified_acts,
                }
                for m in dossier.members
            ],
        },
        "events": [
            {
                "event": e.number,
                "country": e.country,
                "subdivision": e.subdivision,
                "place": e.place,
                "verification": e.verification,
                "gradings": [
                    {"reliability": g.reliability, "credibility": g.credibility, "source_kind": g.source_kind}
                    for g in e.gradings
                ],
                "reliability_counts": dict(e.reliability_counts),
                "credibility_counts": {str(k): v for k, v in e.credibility_counts},
                "claims": e.claims,
                "exhibits": e.exhibits,
            }
            for e in dossier.events
        ],
        "claims": [
            {
                "claim": c.number,
                "event": c.event,
                "act_type": {"code": c.act_type_code, "label": c.act_type},
                "method": {"code": c.method_code, "label": c.method} if c.method_code else None,
                "consequence": {"code": c.consequence_code, "label": c.consequence} if c.consequence_code else None,
                "degree": {"code": c.degree_code, "label": c.degree},
                "start": _date(c.start),
                "end": _date(c.end),
                "supported_by_exhibits": c.supported_by,
                "contradicted_by_exhibits": c.contradicted_by,
                "no_supporting_exhibit": c.flagged,
            }
            for c in dossier.claims
        ],
        "exhibits": [
            {
                "exhibit": x.number,
                "event": x.event,
                "kind": {"code": x.kind_code, "label": x.kind},
                "working_copy": {"of_exhibit": x.copy_of, "kind": x.copy_kind} if x.copy_kind else None,
                "sha256": x.sha256,
                "size": x.size,
                "custody": {
                    "acquired_on": x.acquired_on.isoformat(),
                    "events": x.custody_events,
                    "last_hash_check_on": x.last_check_on.isoformat() if x.last_check_on else None,
                    "last_hash_check_matched": x.last_check_ok,
                    "chain_verifies": x.chain_ok,
                },
                "supports_claims": x.supports,
                "contradicts_claims": x.contradicts,
            }
            for x in dossier.exhibits
        ],
        "methodology": methodology(dossier),
    }


def methodology(dossier: Dossier) -> list[str]:
    """How the dossier was made, in its language: printed at the end of the PDF, carried in the JSON."""
    said = [
        _(
            "Verified: an incident is marked verified by a second documenter, never the person who recorded it, "
            "after checking its sources and evidence. Only acts of verified incidents are claimed here; acts of "
            "incidents that are unverified, partly verified or disputed are left out."
        ),
        _(
            "Claims: each claim is the entity's own part in one act, as the documentation records it (direct "
            "perpetrator, ordered it, present, failed to investigate, or unknown). Acts recorded against members "
            "of a unit are not claimed against the unit; the members are listed with the number of verified "
            "acts in their own dossiers."
        ),
        _(
            "Sources: each source's reliability is graded from A to F and each piece of information it gave from "
            "1 to 6 (the NATO Admiralty scale), as follows."
        ),
        " · ".join(str(label) for label in Source.Reliability.labels),
        " · ".join(str(label) for label in Information.Credibility.labels),
        _(
            "Evidence: the SHA-256 of each file was taken over its original bytes when it was acquired and sealed "
            "with its record; the file is kept encrypted and never altered. Each custody event's hash covers the "
            "one before it and is anchored in the organisation's audit log, so an event changed, removed or "
            "inserted breaks the chain. A hash re-check decrypts the file and compares its SHA-256 with the one "
            "taken at acquisition. Anyone holding a copy of a file can compare its SHA-256 with the one listed."
        ),
        _(
            "Evidence read against claims: analysts mark which exhibits support a claim and which contradict it; "
            "both are listed. A claim that no exhibit supports is flagged."
        ),
        _(
            "Redacted: victims (names, any identifying detail, their link to a case), sources (who they are, "
            "their references), every internal reference (cases, incidents, evidence), exact locations and named "
            "places, narratives and notes, the detail recorded with each involvement, and the names of the "
            "organisation's staff. Places are given to the region (ISO 3166-2 subdivision). Claims and exhibits "
            "are numbered within this dossier only."
        ),
    ]
    if dossier.date_setting == "month":
        said.append(_("Dates are given to the month at most, even where the day is known."))
    else:
        said.append(_("Dates are given as precisely as they are known, and never more precisely."))
    if not dossier.complete:
        said.append(
            _(
                "This dossier is not complete: the analyst who prepared it could not open every incident and "
                "evidence item recorded against this entity (verified acts left out: %(acts)s; evidence items left "
                "out: %(items)s)."
            )
            % {"acts": dossier.acts_not_shared, "items": dossier.exhibits_not_openable}
        )
    return said


def dossier_pdf(dossier: Dossier) -> bytes:
    html = render_to_string("advocacy/dossiers/pdf.html", {"dossier": dossier, "method": methodology(dossier)})
    return html_pdf(html)


def dossier_output(
    *, ring: KeyRing | None, staff: Staff, perpetrator_id: int, language: str, format: str, date_setting: str = "day"
) -> Output:
    """Build the dossier in the chosen language and render it, ready for the release."""
    if language not in LANGUAGES:
        raise ReleaseError(_("Choose English or Russian."))
    if format not in FORMATS:
        raise ReleaseError(_("Choose PDF or JSON."))
    if date_setting not in DATE_SETTINGS:
        raise ReleaseError(_("Choose how precise the dates may be."))
    with translation.override(language):
        dossier = dossier_build(ring=ring, staff=staff, perpetrator_id=perpetrator_id, date_setting=date_setting)
        if format == "pdf":
            content = dossier_pdf(dossier)
        else:
            text = json.dumps(dossier_json(dossier), ensure_ascii=False, indent=2)
            content = text.encode("utf-8")
        title = _("Dossier: %(name)s") % {"name": dossier.perpetrator.name_original}
    return Output(
        kind=Release.Kind.DOSSIER,
        format=format,
        content=content,
        title=title,
        filename=f"dossier-{perpetrator_id}-{language}.{format}",
        language=language,
        question={"perpetrator": perpetrator_id, "claims": len(dossier.claims), "exhibits": len(dossier.exhibits)},
        disclosure={"date_precision": date_setting, "place_precision": "subdivision", "redacted": REDACTED},
        suppressed={
            "verified_acts_not_included": dossier.acts_not_shared,
            "evidence_items_not_included": dossier.exhibits_not_openable,
            "claims_without_supporting_exhibit": [c.number for c in dossier.flagged],
        },
    )
