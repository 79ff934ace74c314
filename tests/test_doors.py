"""Deny by default and one door per record, checked over the whole URL tree.

Every staff view declares its roles (core.permissions.roles) or is explicitly public (login_not_required).
Every staff URL that names a record (a reference, an id) answers a record that exists but is not the
viewer's, and one that does not exist, identically: same status, same body. So does it for a viewer
without the role. A URL added without an entry in RECORDS fails here until someone says how to make one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from ferry.accounts.models import Invitation, SecurityKey, StaffAlert
from ferry.cases.models import Partner, Referral, Stage, Task
from ferry.core.permissions import declared_roles
from ferry.incidents.custody_runs import verify_start
from ferry.incidents.imports import import_start
from ferry.intake.models import Attachment, Request
from tests.cases.conftest import staff_client
from tests.intake.helpers import jpeg_with_gps, submit

pytestmark = pytest.mark.django_db

STAFF_PREFIX = f"{settings.FERRY_STAFF_PATH}/"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "staff/cases/<str:reference>/assign/"
    name: str  # "cases:assign"
    callback: Callable[..., Any]
    kwargs: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            names = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
            yield Route(route=route, name=f"{namespace}{entry.name}", callback=entry.callback, kwargs=names)


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def _is_public(callback: Callable[..., Any]) -> bool:
    return getattr(callback, "login_required", True) is False


def undeclared(found: list[Route]) -> list[str]:
    return [r.route for r in found if not _is_public(r.callback) and not declared_roles(r.callback)]


def test_every_staff_view_declares_its_roles() -> None:
    found = routes()
    assert len([r for r in found if r.route.startswith(STAFF_PREFIX)]) > 40, "the walk must see the staff area"
    assert undeclared(found) == []


def test_the_walk_sees_a_view_that_declares_nothing() -> None:
    def forgotten(request: Any) -> None: ...

    assert undeclared([Route(route="staff/x/", name="x", callback=forgotten, kwargs=())]) == ["staff/x/"]


# --- missing, forbidden and role-less: the same answer ----------------------------------------------------


@pytest.fixture
def world(client: Client, make_staff: Any) -> dict[str, Any]:
    """One of each record a staff URL can name, and people to be refused them."""
    team = {
        "admin": make_staff("administrator"),
        "coordinator": make_staff("coordinator"),
        "caseworker": make_staff("caseworker"),
        "outsider": make_staff("caseworker"),  # a caseworker with no grant to anything here
        "auditor": make_staff("auditor"),  # no role that opens cases, requests or settings
        "documenter": make_staff("documenter"),
        "doc_outsider": make_staff("documenter"),  # a documenter a restricted incident was not shared with
        "analyst": make_staff("analyst"),
        "analyst2": make_staff("analyst"),  # approves what the first prepared
    }
    _response, _code, _ = submit(client, files=[jpeg_with_gps()])
    request = Request.objects.get()
    coordinator = staff_client(team["coordinator"])
    accepted = coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": team["caseworker"].staff.pk},
    )
    assert accepted.status_code == 302
    worker = staff_client(team["caseworker"])
    ref = request.reference
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    owner = team["caseworker"].staff.pk
    assert (
        worker.post(f"/staff/cases/{ref}/task/", {"title": "t", "due_on": tomorrow, "owner": owner}).status_code == 302
    )
    partner = Partner.objects.create(name="Partner")
    answer = worker.post(
        f"/staff/cases/referrals/case/{ref}/",
        {"partner": partner.pk, "destination_country": "DE", "include": ["stage"], "consent": "on"},
    )
    assert answer.status_code == 302
    alert = StaffAlert.objects.create(
        kind=StaffAlert.Kind.CASE_ASSIGNED,
        recipient=team["coordinator"].staff,
        reference=ref,
        created_at=timezone.now(),
    )
    key = SecurityKey.objects.create(
        staff=team["coordinator"].staff, name="k", credential_id=b"c", public_key=b"p", created_at=timezone.now()
    )
    invitation = Invitation.objects.create(
        token_hash="0" * 64,
        email="invited@example.org",
        roles=["caseworker"],
        invited_by=team["admin"].staff,
        created_at=timezone.now(),
        expires_at=timezone.now() + timezone.timedelta(hours=72),
    )
    documented = _documentation(team)
    job = import_start(
        staff=team["documenter"].staff, handle=BytesIO(b"title,start,country\nx,2017,RU\n"), name="s.csv"
    )
    return {
        **team,
        **documented,
        **_advocacy(team),
        "import_job": job.pk,
        "verify_run": verify_start(staff=team["documenter"].staff).pk,
        "reference": ref,
        "invitation": invitation.pk,
        "task": Task.objects.get().pk,
        "attachment": Attachment.objects.get().pk,
        "referral": Referral.objects.get().pk,
        "partner": partner.pk,
        "stage": Stage.objects.first().pk,  # type: ignore[union-attr]
        "alert": alert.pk,
        "security_key": key.pk,
    }


def _documentation(team: dict[str, Any]) -> dict[str, Any]:
    """A restricted incident with a victim, and an entry of the register and of the places."""
    from ferry.incidents import services as documentation
    from ferry.incidents.models import Term
    from ferry.incidents.seed import vocabularies_seed
    from ferry.vault.keyring import KeyRing

    vocabularies_seed(Term)
    author = team["documenter"]
    incident, _key = documentation.incident_create(
        staff=author.staff,
        restricted=True,
        data=documentation.IncidentData(
            title="t", start=documentation.PartialDate(2017, 1, 1, "day"), country="RU", subdivision="RU-CE"
        ),
    )
    ring = KeyRing(staff_id=author.staff.pk, private_key=author.private_key)
    victim = documentation.victim_add(
        ring=ring, staff=author.staff, reference=incident.reference, data=documentation.VictimData(name="v")
    )
    unit = documentation.perpetrator_create(
        staff=author.staff,
        data=documentation.PerpetratorData(kind="unit", perpetrator_type="police", name_original="Unit"),
    )
    place = documentation.place_create(
        staff=author.staff, name="Base", name_translit="", kind="detention", country="RU", subdivision="RU-CE"
    )
    from ferry.incidents.evidence import EvidenceData, evidence_add

    item = evidence_add(
        ring=ring,
        staff=author.staff,
        reference=incident.reference,
        content=b"evidence",
        data=EvidenceData(name="e.txt", content_type="text/plain", kind="document", how="h"),
    )
    return {
        "incident": incident.reference,
        "evidence": item.reference,
        "victim": victim.pk,
        "perpetrator": unit.pk,
        "place": place.pk,
        "term": Term.objects.filter(vocabulary="act_type").first().pk,  # type: ignore[union-attr]
    }


def _advocacy(team: dict[str, Any]) -> dict[str, Any]:
    """A release waiting for approval, and a government of the tracker."""
    from ferry.advocacy.releases import Output, release_prepare
    from ferry.advocacy.tracker.services import government_create
    from ferry.vault.keyring import KeyRing

    analyst = team["analyst"]
    ring = KeyRing(staff_id=analyst.staff.pk, private_key=analyst.private_key)
    output = Output(kind="table", format="csv", content=b"a,b\n", title="t", filename="t.csv")
    government = government_create(staff=analyst.staff, kind="un", name_en="Council", name_ru="Council")
    return {
        "release": release_prepare(ring=ring, staff=analyst.staff, output=output).reference,
        "government": government.pk,
    }


INVENTED_REFERENCE = "ZZZ-ZZZ"
INVENTED_UUID = uuid.UUID(int=7)
INVENTED_INT = 987_654


# For every staff URL that names something: how to name a real one and an invented one, and who, holding
# the roles the view needs, is refused the real one (None where the role alone decides: settings pages).
RECORDS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], dict[str, Any], str | None]] = {}


def _record(
    names: list[str], real: Callable[[dict[str, Any]], dict[str, Any]], invented: dict[str, Any], outsider: str | None
) -> None:
    for name in names:
        RECORDS[name] = (real, invented, outsider)


_record(
    [
        "cases:detail",
        "cases:stage",
        "cases:risk",
        "cases:note",
        "cases:assign",
        "cases:unassign",
        "cases:need",
        "cases:task_add",
        "cases:message",
        "cases:checkin_plan",
        "cases:checkin_record",
        "cases:referrals:create",
        "triage:detail",
        "triage:reply",
        "triage:duplicate",
        "triage:flag",
        "triage:decline",
        "triage:reopen",
        "triage:accept",
        "triage:share",
        "triage:revoke",
    ],
    lambda w: {"reference": w["reference"]},
    {"reference": INVENTED_REFERENCE},
    "outsider",
)
_record(
    ["cases:task_done"],
    lambda w: {"reference": w["reference"], "task_id": w["task"]},
    {"reference": INVENTED_REFERENCE, "task_id": INVENTED_UUID},
    "outsider",
)
_record(
    ["cases:checkin_ack"],
    lambda w: {"reference": w["reference"], "family": "missed"},
    {"reference": INVENTED_REFERENCE, "family": "missed"},
    "outsider",
)
_record(
    ["triage:attachment"],
    lambda w: {"reference": w["reference"], "attachment_id": w["attachment"]},
    {"reference": INVENTED_REFERENCE, "attachment_id": INVENTED_UUID},
    "outsider",
)
_record(
    ["cases:referrals:status", "cases:referrals:packet", "cases:referrals:packet_pdf"],
    lambda w: {"referral_id": w["referral"]},
    {"referral_id": INVENTED_UUID},
    "outsider",
)
_record(
    ["cases:referrals:partner_update", "cases:referrals:partner_active"],
    lambda w: {"partner_id": w["partner"]},
    {"partner_id": INVENTED_INT},
    None,
)
_record(
    ["cases:settings_edit", "cases:settings_move", "cases:settings_active"],
    lambda w: {"kind": "stage", "pk": w["stage"]},
    {"kind": "stage", "pk": INVENTED_INT},
    None,
)
# Names a list (stages or reasons), not a record: the role alone decides.
_record(["cases:settings_add"], lambda w: {"kind": "stage"}, {"kind": "reason"}, None)
_record(["cases:settings_shred"], lambda w: {"reference": w["reference"]}, {"reference": INVENTED_REFERENCE}, None)
_record(
    ["accounts:staff_deactivate", "accounts:staff_confirm"],
    lambda w: {"staff_id": w["caseworker"].staff.pk},
    {"staff_id": INVENTED_INT},
    None,
)
_record(
    ["accounts:invitation_resend", "accounts:invitation_revoke"],
    lambda w: {"invitation_id": w["invitation"]},
    {"invitation_id": INVENTED_INT},
    None,
)
# A colleague's duress login: only someone it was sent to may acknowledge it; the world's coordinator was sent
# none about the caseworker, so a real colleague and an invented one answer alike.
_record(
    ["cases:duress_ack"],
    lambda w: {"staff_id": w["caseworker"].staff.pk},
    {"staff_id": INVENTED_INT},
    "coordinator",
)
# Someone else's import, against one that does not exist.
_record(
    ["incidents:import_page", "incidents:import_mapping"],
    lambda w: {"job_id": w["import_job"]},
    {"job_id": INVENTED_UUID},
    "doc_outsider",
)
_record(
    ["incidents:import_decide"],
    lambda w: {"job_id": w["import_job"], "action": "undo"},
    {"job_id": INVENTED_UUID, "action": "undo"},
    "doc_outsider",
)
# Someone else's verification of every evidence item (opening it would check its next chunk), against none.
_record(
    ["incidents:evidence_verify_run"],
    lambda w: {"run_id": w["verify_run"]},
    {"run_id": INVENTED_UUID},
    "doc_outsider",
)
# Someone else's alert or security key, against one that does not exist: nothing happens either way.
_record(["accounts:alert_ack"], lambda w: {"alert_id": w["alert"]}, {"alert_id": INVENTED_INT}, "caseworker")
_record(["accounts:key_remove"], lambda w: {"key_id": w["security_key"]}, {"key_id": INVENTED_INT}, "caseworker")


_record(
    [
        "incidents:detail",
        "incidents:edit",
        "incidents:verify",
        "incidents:victim_add",
        "incidents:act_add",
        "incidents:information_add",
        "incidents:intervention_add",
        "incidents:share",
        "incidents:unshare",
        "incidents:evidence_incident",
        "incidents:evidence_add",
        "incidents:evidence_incident_report",
    ],
    lambda w: {"reference": w["incident"]},
    {"reference": INVENTED_REFERENCE},
    "doc_outsider",
)
_record(
    [
        "incidents:evidence_detail",
        "incidents:evidence_download",
        "incidents:evidence_copy",
        "incidents:evidence_handover",
        "incidents:evidence_recheck",
        "incidents:evidence_report",
    ],
    lambda w: {"reference": w["evidence"]},
    {"reference": INVENTED_REFERENCE},
    "doc_outsider",
)
_record(["incidents:victim"], lambda w: {"victim_id": w["victim"]}, {"victim_id": INVENTED_UUID}, "doc_outsider")
# The register and the places are clear: the role alone decides.
_record(
    ["incidents:perpetrator", "incidents:perpetrator_position", "incidents:perpetrator_link"],
    lambda w: {"perpetrator_id": w["perpetrator"]},
    {"perpetrator_id": INVENTED_INT},
    None,
)
_record(["incidents:place"], lambda w: {"place_id": w["place"]}, {"place_id": INVENTED_INT}, None)
_record(["incidents:vocabulary"], lambda w: {"name": "act_type"}, {"name": "invented"}, None)
_record(
    ["incidents:term_change"],
    lambda w: {"name": "act_type", "term_id": w["term"]},
    {"name": "act_type", "term_id": INVENTED_INT},
    None,
)


# Every release is sealed to every analyst: the role alone decides.
_record(
    ["advocacy:release", "advocacy:release_approve", "advocacy:release_withdraw", "advocacy:release_download"],
    lambda w: {"reference": w["release"]},
    {"reference": INVENTED_REFERENCE},
    None,
)
# The tracker is the organisation's own public work, in clear: the role alone decides.
_record(
    [
        "advocacy:tracker:government",
        "advocacy:tracker:government_edit",
        "advocacy:tracker:ask_add",
        "advocacy:tracker:response_add",
        "advocacy:tracker:scorecard_release",
    ],
    lambda w: {"government_id": w["government"]},
    {"government_id": INVENTED_INT},
    None,
)
# Dossiers name an entity of the clear register (the role alone decides); the claims and evidence they mark are
# named in the form, each opened through its door by the service.
_record(
    [
        "advocacy:dossiers:detail",
        "advocacy:dossiers:mark",
        "advocacy:dossiers:unmark",
        "advocacy:dossiers:prepare",
    ],
    lambda w: {"perpetrator_id": w["perpetrator"]},
    {"perpetrator_id": INVENTED_INT},
    None,
)


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    url = route.route
    for name, value in kwargs.items():
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value if name != "kind" else f"{value}s"), url)
    return "/" + url


def _answer(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    body = CSRF_RE.sub("", response.content.decode()) if response.get("Content-Type", "").startswith("text/") else ""
    return response.status_code, body


def named_routes() -> list[Route]:
    return [r for r in routes() if r.kwargs and r.route.startswith(STAFF_PREFIX) and not _is_public(r.callback)]


def test_every_staff_url_that_names_a_record_is_in_the_table() -> None:
    assert sorted(r.name for r in named_routes() if r.name not in RECORDS) == []


def test_missing_forbidden_and_role_less_answer_alike(world: dict[str, Any]) -> None:
    clients: dict[str, Client] = {}

    def client_of(who: str) -> Client:
        if who not in clients:
            clients[who] = staff_client(world[who])
        return clients[who]

    differences = []
    for route in named_routes():
        real_of, invented, outsider = RECORDS[route.name]
        real, missing = _url(route, real_of(world)), _url(route, invented)
        for who in [w for w in (outsider, "auditor") if w is not None]:
            # Given a viewer refused this record, when they ask for it and for one that does not exist
            asked, invented_answer = _answer(client_of(who), real), _answer(client_of(who), missing)
            # Then both answers are the same, byte for byte (the refusal tells nothing)
            if asked != invented_answer:
                differences.append(f"{route.name} as {who}: {asked[0]} for a real one, {invented_answer[0]} invented")
            if who == outsider and route.name.startswith(("cases:", "triage:", "incidents:")) and asked[0] < 400:
                differences.append(f"{route.name} as {who}: {asked[0]}, not refused")
    assert differences == []


# --- the API (ferry/api) ------------------------------------------------------------------------------------


def _api_token_of_coordinator(w: dict[str, Any]) -> int:
    from ferry.api.tokens import token_create
    from tests.conftest import TEST_PASSPHRASE

    made = token_create(staff=w["coordinator"].staff, passphrase=TEST_PASSPHRASE, label="t", scope="read", days=1)
    return int(made.token.pk)


# Someone else's API token, against one that does not exist: nothing happens either way.
_record(
    ["api_pages:token_revoke"],
    lambda w: {"token_id": _api_token_of_coordinator(w)},
    {"token_id": INVENTED_INT},
    "caseworker",
)


def test_token_authenticated_api_views_under_the_staff_path_declare_their_roles() -> None:
    # They are exempt from the browser's login (a token is no session), so their roles are all that guards them;
    # tests/api checks each one as every role.
    api = [r for r in routes() if r.route.startswith(f"{STAFF_PREFIX}api/v1/")]
    assert len(api) > 10
    assert [r.route for r in api if not declared_roles(r.callback)] == []
