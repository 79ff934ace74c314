"""Check-ins: plans, the person's "I am safe", check-ins heard by staff, duress, the escalation sweep step by
step under a controlled clock, quiet hours, content-free e-mail over real SMTP, the missed check-ins list,
acknowledging with a note, bad plans, and a worker killed in the middle of a sweep."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time as wallclock
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from ferry.accounts.models import StaffAlert
from ferry.accounts.tasks import alerts_email
from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_verify
from ferry.cases.checkins import schedule
from ferry.cases.checkins import services as checkins
from ferry.cases.checkins.sweep import sweep_plans
from ferry.cases.models import Assignment, Case, CheckInPlan, CheckInRecord, Event, Stage
from ferry.cases.services import CaseError, pipeline_ensure
from ferry.cases.tasks import checkin_sweep
from ferry.intake import limits
from ferry.intake.models import CheckIn, Request
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet
from tests.cases.conftest import staff_client
from tests.intake.helpers import STORY, box_post, open_box, submit

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _ring(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def _plan_form(case: Case, **overrides: Any) -> dict[str, Any]:
    data = {
        "version": case.version,
        "every": 24,
        "every_unit": "hours",
        "grace": 2,
        "grace_unit": "hours",
        "lost_after_missed": 3,
        "quiet_start": "",
        "quiet_end": "",
        "time_zone": "UTC",
        "active": "on",
    }
    data.update(overrides)
    return data


def _open_alerts(reference: str) -> set[tuple[str, int]]:
    return set(
        StaffAlert.objects.filter(reference=reference, acknowledged_at__isnull=True).values_list("kind", "recipient_id")
    )


def _sweep_at(moment: datetime, plan: CheckInPlan) -> None:
    with time_machine.travel(moment, tick=False):
        checkin_sweep.call()
    plan.refresh_from_db()


def _days_ahead(days: int, hour: int, minute: int = 0, *, tz: Any = UTC) -> datetime:
    """A wall-clock time `days` after today in `tz`: tests travel relative to now, never to a fixed day."""
    today = datetime.now(tz).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=tz)


def _ids(team: dict[str, Any], *names: str) -> set[int]:
    return {team[name].staff.pk for name in names}


def test_a_plan_walks_through_due_overdue_each_step_and_lost_contact_then_the_person_is_safe(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    ref = case.reference
    worker = staff_client(team["caseworker"])
    StaffAlert.objects.update(acknowledged_at=timezone.now())  # the intake's own alerts are not this test's
    # Given a daily plan with a two-hour grace period, set on the case page
    saved = worker.post(f"/staff/cases/checkins/{ref}/plan/", _plan_form(case))
    assert saved.status_code == 302
    plan = CheckInPlan.objects.get(case=case)
    assert (plan.interval_minutes, plan.grace_minutes, plan.state) == (1440, 120, "ok")
    assert Event.objects.filter(case=case, kind="plan").count() == 1
    assert AuditEntry.objects.filter(action="case.checkin_plan").count() == 1
    due = plan.next_due_at
    caseworker = _ids(team, "caseworker")
    coordinators = _ids(team, "coordinator", "coordinator2")
    admin = _ids(team, "admin")

    # A minute before the due time nothing happens
    _sweep_at(due - MINUTE, plan)
    assert plan.state == "ok"
    assert _open_alerts(ref) == set()

    # At the due time: a reminder for the caseworker, in the app only
    _sweep_at(due + MINUTE, plan)
    assert plan.state == "due"
    assert _open_alerts(ref) == {("checkin_due", pk) for pk in caseworker}
    assert StaffAlert.objects.get(kind="checkin_due").emailed, "a reminder inside the grace period is not mailed"

    # After the grace period: overdue, step 1 tells the caseworker (not yet the coordinators)
    _sweep_at(due + 2 * HOUR + MINUTE, plan)
    assert (plan.state, plan.escalation_step, plan.missed) == ("overdue", 1, 1)
    assert {pk for kind, pk in _open_alerts(ref) if kind == "checkin_overdue"} == caseworker
    # The same minute swept again raises nothing more
    before = StaffAlert.objects.count()
    _sweep_at(due + 2 * HOUR + MINUTE, plan)
    assert StaffAlert.objects.count() == before

    # Another grace period: step 2 adds the coordinators
    _sweep_at(due + 4 * HOUR + MINUTE, plan)
    assert plan.escalation_step == 2
    assert {pk for kind, pk in _open_alerts(ref) if kind == "checkin_escalated"} == caseworker | coordinators
    # Another: step 3 adds all administrators
    _sweep_at(due + 6 * HOUR + MINUTE, plan)
    assert plan.escalation_step == 3
    escalated = StaffAlert.objects.filter(kind="checkin_escalated")
    assert set(escalated.values_list("recipient_id", flat=True)) == caseworker | coordinators | admin
    assert escalated.filter(recipient_id__in=admin).count() == 1

    # The coordinators' dashboard shows the missed check-in before anything else, with the name they can open
    with time_machine.travel(due + 6 * HOUR + 2 * MINUTE, tick=False):
        page = staff_client(team["coordinator"]).get("/staff/").content.decode()
        assert 'id="h-missed"' in page
        assert page.index('id="h-missed"') < page.index("Signed in as") < page.index('id="h-alerts"')
        assert ref in page
        assert "Artur" in page
        # An administrator is told too, but sees metadata only and learns who can acknowledge
        admin_page = staff_client(team["admin"]).get("/staff/").content.decode()
        assert ref in admin_page
        assert "Artur" not in admin_page
        assert "You cannot open this case" in admin_page

    # The next missed interval counts; the third is lost contact, and everyone is told
    _sweep_at(due + 26 * HOUR + MINUTE, plan)
    assert (plan.state, plan.missed) == ("overdue", 2)
    _sweep_at(due + 50 * HOUR + MINUTE, plan)
    assert (plan.state, plan.missed) == ("lost", 3)
    assert plan.next_action_at is None
    lost = set(StaffAlert.objects.filter(kind="checkin_lost").values_list("recipient_id", flat=True))
    assert lost == caseworker | coordinators | admin

    # When the person opens their mailbox with the receipt code and says "I am safe"...
    heard = due + 51 * HOUR
    with time_machine.travel(heard, tick=False):
        person = Client()
        _page, box = open_box(person, accepted["code"])
        assert box
        answer = box_post(person, "/box/safe?lang=en", box)
        assert "We know you are safe now" in answer.content.decode()
    # ...the plan starts again from that moment
    plan.refresh_from_db()
    assert (plan.state, plan.escalation_step, plan.missed) == ("ok", 0, 0)
    assert plan.last_checkin_at == heard
    assert plan.next_due_at == heard + timedelta(hours=24)
    assert plan.next_action_at == plan.next_due_at
    assert CheckIn.objects.get(kind="safe").at == heard
    # The reminder went by itself; the rest stay until someone writes what happened
    open_kinds = {kind for kind, _pk in _open_alerts(ref)}
    assert open_kinds == {"checkin_overdue", "checkin_escalated", "checkin_lost"}

    # A caseworker acknowledges with a note: cleared for everyone, the note sealed in the timeline
    with time_machine.travel(heard + MINUTE, tick=False):
        worker = staff_client(team["caseworker"])
        note = "Called her sister: she is at the flat, phone was taken."
        empty = worker.post(f"/staff/cases/checkins/{ref}/acknowledge/missed/", {"missed-note": "  "})
        assert empty.status_code == 400
        done = worker.post(f"/staff/cases/checkins/{ref}/acknowledge/missed/", {"missed-note": note})
        assert done.status_code == 302
        assert _open_alerts(ref) == set()
        event = Event.objects.get(case=case, kind="alert")
        assert b"sister" not in bytes(event.detail)
        acked = StaffAlert.objects.filter(reference=ref, kind__in=["checkin_lost", "checkin_escalated"])
        assert set(acked.values_list("note_event", flat=True)) == {event.pk}
        assert set(acked.values_list("acknowledged_by", flat=True)) == caseworker
        assert note in worker.get(f"/staff/cases/{ref}/").content.decode()
        assert 'id="h-missed"' not in staff_client(team["coordinator"]).get("/staff/").content.decode()
    before = StaffAlert.objects.count()
    _sweep_at(heard + 2 * MINUTE, plan)
    assert StaffAlert.objects.count() == before


def test_no_one_is_called_lost_while_the_intake_was_refusing_look_ups(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    """Issue 14: a flood of wrong codes made every mailbox open answer 429, and every plan marched towards "lost
    contact". While the intake refuses look-ups, the hotline is told the intake was under attack instead."""
    case = accepted["case"]
    ref = case.reference
    StaffAlert.objects.update(acknowledged_at=timezone.now())
    # Given a daily plan with a two-hour grace period, three misses from lost contact
    staff_client(team["caseworker"]).post(f"/staff/cases/checkins/{ref}/plan/", _plan_form(case))
    plan = CheckInPlan.objects.get(case=case)
    due = plan.next_due_at
    _sweep_at(due + 26 * HOUR + MINUTE, plan)
    assert (plan.state, plan.missed) == ("overdue", 2)
    # When the intake refuses receipt-code look-ups an hour before the third miss (the person could not get in)
    with time_machine.travel(due + 49 * HOUR, tick=False):
        limits.lookups_refused_mark(timezone.now())
    # Then the third miss does not make the plan "lost contact": the case team and the coordinators are told
    # that the intake was under attack
    _sweep_at(due + 50 * HOUR + MINUTE, plan)
    assert plan.state == "overdue"
    assert not StaffAlert.objects.filter(kind="checkin_lost").exists()
    told = set(StaffAlert.objects.filter(kind="intake_attack", reference=ref).values_list("recipient_id", flat=True))
    assert told == _ids(team, "caseworker", "coordinator", "coordinator2")
    # And sweeping again during the attack raises nothing twice
    before = StaffAlert.objects.count()
    _sweep_at(due + 52 * HOUR, plan)
    assert plan.state == "overdue"
    assert StaffAlert.objects.count() == before
    # Once a whole interval passed without refusals and still no check-in, the plan is lost contact after all
    _sweep_at(due + 74 * HOUR, plan)
    assert plan.state == "lost"
    assert StaffAlert.objects.filter(kind="checkin_lost", reference=ref).exists()


def test_a_check_in_heard_by_staff_resets_the_plan_and_an_older_one_does_not(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    ring = _ring(team["caseworker"])
    staff = team["caseworker"].staff
    plan = checkins.plan_set(
        ring=ring, staff=staff, reference=case.reference, version=case.version, interval_minutes=720, grace_minutes=60
    )
    due = plan.next_due_at
    _sweep_at(due + 61 * MINUTE, plan)
    assert plan.state == "overdue"
    spoke = due + 70 * MINUTE
    with time_machine.travel(spoke + 5 * MINUTE, tick=False):
        checkins.checkin_record(
            ring=ring, staff=staff, reference=case.reference, at=spoke, channel="phone", duress=False, note="All well."
        )
        # Then someone records a call from before it: the plan keeps counting from the newer one
        checkins.checkin_record(
            ring=ring, staff=staff, reference=case.reference, at=spoke - HOUR, channel="messenger", duress=False
        )
    plan.refresh_from_db()
    assert (plan.state, plan.last_checkin_at, plan.next_due_at) == ("ok", spoke, spoke + timedelta(hours=12))
    record = CheckInRecord.objects.get(channel="phone")
    assert b"All well." not in bytes(record.note)
    assert Event.objects.filter(case=case, kind="checkin").count() == 2
    with pytest.raises(CaseError, match="in the future"):
        checkins.checkin_record(
            ring=ring,
            staff=staff,
            reference=case.reference,
            at=timezone.now() + HOUR,
            channel="phone",
            duress=False,
        )


def test_a_duress_check_in_by_staff_is_an_emergency_now_even_in_quiet_hours_and_never_counts_as_safe(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    ref = case.reference
    StaffAlert.objects.update(acknowledged_at=timezone.now())
    now = timezone.now()
    # Given a plan whose quiet hours cover this very moment, and a check-in already overdue
    quiet = ((now - HOUR).time().replace(second=0, microsecond=0), (now + 2 * HOUR).time().replace(second=0))
    plan = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=ref,
        version=case.version,
        interval_minutes=60,
        grace_minutes=10,
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        time_zone="UTC",
    )
    CheckInPlan.objects.filter(pk=plan.pk).update(
        next_due_at=now - 30 * MINUTE, state="overdue", escalation_step=1, missed=1, next_action_at=now + HOUR
    )
    plan.refresh_from_db()
    # When the caseworker records a call in which the person was under duress
    worker = staff_client(team["caseworker"])
    local = now.strftime("%Y-%m-%dT%H:%M")
    answer = worker.post(
        f"/staff/cases/checkins/{ref}/record/",
        {"at": local, "channel": "phone", "duress": "on", "note": "Said 'all fine' but used our word."},
    )
    assert answer.status_code == 302
    # Then the coordinators are alerted at once (the one who heard it knows), and the plan is not reset
    assert _open_alerts(ref) == {("checkin_duress", pk) for pk in _ids(team, "coordinator", "coordinator2")}
    assert not StaffAlert.objects.get(kind="checkin_duress", recipient=team["coordinator"].staff).emailed
    after = CheckInPlan.objects.get(pk=plan.pk)
    assert (after.state, after.next_due_at, after.last_checkin_at) == (
        "overdue",
        plan.next_due_at,
        plan.last_checkin_at,
    )
    assert CheckInRecord.objects.get().duress
    # The missed check-ins list puts the emergency first
    coordinator = staff_client(team["coordinator"])
    listing = coordinator.get("/staff/cases/checkins/").content.decode()
    assert "Duress: emergency" in listing
    assert ref in listing
    # Acknowledging the emergency does not acknowledge anything else
    StaffAlert.objects.create(
        kind="checkin_overdue", recipient=team["caseworker"].staff, reference=ref, created_at=now, dedup_key="x"
    )
    done = coordinator.post(
        f"/staff/cases/checkins/{ref}/acknowledge/duress/", {"duress-note": "Safe house team on the way."}
    )
    assert done.status_code == 302
    assert _open_alerts(ref) == {("checkin_overdue", team["caseworker"].staff.pk)}
    assert AuditEntry.objects.filter(action="checkin.duress").count() == 1


def test_the_person_s_duress_code_on_a_case_alerts_the_case_team_and_leaves_the_plan_alone(
    client: Client, team: dict[str, Any]
) -> None:
    _response, _code, duress_code = submit(client, duress=True)
    request = Request.objects.get()
    coordinator = staff_client(team["coordinator"])
    coordinator.post(
        f"/staff/intake/{request.reference}/accept/",
        {"version": request.version, "caseworker": team["caseworker"].staff.pk},
    )
    case = Case.objects.get()
    plan = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=1440,
        grace_minutes=60,
    )
    StaffAlert.objects.update(acknowledged_at=timezone.now())
    # When the person is made to open their mailbox with the duress code and press "I am safe"
    with time_machine.travel(timezone.now() + HOUR, tick=False):
        person = Client()
        _page, box = open_box(person, duress_code)
        box_post(person, "/box/safe?lang=en", box)
    # Then it is an emergency for the caseworker and the coordinators, not a safe check-in
    team_ids = _ids(team, "caseworker", "coordinator", "coordinator2")
    assert _open_alerts(case.reference) == {("checkin_duress", pk) for pk in team_ids}
    assert not StaffAlert.objects.filter(kind="requester_duress").exists()
    assert CheckInPlan.objects.get(pk=plan.pk).last_checkin_at == plan.last_checkin_at
    assert CheckIn.objects.filter(kind="duress").count() == 2


def test_quiet_hours_postpone_escalation_and_the_steps_keep_their_spacing(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    moscow = ZoneInfo("Europe/Moscow")
    StaffAlert.objects.update(acknowledged_at=timezone.now())

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return _days_ahead(day, hour, minute, tz=moscow)

    # Given a plan set at 17:30 in Moscow: every 3 hours, grace 1 hour, quiet from 22:00 to 07:00
    with time_machine.travel(at(1, 17, 30), tick=False):
        plan = checkins.plan_set(
            ring=_ring(team["caseworker"]),
            staff=team["caseworker"].staff,
            reference=case.reference,
            version=case.version,
            interval_minutes=180,
            grace_minutes=60,
            lost_after_missed=5,
            quiet_start=time(22, 0),
            quiet_end=time(7, 0),
            time_zone="Europe/Moscow",
        )
    assert plan.next_due_at == at(1, 20, 30)
    # Overdue at 21:30, before the quiet hours: the caseworker is told
    _sweep_at(at(1, 21, 31), plan)
    assert (plan.state, plan.escalation_step) == ("overdue", 1)
    # Step 2 would fall at 22:30: held back through the night
    for moment in (at(1, 22, 31), at(2, 3, 0), at(2, 6, 59)):
        _sweep_at(moment, plan)
        assert plan.escalation_step == 1
        assert not StaffAlert.objects.filter(kind="checkin_escalated").exists()
    assert plan.next_action_at == at(2, 7, 0)
    # At 07:00 step 2 goes out, and step 3 keeps its grace period after it
    _sweep_at(at(2, 7, 1), plan)
    assert plan.escalation_step == 2
    assert StaffAlert.objects.filter(kind="checkin_escalated").count() == 3  # caseworker + 2 coordinators
    assert plan.missed == 2, "check-ins that fell in the night are not counted as missed until it ends"
    _sweep_at(at(2, 7, 59), plan)
    assert plan.escalation_step == 2
    _sweep_at(at(2, 8, 1), plan)
    assert plan.escalation_step == 3


def test_the_schedule_postpones_across_midnight_and_catches_up_with_one_alert() -> None:
    quiet = schedule.Quiet(time(23, 0), time(6, 0), ZoneInfo("UTC"))
    night = _days_ahead(1, 23, 30)
    assert quiet.postpone(night) == _days_ahead(2, 6, 0)
    assert quiet.postpone(night + 3 * HOUR) == _days_ahead(2, 6, 0)
    assert quiet.postpone(night - HOUR) == night - HOUR
    rules = schedule.Rules(interval=timedelta(hours=24), grace=HOUR, lost_after=3)
    due = _days_ahead(1, 12, 0)
    assert schedule.position(rules, due, due - MINUTE) == schedule.Position("ok", 0, 0, due)
    # A worker that was down for five hours moves the plan to step 3 at once, with one alert
    late = schedule.position(rules, due, due + 5 * HOUR)
    assert (late.state, late.step, late.missed) == ("overdue", 3, 1)
    assert schedule.alert_for(old_state="ok", old_step=0, new=late) == schedule.Raise("step3", 3)
    assert schedule.alert_for(old_state="overdue", old_step=3, new=late) is None
    lost = schedule.position(rules, due, due + 49 * HOUR)
    assert (lost.state, lost.next_action_at) == ("lost", None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"interval_minutes": 0}, "more than zero"),
        ({"interval_minutes": -60}, "more than zero"),
        ({"interval_minutes": 10}, "at least 15 minutes apart"),
        ({"grace_minutes": -5}, "cannot be negative"),
        ({"grace_minutes": 1440}, "shorter than the time between check-ins"),
        ({"lost_after_missed": 0}, "1 to 20 missed"),
        ({"quiet_start": time(22, 0)}, "both the start and the end"),
        ({"quiet_start": time(22, 0), "quiet_end": time(22, 0)}, "different times"),
        ({"quiet_start": time(8, 0), "quiet_end": time(23, 0)}, "at most 12 hours"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ],
)
def test_bad_plans_are_refused_and_nothing_is_half_saved(
    team: dict[str, Any], accepted: dict[str, Any], changes: dict[str, Any], message: str
) -> None:
    case = accepted["case"]
    plan = {"interval_minutes": 1440, "grace_minutes": 120, "lost_after_missed": 3, **changes}
    with pytest.raises(CaseError, match=message):
        checkins.plan_set(
            ring=_ring(team["caseworker"]),
            staff=team["caseworker"].staff,
            reference=case.reference,
            version=case.version,
            **plan,
        )
    assert not CheckInPlan.objects.exists()
    assert not Event.objects.filter(kind="plan").exists()
    assert Case.objects.get().version == case.version
    assert not AuditEntry.objects.filter(action="case.checkin_plan").exists()


def test_bad_plans_on_the_page_get_a_clear_answer_and_a_stale_form_is_refused(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    worker = staff_client(team["caseworker"])
    url = f"/staff/cases/checkins/{case.reference}/plan/"
    zero = worker.post(url, _plan_form(case, every=0))
    assert zero.status_code == 400
    assert "must be more than zero" in zero.content.decode()
    wide = worker.post(url, _plan_form(case, grace=1, grace_unit="days", every=12))
    assert "shorter than the time between check-ins" in wide.content.decode()
    assert worker.post(url, _plan_form(case)).status_code == 302
    stale = worker.post(url, _plan_form(case, every=12))
    assert stale.status_code == 400
    assert "Someone else changed this case" in stale.content.decode()
    assert CheckInPlan.objects.get().interval_minutes == 1440
    # Nobody without the role acts on check-ins; nobody without the key acts on the case
    assert staff_client(team["admin"]).post(url, _plan_form(case)).status_code == 403
    assert staff_client(team["caseworker2"]).post(url, _plan_form(case)).status_code == 404


def test_the_missed_list_puts_the_most_urgent_first_and_shows_each_viewer_their_part(
    client: Client, team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    coordinator = accepted["coordinator"]
    first = accepted["case"]
    # Given two more cases: one for the second caseworker
    for name, caseworker in (("Bella", "caseworker2"), ("Chingiz", "caseworker")):
        submit(client, name=name, urgency="soon")
        request = Request.objects.filter(status="new").get()
        coordinator.post(
            f"/staff/intake/{request.reference}/accept/",
            {"version": request.version, "caseworker": team[caseworker].staff.pk},
        )
    cases = {c.reference: c for c in Case.objects.all()}
    second = next(c for c in cases.values() if c.assignments.filter(staff=team["caseworker2"].staff).exists())
    third = next(c for c in cases.values() if c.pk not in {first.pk, second.pk})
    Case.objects.filter(pk=third.pk).update(risk="low")
    ring = _ring(team["coordinator"])
    now = timezone.now()
    for case in (first, second, third):
        case.refresh_from_db()
        checkins.plan_set(
            ring=ring,
            staff=team["coordinator"].staff,
            reference=case.reference,
            version=case.version,
            interval_minutes=1440,
            grace_minutes=60,
            lost_after_missed=2,
        )
    # first (critical) overdue by 2 hours; second (high) overdue by 30 hours: lost; third (low) overdue by 3 hours
    for case, late in ((first, 2 * HOUR), (second, 30 * HOUR), (third, 3 * HOUR)):
        CheckInPlan.objects.filter(case=case).update(next_due_at=now - late, next_action_at=now - late)
    sweep_plans(timezone.now())
    states = dict(CheckInPlan.objects.values_list("case__reference", "state"))
    assert states == {first.reference: "overdue", second.reference: "lost", third.reference: "overdue"}
    page = coordinator.get("/staff/cases/checkins/").content.decode()
    order = [page.index(c.reference) for c in (second, first, third)]
    assert order == sorted(order), "lost contact first, then overdue by risk"
    assert "Bella" in page
    assert AuditEntry.objects.filter(action="checkin.missed_list").count() == 3
    # A caseworker sees their own cases only
    mine = staff_client(team["caseworker2"]).get("/staff/cases/checkins/").content.decode()
    assert second.reference in mine
    assert first.reference not in mine
    # An administrator sees what was escalated to them (lost contact), without names
    admin = staff_client(team["admin"]).get("/staff/cases/checkins/").content.decode()
    assert second.reference in admin
    assert first.reference not in admin
    assert "Bella" not in admin


def test_a_closed_case_stops_its_plan_and_a_paused_plan_is_not_swept(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    ring, staff = _ring(team["caseworker"]), team["caseworker"].staff
    plan = checkins.plan_set(
        ring=ring, staff=staff, reference=case.reference, version=case.version, interval_minutes=60, grace_minutes=10
    )
    case.refresh_from_db()
    checkins.plan_set(
        ring=ring,
        staff=staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=60,
        grace_minutes=10,
        active=False,
    )
    _sweep_at(plan.next_due_at + 5 * HOUR, plan)
    assert (plan.active, plan.state, plan.next_action_at) == (False, "ok", None)
    case.refresh_from_db()
    checkins.plan_set(
        ring=ring, staff=staff, reference=case.reference, version=case.version, interval_minutes=60, grace_minutes=10
    )
    plan.refresh_from_db()
    assert plan.active
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())
    _sweep_at(plan.next_due_at + 5 * HOUR, plan)
    assert (plan.active, plan.next_action_at) == (False, None)
    assert not StaffAlert.objects.filter(kind__startswith="checkin").exists()


# --- e-mail over a real SMTP server -------------------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", errors="replace")))
        return "250 Message accepted"


@pytest.fixture
def smtp(settings: Any) -> Iterator[_Inbox]:
    """A real SMTP server on 127.0.0.1, and Django's SMTP back-end pointed at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield inbox
    controller.stop()


def test_escalation_e_mails_arrive_over_smtp_and_say_nothing_about_the_person(
    team: dict[str, Any], accepted: dict[str, Any], smtp: _Inbox
) -> None:
    case = accepted["case"]
    StaffAlert.objects.update(emailed=True)  # earlier activity was mailed already
    plan = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=1440,
        grace_minutes=60,
    )
    # The reminder at the due time is not mailed
    _sweep_at(plan.next_due_at + MINUTE, plan)
    alerts_email.call()
    assert smtp.messages == []
    # Step 2: the caseworker and both coordinators get one content-free e-mail each
    _sweep_at(plan.next_due_at + 2 * HOUR + MINUTE, plan)
    alerts_email.call()
    received = {rcpt for rcpts, _content in smtp.messages for rcpt in rcpts}
    emails = {team[n].staff.email for n in ("caseworker", "coordinator", "coordinator2")}
    assert received == emails
    assert len(smtp.messages) == 3
    for _rcpts, content in smtp.messages:
        assert "Subject: New activity" in content
        for secret in ("Artur", case.reference, STORY[:20], "912 345", "check-in", "Check-in"):
            assert secret not in content
    # Nothing is mailed twice
    alerts_email.call()
    assert len(smtp.messages) == 3


# --- a worker killed in the middle of a sweep ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_resumes_without_lost_or_repeated_alerts(
    make_staff: Any, subprocess_env: dict[str, str]
) -> None:
    pipeline_ensure()
    worker = make_staff("caseworker")
    now = timezone.now()
    # Given thousands of plans whose check-in is overdue by half an hour past the grace period
    count = 6000
    stage = Stage.objects.get(key="accepted")
    key_sets = KeySet.objects.bulk_create([KeySet(purpose="case", created_at=now) for _ in range(count)])
    cases = Case.objects.bulk_create(
        [
            Case(reference=f"T{n:06d}", key_set=ks, stage=stage, created_at=now, updated_at=now, stage_changed_at=now)
            for n, ks in enumerate(key_sets)
        ]
    )
    Assignment.objects.bulk_create([Assignment(case=c, staff=worker.staff, assigned_at=now) for c in cases])
    due = now - 90 * MINUTE
    CheckInPlan.objects.bulk_create(
        [
            CheckInPlan(
                case=c,
                interval_minutes=1440,
                grace_minutes=60,
                last_checkin_at=due - timedelta(hours=24),
                next_due_at=due,
                next_action_at=due,
                updated_at=now,
            )
            for c in cases
        ]
    )
    overdue = StaffAlert.objects.filter(kind="checkin_overdue")
    # When a real worker process runs the sweep and is killed as soon as its first alerts are committed
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--batch", "-v", "0"],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = wallclock.monotonic() + 60
    while not overdue.exists() and process.poll() is None and wallclock.monotonic() < deadline:
        wallclock.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    # Then it stopped part-way, and every plan it moved has its alert and every alert its moved plan
    raised = overdue.count()
    moved = CheckInPlan.objects.filter(state="overdue").count()
    assert 0 < raised < count, f"the kill should land inside the sweep ({raised} of {count})"
    assert moved == raised

    # When the next sweep runs (twice, as two overlapping minutes might)
    checkin_sweep.call()
    checkin_sweep.call()
    # Then every plan has exactly one alert: none lost, none repeated
    assert CheckInPlan.objects.filter(state="overdue").count() == count
    assert overdue.count() == count
    assert overdue.values("dedup_key").distinct().count() == count
    assert not overdue.values("dedup_key").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert audit_verify().ok


def test_times_are_typed_and_shown_in_the_staff_member_s_own_time_zone(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    person = team["caseworker"].staff
    person.time_zone = "Asia/Yekaterinburg"  # UTC+5
    person.save(update_fields=["time_zone"])
    moment = _days_ahead(1, 9, 0)  # tomorrow 09:00 UTC: after the case was opened, whatever today is
    typed_there = moment.astimezone(ZoneInfo("Asia/Yekaterinburg"))
    with time_machine.travel(moment, tick=False):
        worker = staff_client(team["caseworker"])
        assert worker.post(f"/staff/cases/checkins/{case.reference}/plan/", _plan_form(case)).status_code == 302
        # "14:00" typed by someone in Yekaterinburg is 09:00 UTC
        at = typed_there.strftime("%Y-%m-%dT%H:%M")
        typed = worker.post(f"/staff/cases/checkins/{case.reference}/record/", {"at": at, "channel": "in_person"})
        assert typed.status_code == 302
        assert CheckInRecord.objects.get().at == moment
        plan = CheckInPlan.objects.get()
        assert plan.next_due_at == moment + timedelta(hours=24)
        page = worker.get(f"/staff/cases/{case.reference}/").content.decode()
    next_due_there = typed_there + timedelta(hours=24)
    assert f"{next_due_there.day} {next_due_there:%b %Y}, 14:00" in page
    assert "(Asia/Yekaterinburg)" in page


def test_check_in_alerts_need_a_note_from_someone_who_can_open_the_case(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    case = accepted["case"]
    plan = checkins.plan_set(
        ring=_ring(team["caseworker"]),
        staff=team["caseworker"].staff,
        reference=case.reference,
        version=case.version,
        interval_minutes=60,
        grace_minutes=10,
        lost_after_missed=1,
    )
    _sweep_at(plan.next_due_at + 11 * MINUTE, plan)
    assert plan.state == "lost"
    alert = StaffAlert.objects.get(kind="checkin_lost", recipient=team["admin"].staff)
    # The plain "Acknowledge" of other alerts does not clear a check-in alert
    admin = staff_client(team["admin"])
    admin.post(f"/staff/accounts/alerts/{alert.pk}/acknowledge/")
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    # An administrator has no key to seal a note with, and no check-in role
    url = f"/staff/cases/checkins/{case.reference}/acknowledge/missed/"
    assert admin.post(url, {"missed-note": "ok"}).status_code == 403
    assert staff_client(team["caseworker2"]).post(url, {"missed-note": "ok"}).status_code == 404
    with pytest.raises(CaseError, match="Choose which alerts"):
        checkins.alerts_acknowledge(
            ring=_ring(team["caseworker"]),
            staff=team["caseworker"].staff,
            reference=case.reference,
            family="other",
            note="x",
        )
    assert StaffAlert.objects.filter(kind="checkin_lost", acknowledged_at__isnull=True).count() == 4
