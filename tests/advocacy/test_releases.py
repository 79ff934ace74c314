"""The release: prepared by one analyst, approved by another, served only through its door and checked
against its hash; every step audited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from ferry.advocacy import releases
from ferry.advocacy.models import Release
from ferry.advocacy.releases import Output
from ferry.audit.models import AuditEntry
from ferry.core.errors import NotFound, Refused
from ferry.vault import files
from tests.cases.conftest import staff_client
from tests.incidents.conftest import ring_of

pytestmark = pytest.mark.django_db


def _output(**overrides: Any) -> Output:
    fields: dict[str, Any] = {
        "kind": "table",
        "format": "csv",
        "content": b"month,acts\n2017-03,15\n",
        "title": "Acts by month",
        "filename": "acts-by-month.csv",
        "question": {"measure": "acts", "rows": ["month"]},
        "disclosure": {"threshold": 10},
        "suppressed": {"primary": 0, "secondary": 0, "cells": []},
    }
    return Output(**{**fields, **overrides})


def test_a_release_needs_a_second_analyst_and_is_served_only_as_approved(analysts: dict[str, Any]) -> None:
    # Given a table prepared by one analyst
    one, two = analysts["analyst"], analysts["analyst2"]
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=_output())
    assert release.state == Release.State.PENDING
    assert release.sha256 == hashlib.sha256(b"month,acts\n2017-03,15\n").hexdigest()
    # When the preparer tries to approve it, they are refused
    with pytest.raises(Refused):
        releases.release_approve(ring=ring_of(one), staff=one.staff, reference=release.reference)
    # and a documenter or a caseworker cannot even see it
    for outsider in (analysts["doc"], analysts["caseworker"]):
        with pytest.raises(Refused):
            releases.release_serve(ring=ring_of(outsider), staff=outsider.staff, reference=release.reference)
    # Then a second analyst approves it, and its output is served, checked against its hash
    approved = releases.release_approve(ring=ring_of(two), staff=two.staff, reference=release.reference)
    assert approved.approved_by_id == two.staff.pk
    served = releases.release_serve(ring=ring_of(one), staff=one.staff, reference=release.reference)
    assert served.content == b"month,acts\n2017-03,15\n"
    assert served.filename == "acts-by-month.csv"
    actions = list(AuditEntry.objects.filter(object_id=release.pk.hex).values_list("action", flat=True))
    assert actions == ["release.prepared", "release.approved", "release.downloaded"]


def test_an_output_altered_in_storage_is_not_served(analysts: dict[str, Any]) -> None:
    one = analysts["analyst"]
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=_output())
    # An output replaced under the same release (with the release's own key) no longer matches its hash.
    key = ring_of(one).key_for(release.key_set)
    other = files.file_put(key_set=release.key_set, content=b"month,acts\n2017-03,3\n", set_key=key)
    Release.objects.filter(pk=release.pk).update(file_id=other)
    with pytest.raises(releases.ReleaseError):
        releases.release_serve(ring=ring_of(one), staff=one.staff, reference=release.reference)


def test_the_title_and_the_output_are_sealed(analysts: dict[str, Any]) -> None:
    one = analysts["analyst"]
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=_output(title="Chechnya 2017"))
    row = Release.objects.get(pk=release.pk)
    assert b"Chechnya" not in bytes(row.card)
    stored = files.storage().open(files.stored_name(str(row.file_id))).read()
    assert b"2017-03" not in stored


def test_the_pages_approve_download_and_withdraw(analysts: dict[str, Any]) -> None:
    one, two = analysts["analyst"], analysts["analyst2"]
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=_output())
    preparer, approver = staff_client(one), staff_client(two)
    page = preparer.get(f"/staff/advocacy/releases/{release.reference}/")
    assert page.status_code == 200
    assert "Acts by month" in page.content.decode()
    assert preparer.post(f"/staff/advocacy/releases/{release.reference}/approve/").status_code == 400
    assert approver.post(f"/staff/advocacy/releases/{release.reference}/approve/").status_code == 302
    answer = preparer.get(f"/staff/advocacy/releases/{release.reference}/download/")
    assert answer.status_code == 200
    assert answer.content == b"month,acts\n2017-03,15\n"
    assert answer["X-Release-SHA256"] == release.sha256
    assert "attachment" in answer["Content-Disposition"]
    assert approver.post(f"/staff/advocacy/releases/{release.reference}/withdraw/").status_code == 302
    assert preparer.get(f"/staff/advocacy/releases/{release.reference}/download/").status_code == 400
    listing = preparer.get("/staff/advocacy/releases/")
    assert release.reference in listing.content.decode()
    with pytest.raises(NotFound):
        releases.access_release(ring=ring_of(one), staff=one.staff, reference="NOP-E00")
