"""Perpetrator dossiers: every verified act of the entity with its evidence by hash and its sources graded, and
none of the victims, sources, references, places or narratives; claims marked against the evidence that supports
or contradicts them; prepared as a release that a second analyst approves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import formats, timezone, translation

from ferry.advocacy import releases
from ferry.advocacy.dossiers import claims
from ferry.advocacy.dossiers.build import dossier_build
from ferry.advocacy.dossiers.render import dossier_output
from ferry.advocacy.models import ClaimEvidence, Release
from ferry.audit.models import AuditEntry
from ferry.core.errors import NotFound, Refused
from ferry.incidents import services as documentation
from ferry.incidents.evidence import EvidenceData, evidence_add, evidence_recheck
from ferry.incidents.models import Act, Evidence, Incident, Involvement, Perpetrator
from ferry.incidents.services import ActData, InvolvementData, PartialDate, SourceData, VictimData
from tests.cases.conftest import staff_client
from tests.cases.test_referrals import pdf_text
from tests.incidents.conftest import incident_data, ring_of

pytestmark = pytest.mark.django_db

VICTIM = "Ruslan Vakhayev"
SOURCE_NAME = "Zelimkhan Dudayev"
SOURCE_CONTACT = "+7 928 000 11 22"
NARRATIVE = "Held for two weeks in the basement and beaten."
LOCATION = "the old base by the river"
NOTES = "Interview by phone."
PHOTO = b"photo of the basement cell, frame 12"
REPORT = b"forensic report: no injuries recorded"
PHOTO_NAME = "cell-Ruslan.jpg"
HOW = "Sent by Zelimkhan over Signal"


@dataclass
class World:
    people: dict[str, Any]
    unit: Perpetrator
    member: Perpetrator
    verified: Incident
    unverified: Incident
    hidden: Incident  # verified, restricted, never shared with the analyst
    photo: Evidence
    report: Evidence
    other_evidence: Evidence  # of the unverified incident
    torture: Involvement  # the unit's part in the torture (month precision)
    detention: Involvement  # the unit's part in the detention (day precision)


def _who(person: Any) -> dict[str, Any]:
    return {"ring": ring_of(person), "staff": person.staff}


def _incident(doc: Any, *, restricted: bool = False, **data: Any) -> Incident:
    incident, _key = documentation.incident_create(
        staff=doc.staff,
        data=incident_data(narrative=NARRATIVE, location=LOCATION, notes=NOTES, **data),
        restricted=restricted,
    )
    return incident


def _victim(doc: Any, incident: Incident) -> Any:
    return documentation.victim_add(**_who(doc), reference=incident.reference, data=VictimData(name=VICTIM, age="24"))


def _act(
    doc: Any, incident: Incident, victim: Any, act_type: str, start: PartialDate, *parts: InvolvementData, **more: Any
) -> Act:
    return documentation.act_add(
        **_who(doc),
        reference=incident.reference,
        data=ActData(victim_id=victim.pk, act_type=act_type, start=start, involvements=parts, notes=NOTES, **more),
    )


def _verify(doc2: Any, incident: Incident) -> None:
    version = Incident.objects.get(pk=incident.pk).version
    documentation.incident_verify(**_who(doc2), reference=incident.reference, version=version, status="verified")


@pytest.fixture
def world(analysts: dict[str, Any], make_staff: Any) -> World:
    """A unit and one of its members in the register; a verified incident with two acts of the unit (one also of
    the member), two graded sources with identities and two evidence items of known SHA-256, shared with the
    analyst; an unverified incident with an act of the unit, shared too; and a verified, restricted incident
    with an act of the unit that the analyst was never given."""
    people = {**analysts, "doc2": make_staff("documenter")}
    doc, doc2, analyst = people["doc"], people["doc2"], people["analyst"]
    unit = documentation.perpetrator_create(
        staff=doc.staff,
        data=documentation.PerpetratorData(
            kind="unit",
            perpetrator_type="police",
            name_original="Полк ППС Терек",
            name_translit="Terek regiment",
            country="RU",
        ),
    )
    member = documentation.perpetrator_create(
        staff=doc.staff,
        data=documentation.PerpetratorData(
            kind="person", perpetrator_type="police", name_original="Кадыров Адам", name_translit="Adam Kadyrov"
        ),
    )
    documentation.position_add(
        staff=doc.staff,
        perpetrator=member,
        unit_id=unit.pk,
        title="Deputy commander",
        rank="Major",
        start=None,
        end=None,
    )
    # The verified incident: two acts, two sources, two evidence items.
    verified = _incident(doc)
    victim = _victim(doc, verified)
    unit_direct = InvolvementData(perpetrator_id=unit.pk, degree="direct", detail=f"{VICTIM}'s cousin saw them")
    torture = _act(
        doc,
        verified,
        victim,
        "torture",
        PartialDate(2017, 3, None, "month"),
        unit_direct,
        InvolvementData(perpetrator_id=member.pk, degree="present"),
        method="electric-shocks",
        consequence="injury",
    )
    detention = _act(
        doc,
        verified,
        victim,
        "arbitrary-detention",
        PartialDate(2017, 2, 20, "day"),
        InvolvementData(perpetrator_id=unit.pk, degree="ordered"),
    )
    person, _key = documentation.source_create(
        staff=doc.staff, data=SourceData(kind="person", reliability="B", name=SOURCE_NAME, contact=SOURCE_CONTACT)
    )
    media, _key = documentation.source_create(
        staff=doc.staff, data=SourceData(kind="media", reliability="C", name="Novaya")
    )
    received = timezone.localdate() - timedelta(days=30)
    for source, grade in ((person, 2), (media, 3)):
        documentation.information_add(
            **_who(doc),
            reference=verified.reference,
            source_reference=source.reference,
            credibility=grade,
            received_on=received,
            summary=f"{VICTIM} told us",
        )
    photo = evidence_add(
        **_who(doc),
        reference=verified.reference,
        content=PHOTO,
        data=EvidenceData(
            name=PHOTO_NAME,
            content_type="image/jpeg",
            kind="photo",
            how=HOW,
            description=f"{VICTIM} in the cell",
            source_reference=person.reference,
        ),
    )
    report = evidence_add(
        **_who(doc),
        reference=verified.reference,
        content=REPORT,
        data=EvidenceData(name="report.pdf", content_type="application/pdf", kind="document", how="Court file"),
    )
    evidence_recheck(**_who(doc), reference=photo.reference)
    documentation.incident_share(**_who(doc), reference=verified.reference, colleague_id=analyst.staff.pk)
    _verify(doc2, verified)
    # An unverified incident: its act is never claimed.
    unverified = _incident(doc, start=PartialDate(2017, 4, 2, "day"), end=None)
    abducted = _victim(doc, unverified)
    _act(
        doc,
        unverified,
        abducted,
        "abduction",
        PartialDate(2017, 4, 2, "day"),
        InvolvementData(perpetrator_id=unit.pk, degree="direct"),
    )
    other = evidence_add(
        **_who(doc),
        reference=unverified.reference,
        content=b"other",
        data=EvidenceData(name="o.txt", content_type="text/plain", kind="document", how="h"),
    )
    documentation.incident_share(**_who(doc), reference=unverified.reference, colleague_id=analyst.staff.pk)
    # A verified, restricted incident the analyst never got.
    hidden = _incident(doc, restricted=True, start=PartialDate(2017, 5, 1, "day"), end=None)
    documentation.incident_share(**_who(doc), reference=hidden.reference, colleague_id=doc2.staff.pk)
    extorted = _victim(doc, hidden)
    _act(
        doc,
        hidden,
        extorted,
        "extortion",
        PartialDate(2017, 5, 1, "day"),
        InvolvementData(perpetrator_id=unit.pk, degree="direct"),
    )
    _verify(doc2, hidden)
    return World(
        people=people,
        unit=unit,
        member=member,
        verified=verified,
        unverified=unverified,
        hidden=hidden,
        photo=photo,
        report=report,
        other_evidence=other,
        torture=Involvement.objects.get(act=torture, perpetrator=unit),
        detention=Involvement.objects.get(act=detention, perpetrator=unit),
    )


def _marked(world: World) -> None:
    analyst = world.people["analyst"]
    claims.claim_evidence_set(
        **_who(analyst), involvement_id=world.torture.pk, evidence_reference=world.photo.reference, stance="supports"
    )
    claims.claim_evidence_set(
        **_who(analyst),
        involvement_id=world.detention.pk,
        evidence_reference=world.report.reference,
        stance="contradicts",
    )


def _secrets(world: World) -> list[str]:
    return [
        VICTIM,
        "Ruslan",
        SOURCE_NAME,
        SOURCE_CONTACT,
        "Novaya",
        NARRATIVE,
        LOCATION,
        NOTES,
        PHOTO_NAME,
        HOW,
        "cousin",
        world.verified.reference,
        world.unverified.reference,
        world.hidden.reference,
        world.photo.reference,
        world.report.reference,
        world.other_evidence.reference,
        *list(world.verified.information.values_list("source__reference", flat=True)),
        world.people["doc"].staff.name,
        world.people["analyst"].staff.name,
    ]


def test_the_pdf_holds_the_claims_evidence_and_grades_and_nothing_of_victims_or_sources(world: World) -> None:
    # Given the analyst marked the photo as supporting the torture, and the report as contradicting the detention
    _marked(world)
    analyst = world.people["analyst"]
    # When they prepare the dossier of the unit as a PDF in English
    output = dossier_output(**_who(analyst), perpetrator_id=world.unit.pk, language="en", format="pdf")
    text = pdf_text(output.content)
    flat = " ".join(text.split())
    # Then it names the unit and its member, the acts of the verified incident, each exhibit's SHA-256 and the grades
    assert "Полк ППС Терек" in flat
    assert "Terek regiment" in flat
    assert "Кадыров Адам" in flat
    assert "Deputy commander" in flat
    assert "Torture and ill-treatment" in flat
    assert "Electric shocks" in flat
    assert "Physical injury" in flat
    assert "Arbitrary detention" in flat
    assert hashlib.sha256(PHOTO).hexdigest() in flat
    assert hashlib.sha256(REPORT).hexdigest() in flat
    assert "B2 (Person)" in flat
    assert "C3 (Media item)" in flat
    assert "Chechenskaya Respublika, Russia" in flat  # the subdivision, and no finer place
    # and the evidence that contradicts a claim is listed, and the claim no exhibit supports is flagged
    assert "Contradicted by: Exhibit 2" in flat
    assert "Supported by: Exhibit 1" in flat
    assert "No exhibit supports this claim." in flat
    # and dates are given at their precision: the torture's month, never a day it does not know
    with translation.override("en"):
        month = formats.date_format(world.torture.act.start_date, "YEAR_MONTH_FORMAT")
        day = formats.date_format(world.torture.act.start_date, "DATE_FORMAT")
        detention_day = formats.date_format(world.detention.act.start_date, "DATE_FORMAT")
    assert month in flat
    assert day not in flat
    assert detention_day in flat
    # and the verified act of an incident the analyst cannot open is said to be left out, not silently dropped
    assert (
        "1 further verified act is recorded against this entity in an incident the preparing analyst cannot open"
        in flat
    )
    assert "Methodology" in flat
    # and nothing of the victim, the sources, the references, the place or the narrative is in it
    for secret in _secrets(world):
        assert secret not in flat, secret
    # and neither is the unverified act, nor the act of the incident not shared
    assert "Abduction" not in flat
    assert "Extortion" not in flat
    assert output.kind == Release.Kind.DOSSIER
    assert output.suppressed["verified_acts_not_included"] == 1
    # (claims follow the acts' dates: the detention in February is claim 1)
    assert output.suppressed["claims_without_supporting_exhibit"] == [1]


def test_the_json_has_the_same_content_for_counsel(world: World) -> None:
    # Given marks on both claims
    _marked(world)
    # When the dossier is prepared as JSON in Russian
    output = dossier_output(**_who(world.people["analyst"]), perpetrator_id=world.unit.pk, language="ru", format="json")
    text = output.content.decode("utf-8")
    data = json.loads(text)
    # Then it carries the claims with their exhibits, codes and labels in Russian, and the hashes
    assert data["entity"]["name_original"] == "Полк ППС Терек"
    by_type = {c["act_type"]["code"]: c for c in data["claims"]}
    assert len(data["claims"]) == 2  # the unit's own parts; the member's presence is the member's claim
    assert set(by_type) == {"torture", "arbitrary-detention"}
    assert by_type["torture"]["act_type"]["label"] == "Пытки и жестокое обращение"
    assert by_type["torture"]["start"]["date"] == "2017-03"
    assert by_type["torture"]["start"]["precision"] == "month"
    assert by_type["torture"]["supported_by_exhibits"] == [1]
    assert by_type["arbitrary-detention"]["contradicted_by_exhibits"] == [2]
    assert by_type["arbitrary-detention"]["no_supporting_exhibit"] is True
    hashes = {x["exhibit"]: x["sha256"] for x in data["exhibits"]}
    assert hashes == {1: hashlib.sha256(PHOTO).hexdigest(), 2: hashlib.sha256(REPORT).hexdigest()}
    photo = data["exhibits"][0]["custody"]
    assert photo["events"] == 2
    assert photo["chain_verifies"] is True
    assert photo["last_hash_check_matched"] is True
    assert data["events"][0]["subdivision"] == "RU-CE"
    assert sorted((g["reliability"], g["credibility"]) for g in data["events"][0]["gradings"]) == [("B", 2), ("C", 3)]
    assert data["dossier"]["verified_acts_not_included"] == 1
    assert data["methodology"]
    # and none of what is redacted, in any field
    for secret in _secrets(world):
        assert secret not in text, secret


def test_dates_can_be_coarsened_to_the_month(world: World) -> None:
    # Given a dossier prepared with dates to the month at most
    output = dossier_output(
        **_who(world.people["analyst"]),
        perpetrator_id=world.unit.pk,
        language="en",
        format="json",
        date_setting="month",
    )
    # Then the day-precise detention is given to its month only
    data = json.loads(output.content)
    detention = next(c for c in data["claims"] if c["act_type"]["code"] == "arbitrary-detention")
    with translation.override("en"):
        month = formats.date_format(world.detention.act.start_date, "YEAR_MONTH_FORMAT")
    assert detention["start"] == {"date": "2017-02", "precision": "month", "text": month}


def test_a_members_act_is_claimed_in_the_members_dossier_not_the_units(world: World) -> None:
    # Given the member was present at the torture, when the analyst builds the member's dossier
    dossier = dossier_build(**_who(world.people["analyst"]), perpetrator_id=world.member.pk)
    # Then it claims that one part, with the member's position in the unit
    assert [(c.act_type_code, c.degree_code) for c in dossier.claims] == [("torture", "present")]
    assert dossier.positions[0]["unit"] == "Полк ППС Терек"
    # and the unit's dossier lists the member with one verified act, without claiming it
    unit = dossier_build(**_who(world.people["analyst"]), perpetrator_id=world.unit.pk)
    assert [(m.name_original, m.verified_acts) for m in unit.members] == [("Кадыров Адам", 1)]
    assert {c.degree_code for c in unit.claims} == {"direct", "ordered"}


def test_an_analyst_who_holds_none_of_the_incidents_is_told_what_is_left_out(world: World) -> None:
    # Given a second analyst none of the incidents was shared with
    other = world.people["analyst2"]
    # When they build the unit's dossier
    dossier = dossier_build(**_who(other), perpetrator_id=world.unit.pk)
    # Then it claims nothing and says that three verified acts are left out (the unverified one is not counted)
    assert dossier.claims == []
    assert dossier.exhibits == []
    assert dossier.acts_not_shared == 3
    assert not dossier.complete


def test_marks_need_evidence_of_the_claims_own_incident_and_are_audited(world: World) -> None:
    analyst = world.people["analyst"]
    # Given evidence of another incident, when it is marked against a claim, it is refused and nothing is saved
    with pytest.raises(claims.ClaimEvidenceError):
        claims.claim_evidence_set(
            **_who(analyst),
            involvement_id=world.torture.pk,
            evidence_reference=world.other_evidence.reference,
            stance="supports",
        )
    # and a stance that is neither is refused
    with pytest.raises(claims.ClaimEvidenceError):
        claims.claim_evidence_set(
            **_who(analyst), involvement_id=world.torture.pk, evidence_reference=world.photo.reference, stance="maybe"
        )
    # and an analyst who does not hold the incident is answered as if the claim did not exist
    with pytest.raises(NotFound) as refused:
        claims.claim_evidence_set(
            **_who(world.people["analyst2"]),
            involvement_id=world.torture.pk,
            evidence_reference=world.photo.reference,
            stance="supports",
        )
    with pytest.raises(NotFound) as missing:
        claims.claim_evidence_set(
            **_who(analyst),
            involvement_id="00000000-0000-0000-0000-000000000007",
            evidence_reference=world.photo.reference,
            stance="supports",
        )
    assert str(refused.value) == str(missing.value)
    # and a documenter, whatever they hold, is not the one who marks
    with pytest.raises(Refused):
        claims.claim_evidence_set(
            **_who(world.people["doc"]),
            involvement_id=world.torture.pk,
            evidence_reference=world.photo.reference,
            stance="supports",
        )
    assert not ClaimEvidence.objects.exists()
    # When the analyst marks the photo as supporting, then changes it to contradicting, then removes it
    claims.claim_evidence_set(
        **_who(analyst), involvement_id=world.torture.pk, evidence_reference=world.photo.reference, stance="supports"
    )
    claims.claim_evidence_set(
        **_who(analyst), involvement_id=world.torture.pk, evidence_reference=world.photo.reference, stance="contradicts"
    )
    assert ClaimEvidence.objects.get().stance == "contradicts"
    claims.claim_evidence_remove(
        **_who(analyst), involvement_id=world.torture.pk, evidence_reference=world.photo.reference
    )
    # Then nothing is left and every step is in the audit log, under the involvement's id only
    assert not ClaimEvidence.objects.exists()
    actions = list(AuditEntry.objects.filter(object_id=world.torture.pk.hex).values_list("action", flat=True))
    assert actions == ["claim.evidence_supports", "claim.evidence_contradicts", "claim.evidence_removed"]


def test_the_pages_list_preview_mark_and_prepare_a_release_the_preparer_cannot_approve(world: World) -> None:
    analyst, analyst2 = world.people["analyst"], world.people["analyst2"]
    client = staff_client(analyst)
    # Given the dossier list, it shows the register with each entity's verified acts, and finds by name
    listing = client.get("/staff/advocacy/dossiers/").content.decode()
    assert "Полк ППС Терек" in listing
    assert "Кадыров Адам" in listing
    found = client.post("/staff/advocacy/dossiers/", {"q": "terek"}).content.decode()
    assert "Полк ППС Терек" in found
    assert "Кадыров Адам" not in found
    # When the analyst opens the unit's dossier, both claims are flagged: nothing supports them yet
    url = f"/staff/advocacy/dossiers/{world.unit.pk}/"
    page = client.get(url).content.decode()
    assert page.count("No exhibit supports this claim.") >= 2
    assert hashlib.sha256(PHOTO).hexdigest() in page
    # and they mark the photo as supporting the torture through the page's form
    marked = client.post(
        f"{url}mark/", {"involvement": str(world.torture.pk), "evidence": world.photo.reference, "stance": "supports"}
    )
    assert marked.status_code == 302
    assert ClaimEvidence.objects.filter(involvement=world.torture, evidence=world.photo, stance="supports").exists()
    # and a claim of another entity, or evidence of another incident, is a clear error with nothing saved
    wrong = client.post(
        f"{url}mark/",
        {"involvement": str(world.torture.pk), "evidence": world.other_evidence.reference, "stance": "supports"},
    )
    assert wrong.status_code == 400
    other_claim = Involvement.objects.get(act=world.torture.act, perpetrator=world.member)
    assert (
        client.post(
            f"{url}mark/", {"involvement": str(other_claim.pk), "evidence": world.photo.reference, "stance": "supports"}
        ).status_code
        == 400
    )
    assert ClaimEvidence.objects.count() == 1
    # When they prepare the PDF in Russian
    prepared = client.post(f"{url}prepare/", {"language": "ru", "format": "pdf", "dates": "day"})
    # Then it is a release waiting for a second analyst, which the preparer cannot approve
    assert prepared.status_code == 302
    release = Release.objects.get(kind=Release.Kind.DOSSIER)
    assert prepared["Location"] == f"/staff/advocacy/releases/{release.reference}/"
    assert release.state == Release.State.PENDING
    assert release.language == "ru"
    assert release.format == "pdf"
    with pytest.raises(Refused):
        releases.release_approve(**_who(analyst), reference=release.reference)
    assert client.post(f"/staff/advocacy/releases/{release.reference}/approve/").status_code == 400
    text = " ".join(pdf_text(releases.release_serve(**_who(analyst2), reference=release.reference).content).split())
    assert "Пытки и жестокое" in text  # the label, wrapped in its table cell in the PDF
    for secret in _secrets(world):
        assert secret not in text, secret
    approved = releases.release_approve(**_who(analyst2), reference=release.reference)
    assert approved.state == Release.State.APPROVED
    # and a bad choice is a clear error, with nothing prepared
    assert client.post(f"{url}prepare/", {"language": "de", "format": "pdf"}).status_code == 400
    assert Release.objects.count() == 1


def test_nobody_but_an_analyst_opens_a_dossier(world: World) -> None:
    # Given a documenter and a caseworker, when they ask for the unit's dossier page, they are refused by role
    for who in ("doc", "caseworker"):
        assert staff_client(world.people[who]).get(f"/staff/advocacy/dossiers/{world.unit.pk}/").status_code == 403
    with pytest.raises(Refused):
        dossier_build(**_who(world.people["doc"]), perpetrator_id=world.unit.pk)
    # and a perpetrator that does not exist is not found
    with pytest.raises(NotFound):
        dossier_build(**_who(world.people["analyst"]), perpetrator_id=987_654)
