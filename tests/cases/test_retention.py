"""Retention: the worker crypto-shreds closed cases past the period; administrators can shred one at once.

Given/When/Then through the real pages and the real task, on a clock moved with time-machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ferry.accounts.models import StaffAlert
from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_verify
from ferry.cases import retention
from ferry.cases.models import Assignment, Case, Event, Need, RetentionPolicy, ShreddedCase, Task
from ferry.cases.tasks import retention_shred
from ferry.intake.models import Attachment, CheckIn, ContactIndex, Mailbox, MailboxSession, Message, Request
from ferry.vault import files
from ferry.vault.keysets import sealed_models
from ferry.vault.models import FileKey, Grant, KeySet, PendingFile, SessionKeyBundle
from tests.cases.conftest import staff_client
from tests.intake.helpers import STORY, box_post, jpeg_with_gps, open_box, submit

pytestmark = pytest.mark.django_db

DAYS = 30
PERSONAL = ["Artur", "+7 912 345 67 89", "912", "artur_safe", "Lenina", "bus station", "landlord", "ticket", STORY]


def _open_case(team: dict[str, Any], **overrides: Any) -> tuple[Case, str]:
    """A request sent through the intake (with a photo) and accepted into a case; returns it and the receipt code."""
    person = Client()
    before = set(Request.objects.values_list("pk", flat=True))
    _response, code, _ = submit(person, files=[jpeg_with_gps()], **overrides)
    request = Request.objects.exclude(pk__in=before).get()
    # The administrator holds the contact index key from set-up; passing by the dashboard shares it, and the
    # coordinator opening the request then indexes its contacts: one more trace of the person to remove.
    staff_client(team["admin"]).get("/staff/")
    coordinator = staff_client(team["coordinator"])
    assert coordinator.get(f"/staff/intake/{request.reference}/").status_code == 200
    answer = coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": team["caseworker"].staff.pk},
    )
    assert answer.status_code == 302
    return Case.objects.get(request=request), code


def _work_and_close(team: dict[str, Any], case: Case, code: str) -> None:
    """The caseworker carries the case to the end; the person writes and checks in; the case is closed."""
    worker = staff_client(team["caseworker"])

    def post(path: str, data: dict[str, Any]) -> None:
        answer = worker.post(f"/staff/cases/{case.reference}/{path}/", data)
        assert answer.status_code == 302, answer.content.decode()[:3000]

    case.refresh_from_db()
    post("stage", {"version": case.version, "stage": "safe_house", "note": "at the landlord's flat"})
    post("note", {"text": "Spoke to the landlord."})
    post("need", {"kind": "visa", "status": "met", "detail": "humanitarian visa"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    post("task", {"title": "Buy ticket", "due_on": tomorrow, "owner": team["caseworker"].staff.pk})
    post("message", {"text": "Your ticket is booked."})
    person = Client()
    _page, box = open_box(person, code)
    assert box
    box_post(person, "/box/send?lang=en", box, {"text": "Thank you, I am still here."})
    box_post(person, "/box/safe?lang=en", box)
    case.refresh_from_db()
    post("stage", {"version": case.version, "stage": "exit"})
    case.refresh_from_db()
    post("stage", {"version": case.version, "stage": "closed", "reason": "resettled"})
    case.refresh_from_db()
    assert case.closed_at is not None


def _policy(team: dict[str, Any], days: int) -> None:
    admin = staff_client(team["admin"])
    answer = admin.post("/staff/cases/settings/retention/", {"days": days, "understood": "on"})
    assert answer.status_code == 302, answer.content.decode()[:3000]


def _stored(file_ids: list[str]) -> list[Path]:
    root = Path(settings.DATA_DIR) / "files"
    return [path for file_id in file_ids for path in root.rglob(f"{file_id}.bin")]


def _snapshot(case: Case) -> dict[str, Any]:
    """What a shred must destroy, taken while the case is intact."""
    request = Request.objects.get(pk=case.request_id)
    file_ids = [str(pk) for pk in FileKey.objects.filter(key_set=case.key_set_id).values_list("pk", flat=True)]
    assert file_ids
    # The person's files reach the disk in the first batch after their day.
    files.stored_files_flush(now=timezone.now() + timedelta(days=1))
    assert _stored(file_ids)
    mailbox = Mailbox.objects.get(request=request)
    assert MailboxSession.objects.filter(mailbox=mailbox).exists()
    assert Message.objects.filter(request=request).count() >= 2
    assert Attachment.objects.filter(request=request).exists()
    assert CheckIn.objects.filter(request=request).exists()
    assert ContactIndex.objects.filter(request=request).exists()
    assert Grant.objects.filter(key_set=case.key_set_id).count() >= 3  # escrow, requester, staff
    holders = list(
        Grant.objects.filter(key_set=case.key_set_id, staff__isnull=False).values_list("staff_id", flat=True)
    )
    return {
        "request": request,
        "mailbox": mailbox.pk,
        "file_ids": file_ids,
        "key_set": case.key_set_id,
        "holders": holders,
    }


def _assert_shredded(case: Case, before: dict[str, Any], code: str, team: dict[str, Any]) -> None:
    key_set = before["key_set"]
    # Nobody can decrypt anything: no grant for anyone (staff, escrow, the person), no cached session key.
    assert not Grant.objects.filter(key_set=key_set).exists()
    assert not SessionKeyBundle.objects.filter(session__staff_id__in=before["holders"]).exists()
    assert KeySet.objects.get(pk=key_set).shredded_at is not None
    # Every sealed field under the key set is empty, in every model that has one.
    for model, names in sealed_models().items():
        for row in model._default_manager.filter(key_set=key_set).values(*names):
            assert set(row.values()) == {None}, model
    # Files: keys are gone; the stored ciphertexts go in the sweep a margin later (a backup may be copying them).
    assert not FileKey.objects.filter(key_set=key_set).exists()
    assert not PendingFile.objects.filter(file_key_id__in=before["file_ids"]).exists()
    shredded_at = KeySet.objects.get(pk=key_set).shredded_at
    assert shredded_at is not None
    files.stored_files_sweep(now=shredded_at + files.SWEEP_MARGIN + timedelta(minutes=1))
    assert _stored(before["file_ids"]) == []
    # Rows that described the person are gone; the case is a tombstone.
    request = before["request"]
    assert not Request.objects.filter(pk=request.pk).exists()
    for model in (Mailbox, Message, Attachment, CheckIn, ContactIndex):
        assert not model.objects.filter(request_id=request.pk).exists(), model
    assert not MailboxSession.objects.filter(mailbox_id=before["mailbox"]).exists()
    for model in (Event, Task, Need, Assignment):
        assert not model.objects.filter(case_id=case.pk).exists(), model
    assert not StaffAlert.objects.filter(reference=case.reference).exists()
    case.refresh_from_db()
    assert case.shredded_at is not None
    assert case.request_id is None
    assert (case.card, case.identity, case.contacts, case.risk_reason) == (None, None, None, None)
    # The person's receipt code opens nothing; the caseworker gets "no such case".
    assert open_box(Client(), code)[1] is None
    assert staff_client(team["caseworker"]).get(f"/staff/cases/{case.reference}/").status_code == 404


def _assert_statistics_only(case: Case) -> ShreddedCase:
    stats = ShreddedCase.objects.get(reference=case.reference)
    assert stats.outcome == "resettled"
    assert stats.closed_on == case.closed_at.astimezone(UTC).date()  # type: ignore[union-attr]
    assert stats.created_on == case.created_at.astimezone(UTC).date()
    assert [step["stage"] for step in stats.stage_history] == ["accepted", "safe_house", "exit", "closed"]
    text = json.dumps(
        {f.name: str(getattr(stats, f.name)) for f in ShreddedCase._meta.fields}, ensure_ascii=False
    ).casefold()
    for secret in PERSONAL:
        assert secret.casefold() not in text
    return stats


def test_the_worker_shreds_closed_cases_past_the_period_and_keeps_statistics(
    team: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # Given a case closed today, an open case, and (later) a case closed recently; a 30-day period.
    due, due_code = _open_case(team)
    _work_and_close(team, due, due_code)
    still_open, _ = _open_case(team, name="Boris", phone="+7 900 000 00 01", handle="@boris")
    _policy(team, DAYS)
    before = _snapshot(due)
    assert AuditEntry.objects.filter(action="retention.policy", actor_id=team["admin"].staff.pk).exists()
    start = datetime.now(UTC)
    with time_machine.travel(start + timedelta(days=DAYS - 5), tick=True):
        recent, recent_code = _open_case(team, name="Vera", phone="+7 900 000 00 02", handle="@vera")
        _work_and_close(team, recent, recent_code)

    # When the hourly task runs before the period is over, nothing happens.
    with time_machine.travel(start + timedelta(days=DAYS - 1), tick=True):
        retention_shred.call()
    assert not ShreddedCase.objects.exists()

    # When it runs once the period has passed for the first case only,
    with (
        time_machine.travel(start + timedelta(days=DAYS, hours=1), tick=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        retention_shred.call()

    # Then that case is shredded for everyone (stored files go in the sweep, a margin after the shred),
    # checked later still: one-time codes used in the future cannot be used again in the past.
    with time_machine.travel(start + timedelta(days=DAYS, hours=2), tick=True):
        _assert_shredded(due, before, due_code, team)
    # with statistics and an audit entry left,
    _assert_statistics_only(due)
    entry = AuditEntry.objects.get(action="case.shred")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (None, "case", due.pk.hex)
    assert audit_verify().ok
    # and the open case and the recently closed one keep everything.
    for untouched in (still_open, recent):
        untouched.refresh_from_db()
        assert untouched.shredded_at is None
        assert untouched.identity is not None
        assert Grant.objects.filter(key_set=untouched.key_set_id).exists()
        assert Request.objects.filter(pk=untouched.request_id).exists()
        assert Event.objects.filter(case=untouched).exists()
    assert ShreddedCase.objects.count() == 1


def test_a_shred_interrupted_leaves_the_case_intact_and_a_rerun_completes_it_once(
    team: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # Given a closed case past the period,
    case, code = _open_case(team)
    _work_and_close(team, case, code)
    _policy(team, 1)
    before = _snapshot(case)
    later = datetime.now(UTC) + timedelta(days=2)

    # When the process dies at the very last step of the shred,
    with (
        time_machine.travel(later, tick=True),
        django_capture_on_commit_callbacks(execute=True),
        mock.patch("ferry.cases.retention.audit_record", side_effect=RuntimeError("killed")),
    ):
        assert retention.shred_due() == 0

    # Then nothing was destroyed: the caseworker still reads the case, the person still opens their mailbox.
    case.refresh_from_db()
    assert case.shredded_at is None
    assert not ShreddedCase.objects.exists()
    assert Grant.objects.filter(key_set=case.key_set_id).count() >= 3
    assert _stored(before["file_ids"])
    assert Request.objects.filter(pk=before["request"].pk).exists()
    page = staff_client(team["caseworker"]).get(f"/staff/cases/{case.reference}/")
    assert "Spoke to the landlord." in page.content.decode()
    assert open_box(Client(), code)[1]

    # When the task runs again, and again,
    with time_machine.travel(later, tick=True), django_capture_on_commit_callbacks(execute=True):
        assert retention.shred_due() == 1
        assert retention.shred_due() == 0
    _assert_shredded(case, before, code, team)

    # Then it was shredded exactly once.
    assert ShreddedCase.objects.count() == 1
    assert AuditEntry.objects.filter(action="case.shred").count() == 1


def test_no_period_keeps_closed_cases(team: dict[str, Any]) -> None:
    case, code = _open_case(team)
    _work_and_close(team, case, code)
    assert not RetentionPolicy.objects.exists()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3650), tick=True):
        retention_shred.call()
    case.refresh_from_db()
    assert case.shredded_at is None


def test_a_reopened_case_is_not_shredded(team: dict[str, Any]) -> None:
    case, code = _open_case(team)
    _work_and_close(team, case, code)
    _policy(team, 1)
    case.refresh_from_db()
    worker = staff_client(team["caseworker"])
    reopened = worker.post(f"/staff/cases/{case.reference}/stage/", {"version": case.version, "stage": "asylum"})
    assert reopened.status_code == 302
    with time_machine.travel(datetime.now(UTC) + timedelta(days=5), tick=True):
        assert retention.shred_due() == 0
    case.refresh_from_db()
    assert case.shredded_at is None


def test_setting_the_period_warns_and_needs_confirmation(team: dict[str, Any]) -> None:
    case, code = _open_case(team)
    _work_and_close(team, case, code)
    admin = staff_client(team["admin"])
    page = admin.get("/staff/cases/settings/retention/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Shredding cannot be undone." in html
    assert case.reference in html

    with time_machine.travel(datetime.now(UTC) + timedelta(days=3), tick=True):
        admin = staff_client(team["admin"])
        unconfirmed = admin.post("/staff/cases/settings/retention/", {"days": 2})
        assert unconfirmed.status_code == 400
        assert "1 closed case will be shredded within the hour" in unconfirmed.content.decode()
        assert not RetentionPolicy.objects.exists()
        assert admin.post("/staff/cases/settings/retention/", {"days": 0, "understood": "on"}).status_code == 400
        assert admin.post("/staff/cases/settings/retention/", {"days": 2, "understood": "on"}).status_code == 302
    assert RetentionPolicy.objects.get().days_after_closing == 2
    # Emptying the field keeps closed cases until shredded by hand; no confirmation needed to keep more.
    assert admin.post("/staff/cases/settings/retention/", {"days": ""}).status_code == 302
    assert RetentionPolicy.objects.get().days_after_closing is None
    assert AuditEntry.objects.filter(action="retention.policy").count() == 2


def test_only_administrators_manage_retention(team: dict[str, Any]) -> None:
    case, code = _open_case(team)
    _work_and_close(team, case, code)
    for role in ("coordinator", "caseworker"):
        other = staff_client(team[role])
        assert other.get("/staff/cases/settings/retention/").status_code == 403
        assert other.post("/staff/cases/settings/retention/", {"days": 1, "understood": "on"}).status_code == 403
        shred_url = f"/staff/cases/settings/retention/{case.reference}/shred/"
        assert other.post(shred_url, {"reference": case.reference}).status_code == 403
    assert not RetentionPolicy.objects.exists()
    case.refresh_from_db()
    assert case.shredded_at is None


def test_an_administrator_shreds_a_closed_case_now_after_confirming(
    team: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # Given a closed case and an open one,
    case, code = _open_case(team)
    open_case, _ = _open_case(team, name="Boris", phone="+7 900 000 00 01", handle="@boris")
    _work_and_close(team, case, code)
    before = _snapshot(case)
    admin = staff_client(team["admin"])
    url = f"/staff/cases/settings/retention/{case.reference}/shred/"

    # When the administrator opens the confirmation, it says what will be lost, and a wrong reference shreds nothing.
    confirm = admin.get(url)
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.content.decode()
    wrong = admin.post(url, {"reference": open_case.reference})
    assert wrong.status_code == 400
    case.refresh_from_db()
    assert case.shredded_at is None
    # An open case cannot be shredded.
    open_url = f"/staff/cases/settings/retention/{open_case.reference}/shred/"
    assert admin.get(open_url).status_code == 404
    assert admin.post(open_url, {"reference": open_case.reference}).status_code == 404

    # When they type the reference,
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(url, {"reference": case.reference.lower()})
    assert done.status_code == 302

    # Then the case is shredded at once, by them, in the audit log; a second attempt finds nothing.
    _assert_shredded(case, before, code, team)
    _assert_statistics_only(case)
    assert AuditEntry.objects.get(action="case.shred").actor_id == team["admin"].staff.pk
    assert admin.post(url, {"reference": case.reference}).status_code == 404
    open_case.refresh_from_db()
    assert open_case.shredded_at is None
    assert case.reference not in admin.get("/staff/cases/settings/retention/").content.decode()
