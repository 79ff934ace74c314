"""The "New activity" e-mail about what a person sent leaves on a fixed, jittered schedule, never within a
minute of the person's request: an intercepted e-mail must not time a submission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from ferry.accounts import tasks
from ferry.accounts.alerts import activity_alert
from ferry.accounts.models import StaffAlert
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def _activity_mails() -> int:
    return len([m for m in mail.outbox if m.subject == "New activity"])


def test_each_period_has_one_moment_at_a_secret_offset(settings: Any) -> None:
    period = timedelta(hours=settings.FERRY_ACTIVITY_MAIL_HOURS)
    assert period >= timedelta(hours=1)
    start = datetime.now(UTC)
    moments = [tasks.activity_mail_moment(start + n * period) for n in range(24)]
    offsets = {(m - tasks.activity_mail_slot_start(m)) for m in moments}
    # A moment inside each period, never its start, and not the same offset every time
    assert all(timedelta(0) <= offset < period for offset in offsets)
    assert len(offsets) > 12
    assert len(set(moments)) == 24


def _slot_with_room() -> datetime:
    """A period two days ahead whose moment is at least ten minutes after its start."""
    start = tasks.activity_mail_slot_start(datetime.now(UTC) + timedelta(days=2))
    while tasks.activity_mail_moment(start) - start < 10 * MINUTE:
        start = tasks.activity_mail_slot_start(start + timedelta(hours=25))
    return start


def _sweep_at(when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        tasks.alerts_email.call()


def test_a_request_is_mailed_about_at_the_periods_moment_not_within_a_minute(make_staff: Any) -> None:
    # Given a coordinator, and a person who writes just after a period began
    make_staff("administrator")
    make_staff("coordinator")
    start = _slot_with_room()
    moment = tasks.activity_mail_moment(start)
    with time_machine.travel(start + MINUTE, tick=False):
        assert submit(Client())[1]
    assert StaffAlert.objects.filter(kind=StaffAlert.Kind.NEW_REQUEST, emailed=False).count() == 1

    # When the worker's minute sweep runs a minute later, and just before the period's moment
    _sweep_at(start + 2 * MINUTE)
    _sweep_at(moment - MINUTE)
    # Then nothing was mailed yet
    assert _activity_mails() == 0

    # When the moment comes, one content-free e-mail goes, once
    _sweep_at(moment)
    _sweep_at(moment + MINUTE)
    assert _activity_mails() == 1

    # And a second person who writes after the moment is mailed about at the next period's moment only
    with time_machine.travel(moment + 5 * MINUTE, tick=False):
        StaffAlert.objects.update(acknowledged_at=moment + 4 * MINUTE)
        assert submit(Client())[1]
    _sweep_at(moment + 6 * MINUTE)
    assert _activity_mails() == 1
    following = tasks.activity_mail_moment(start + timedelta(hours=tasks.period_hours()))
    _sweep_at(following - MINUTE)
    assert _activity_mails() == 1
    _sweep_at(following)
    assert _activity_mails() == 2


def test_an_emergency_is_still_mailed_within_the_minute(make_staff: Any) -> None:
    # A person's duress code is an emergency: its e-mail does not wait for the schedule (docs/threat-model.md)
    coordinator = make_staff("coordinator")
    start = _slot_with_room()
    with time_machine.travel(start + MINUTE, tick=False):
        activity_alert(kind=StaffAlert.Kind.REQUESTER_DURESS, recipient_ids=[coordinator.staff.pk], reference="K7Q-3XD")
    _sweep_at(start + 2 * MINUTE)
    assert _activity_mails() == 1
