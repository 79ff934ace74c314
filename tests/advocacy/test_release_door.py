"""Every outward route passes the release door (P7): walked over the whole URL tree with real records, no
advocacy route answers a file except the door, and every other staff route that answers a file is a known
internal one. The middleware that enforces it bites on a view that tries to bypass it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from ferry.advocacy import releases
from ferry.advocacy.door import is_page
from ferry.advocacy.models import Release
from ferry.core.permissions import SIGNED_IN, declared_roles
from tests.cases.conftest import staff_client
from tests.incidents.conftest import ring_of
from tests.test_doors import RECORDS, STAFF_PREFIX, _url, routes

pytestmark = pytest.mark.django_db

DOOR = "advocacy:release_download"
# Files staff download for their own work, never for outsiders (each behind its record's door and audited).
INTERNAL_FILES = {
    "triage:attachment": "a file a person sent, opened by the coordinator",
    "incidents:evidence_download": "an evidence item, recorded in its custody log",
    "cases:referrals:packet_pdf": "a referral packet for a partner the person consented to",
    "incidents:import_template": "the empty import spreadsheet",
    "incidents:export": "the documentation team's own export",
    "accounts:audit_export": "the audit log for auditors",
}
WHO_FOR_ROLE = ["analyst", "admin", "coordinator", "caseworker", "documenter", "auditor"]


def _person(roles: frozenset[str]) -> str:
    if SIGNED_IN in roles:
        return "analyst"
    role_of = {
        "analyst": "analyst",
        "admin": "administrator",
        "coordinator": "coordinator",
        "caseworker": "caseworker",
        "documenter": "documenter",
        "auditor": "auditor",
    }
    return next(who for who in WHO_FOR_ROLE if role_of[who] in roles)


def test_no_route_sends_a_file_out_but_the_release_door(world: dict[str, Any]) -> None:
    # Given a release approved by a second analyst (the world's analyst prepared it)
    second = world["analyst2"]
    release = Release.objects.get(reference=world["release"])
    releases.release_approve(ring=ring_of(second), staff=second.staff, reference=release.reference)
    clients: dict[str, Client] = {}
    files_served: dict[str, str] = {}
    for route in routes():
        if not route.route.startswith(STAFF_PREFIX):
            continue
        roles = declared_roles(route.callback)
        if not roles:
            continue
        if route.kwargs and route.name not in RECORDS:
            continue  # test_doors fails for it already
        url = _url(route, RECORDS[route.name][0](world)) if route.kwargs else "/" + route.route
        who = _person(roles)
        client = clients.setdefault(who, staff_client(world[who]))
        response = client.get(url)
        if not is_page(response) and response.status_code < 400:
            files_served[route.name] = response.get("Content-Type", "")
    outward = {name for name in files_served if name.startswith("advocacy:")}
    assert outward == {DOOR}
    assert set(files_served) - {DOOR} <= set(INTERNAL_FILES)


@override_settings(ROOT_URLCONF="tests.advocacy.rogue_urls")
def test_the_door_stops_a_view_that_bypasses_it(client: Client) -> None:
    # Given a view in the advocacy area that answers a CSV itself, and one marked as the door
    stopped = client.get("/advocacy/rogue/")
    # Then the first is stopped before the file leaves, and the marked one passes
    assert stopped.status_code == 500
    assert b"2017" not in stopped.content
    assert client.get("/advocacy/door/").status_code == 200
    # Outside the advocacy area the rule does not apply (internal files have their own doors)
    assert client.get("/elsewhere/").status_code == 200
