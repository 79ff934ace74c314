"""Done when (cases): a coordinator accepts a request from the intake queue and assigns a caseworker, who moves
the case through stages, adds a task and a need, writes to the person (who reads it with the receipt code,
without JavaScript), and sets a check-in plan; the clock moves past the grace period and the alert appears
for the caseworker, and one grace period later for the coordinators too (and not before).

Three browser contexts: the person (no JavaScript), the coordinator and the caseworker, all on real pages. The
clock: the live server runs in this process, so time_machine moves it for the pages and for the worker's
minute sweep, which is called here as the worker would call it at that time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ferry.accounts.models import Staff, StaffAlert
from ferry.cases.checkins.sweep import sweep_plans
from ferry.cases.models import Case, CheckInPlan
from ferry.intake.models import CheckIn, Request
from tests.conftest import TEST_PASSPHRASE
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/ferry-shots")
STORY = "They searched my flat yesterday while I was out. I am staying with a friend and cannot go home."
MESSAGE = "We have a room for you from Thursday. Reply here if you can travel, and check in every time we ask."
TASK = "Book the train to the border for Thursday"
NEED = "Room for two weeks, quiet street"
EVERY, GRACE = 15, 5  # minutes: the shortest plan the service allows (ferry.cases.checkins.MIN_INTERVAL)
OVERDUE = "A check-in is overdue"
ESCALATED = "A missed check-in was escalated"


@pytest.fixture
def hotline(make_staff: Any) -> dict[str, Any]:
    """An administrator (escrow and contact index), a coordinator and a caseworker, with names people read."""
    people = {
        "admin": make_staff("administrator"),
        "coordinator": make_staff("coordinator"),
        "caseworker": make_staff("caseworker"),
    }
    for role, name in (("coordinator", "Dana Coordinator"), ("caseworker", "Kamil Caseworker")):
        Staff.objects.filter(pk=people[role].staff.pk).update(display_name=name)
    return people


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """The whole process (test, live server, sweep) at `moment`; ticking, so the browser's waits still run."""
    with time_machine.travel(moment, tick=True):
        yield


def _staff_context(browser: Browser, base: str, who: Any) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, base, who.staff.email, TEST_PASSPHRASE, who.totp_secret)
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    return context, page


def _nav(page: Page, name: str) -> None:
    """Follow a link of the staff menu."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def _done(page: Page, text: str) -> None:
    expect(page.locator("ul.messages[role='status']")).to_contain_text(text)


def _checkin_alerts(staff: Any) -> list[str]:
    return sorted(
        StaffAlert.objects.filter(recipient=staff.staff, kind__startswith="checkin_").values_list("kind", flat=True)
    )


def _person_asks_for_help(context: BrowserContext, base: str) -> tuple[Page, str]:
    page = context.new_page()
    page.goto(f"{base}/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#id_name").fill("Ilya")
    page.locator("#id_phone").fill("+7 912 000 11 22")
    page.locator("#id_handle").fill("@ilya_waits")
    page.locator("#id_story").fill(STORY)
    page.locator("#id_needs").fill("A safe place to sleep")
    page.locator("input[name='urgency'][value='soon']").check()
    page.locator("form[action^='/send'] button[type='submit']").click()
    expect(page.locator("p.secret.code")).to_have_count(1)
    code = page.locator("p.secret.code").inner_text().strip()
    assert re.fullmatch(r"(\d{4} ){5}\d{4}", code), code
    return page, code


def _coordinator_accepts(office: Page, base: str, reference: str) -> None:
    _nav(office, "Requests")
    expect(office).to_have_url(f"{base}/staff/intake/")
    office.get_by_role("link", name=reference).click()
    expect(office.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(office.get_by_text(STORY)).to_be_visible()
    accept = office.locator(f"form[action='/staff/intake/{reference}/accept/']")
    accept.locator("select[name='caseworker']").select_option(label="Kamil Caseworker")
    accept.get_by_role("button", name="Accept").click()
    # Accepting leads to the new case.
    _done(office, "Accepted into a case. The caseworker can now open it.")
    expect(office).to_have_url(f"{base}/staff/cases/{reference}/")
    expect(office.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")

    # The board shows the new case at the "Accepted" stage, with its caseworker.
    _nav(office, "Board")
    column = office.locator("section.stage-column[aria-labelledby='stage-accepted']")
    expect(column.get_by_role("link", name=reference)).to_be_visible()
    expect(column.locator("tr", has_text=reference)).to_contain_text("Kamil Caseworker")


def _unfold(page: Page, summary: str) -> None:
    """Open one of the case page's folded forms, as a person clicks its summary."""
    page.locator("summary", has_text=summary).click()


def _caseworker_works_the_case(desk: Page, base: str, reference: str) -> None:
    _nav(desk, "My cases")
    expect(desk.get_by_role("heading", level=1, name="My cases")).to_be_visible()
    desk.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
    expect(desk.locator("main")).to_contain_text("Caseworkers: Kamil Caseworker")
    expect(desk.locator("#checkins")).to_contain_text("No check-in plan yet.")

    # The case comes first: every form is folded away until asked for.
    expect(desk.locator("main form textarea:visible, main form select:visible")).to_have_count(0)
    _shot(desk, "case-page-folded.png")

    # Through the stages: each move is in the timeline, with its encrypted note.
    stage = desk.locator(f"form[action='/staff/cases/{reference}/stage/']")
    for key, name, note in (
        ("safe_house", "Safe house", "Moved to the flat on Thursday"),
        ("documents", "Documents", "Passport application started"),
    ):
        _unfold(desk, "Change the stage")
        stage.locator("select[name='stage']").select_option(key)
        stage.locator("textarea[name='note']").fill(note)
        stage.get_by_role("button", name="Change stage").click()
        _done(desk, "Stage changed.")
        expect(desk.locator("main > p").nth(1)).to_contain_text(name)
        expect(desk.locator("ol.timeline li.stage").first).to_contain_text(note)
    expect(desk.locator("ol.timeline li.stage")).to_have_count(2)

    # A task, with a due date and an owner.
    due_on = datetime.now(UTC).date() + timedelta(days=2)
    task = desk.locator(f"form[action='/staff/cases/{reference}/task/']")
    _unfold(desk, "Add a task")
    task.locator("[name='title']").fill(TASK)
    task.locator("input[name='due_on']").fill(due_on.isoformat())
    task.locator("select[name='owner']").select_option(label="Kamil Caseworker")
    task.get_by_role("button", name="Add task").click()
    _done(desk, "Task added.")
    tasks = desk.locator("section[aria-labelledby='h-tasks'] > ul > li")
    expect(tasks).to_have_count(1)
    expect(tasks.first).to_contain_text(TASK)
    expect(tasks.first).to_contain_text(f"due {due_on.day} {due_on:%b %Y}")
    expect(tasks.first).to_contain_text("Kamil Caseworker")

    # A need, with its status and detail.
    need = desk.locator(f"form[action='/staff/cases/{reference}/need/']")
    _unfold(desk, "Add or update a need")
    need.locator("select[name='kind']").select_option("shelter")
    need.locator("select[name='status']").select_option("in_progress")
    need.locator("[name='detail']").fill(NEED)
    need.get_by_role("button", name="Save need").click()
    _done(desk, "Need saved.")
    needs = desk.locator("section[aria-labelledby='h-needs'] li")
    expect(needs).to_have_count(1)
    expect(needs.first).to_have_text(f"Shelter: In progress · {NEED}")

    # A message to the person, into the mailbox they open with their code.
    write = desk.locator(f"form[action='/staff/cases/{reference}/message/']")
    _unfold(desk, "Write to the person")
    write.locator("textarea[name='text']").fill(MESSAGE)
    write.get_by_role("button", name="Send to the person").click()
    _done(desk, "Your message is in the person's mailbox.")
    # It is in the conversation with the person, not among the internal notes.
    conversation = desk.locator("section[aria-labelledby='h-conversation']")
    expect(conversation.locator("li.to-person")).to_contain_text(MESSAGE)
    expect(conversation.locator("li.to-person")).to_contain_text("To the person")
    expect(desk.locator("section[aria-labelledby='h-timeline']")).not_to_contain_text(MESSAGE)

    # The check-in plan: every 15 minutes, 5 minutes' grace, in the person's zone.
    panel = desk.locator("#checkins")
    plan = panel.locator(f"form[action='/staff/cases/checkins/{reference}/plan/']")
    expect(plan).to_be_hidden()
    _unfold(desk, "Set a check-in plan")
    plan.locator("input[name='every']").fill(str(EVERY))
    plan.locator("select[name='every_unit']").select_option("minutes")
    plan.locator("input[name='grace']").fill(str(GRACE))
    plan.locator("select[name='grace_unit']").select_option("minutes")
    plan.locator("input[name='lost_after_missed']").fill("3")
    plan.locator("select[name='time_zone']").select_option("Europe/Moscow")
    expect(plan.locator("input[name='active']")).to_be_checked()
    plan.get_by_role("button", name="Save plan").click()
    _done(desk, "Check-in plan saved.")
    expect(panel.locator(".badge")).to_have_text("OK")
    expect(panel).to_contain_text("Next check-in due in 14 minutes.")
    expect(panel).to_contain_text("Every 15 minutes, grace period 5 minutes")
    expect(panel).to_contain_text("Nobody yet")
    _shot(desk, "case-plan-set.png")


def _person_reads_the_message(page: Page, base: str, code: str) -> None:
    page.goto(f"{base}/?lang=en")
    side = page.locator("aside.intake-side")
    side.locator("input[name='code']").fill(code)
    side.locator("button[type='submit']").click()
    expect(page.locator("ol.thread li.staff p.text")).to_have_text(MESSAGE)
    _shot(page, "case-mailbox-person.png")


def _urgent(page: Page, label: str) -> Any:
    return page.locator("ul.alerts li").filter(has_text=label)


def test_case_from_intake_to_escalated_checkin(browser: Browser, live_server: Any, hotline: dict[str, Any]) -> None:
    base = live_server.url
    coordinator, caseworker = hotline["coordinator"], hotline["caseworker"]

    person_context = browser.new_context(java_script_enabled=False, locale="en-GB")
    person, code = _person_asks_for_help(person_context, base)
    reference = Request.objects.get().reference

    coordinator_context, office = _staff_context(browser, base, coordinator)
    _coordinator_accepts(office, base, reference)

    caseworker_context, desk = _staff_context(browser, base, caseworker)
    _caseworker_works_the_case(desk, base, reference)

    _person_reads_the_message(person, base, code)
    assert person_context.cookies() == []
    assert not CheckIn.objects.exists(), "reading the mailbox is not a check-in"

    case = Case.objects.get(reference=reference)
    assert case.stage.key == "documents"
    plan = CheckInPlan.objects.get(case=case)
    due = plan.next_due_at
    assert (plan.interval_minutes, plan.grace_minutes, plan.time_zone) == (EVERY, GRACE, "Europe/Moscow")
    assert timedelta(minutes=EVERY - 1) < due - datetime.now(UTC) <= timedelta(minutes=EVERY)
    grace = timedelta(minutes=GRACE)
    minute = timedelta(minutes=1)

    # Before the due time the sweep moves nothing.
    with _clock_at(due - minute):
        assert sweep_plans(timezone.now()) == 0
    assert _checkin_alerts(caseworker) == _checkin_alerts(coordinator) == []

    # Due, within the grace period: a reminder for the caseworker only; nobody has "missed" anything yet.
    with _clock_at(due + minute):
        assert sweep_plans(timezone.now()) == 1
        _nav(desk, "Missed check-ins")
        expect(desk.get_by_role("heading", level=1, name="Missed check-ins")).to_be_visible()
        expect(desk.locator("main")).to_contain_text("Nobody has missed a check-in.")
        expect(desk.locator("main")).to_contain_text("Due now, within the grace period")
        expect(desk.locator("table.missed-checkins tr", has_text=reference)).to_contain_text("Due")
    assert _checkin_alerts(caseworker) == ["checkin_due"]
    assert _checkin_alerts(coordinator) == []

    # Past the grace period: overdue, and the caseworker is alerted; the coordinator is not, yet.
    with _clock_at(due + grace + minute):
        assert sweep_plans(timezone.now()) == 1
        assert sweep_plans(timezone.now()) == 0, "a second sweep in the same minute raises nothing again"
        _nav(desk, "Dashboard")
        overdue = _urgent(desk, OVERDUE)
        expect(overdue).to_have_count(1)
        expect(overdue.get_by_role("link", name=reference)).to_be_visible()
        expect(overdue.get_by_role("link", name="Acknowledge with a note")).to_be_visible()
        missed = desk.locator("section[aria-labelledby='h-missed']")
        expect(missed.locator("tr", has_text=reference)).to_contain_text("Overdue")
        expect(missed.locator("tr", has_text=reference)).to_contain_text("Ilya")

        _nav(desk, "Missed check-ins")
        row = desk.locator("table.missed-checkins tbody tr", has_text=reference)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Overdue")
        expect(row).to_contain_text("not acknowledged")
        expect(row).to_contain_text("1 / 3")
        expect(row).to_contain_text("21 minutes")  # silent since the plan began: interval + grace + 1
        expect(row).to_contain_text("Kamil Caseworker")
        _shot(desk, "checkins-missed-caseworker.png")

        desk.get_by_role("link", name=reference).click()
        panel = desk.locator("#checkins")
        expect(panel.locator(".badge").first).to_have_text("Overdue")
        expect(panel).to_contain_text("No check-in for 6 minutes past the due time.")
        expect(panel.locator("dd").nth(3)).to_have_text("The caseworkers")
        expect(panel.locator("div[role='alert']")).to_contain_text(OVERDUE)
        _shot(desk, "case-overdue-caseworker.png")

        _nav(office, "Dashboard")
        expect(office.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
        expect(_urgent(office, OVERDUE)).to_have_count(0)
        expect(_urgent(office, ESCALATED)).to_have_count(0)
        _shot(office, "dashboard-coordinator-step1.png")
    assert _checkin_alerts(caseworker) == ["checkin_due", "checkin_overdue"]
    assert _checkin_alerts(coordinator) == []

    # One more grace period: escalated, and now the coordinators are alerted too.
    with _clock_at(due + 2 * grace + minute):
        assert sweep_plans(timezone.now()) == 1
        office.reload()
        escalated = _urgent(office, ESCALATED)
        expect(escalated).to_have_count(1)
        expect(escalated.get_by_role("link", name=reference)).to_be_visible()
        _shot(office, "dashboard-coordinator-step2.png")

        _nav(office, "Missed check-ins")
        row = office.locator("table.missed-checkins tbody tr", has_text=reference)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Overdue")
        expect(row).to_contain_text("26 minutes")  # since the plan began: interval + 2 grace + 1
        _shot(office, "checkins-missed-coordinator.png")

        office.get_by_role("link", name=reference).click()
        panel = office.locator("#checkins")
        expect(panel.locator("dd").nth(3)).to_have_text("The caseworkers and the coordinators")
        _shot(office, "case-escalated-coordinator.png")

        _nav(desk, "Dashboard")
        expect(_urgent(desk, ESCALATED)).to_have_count(1)
        expect(_urgent(desk, OVERDUE)).to_have_count(1)  # stays until someone writes what was done
        _shot(desk, "dashboard-caseworker-step2.png")
    assert _checkin_alerts(coordinator) == ["checkin_escalated"]
    assert _checkin_alerts(caseworker) == ["checkin_due", "checkin_escalated", "checkin_overdue"]
    assert _checkin_alerts(hotline["admin"]) == [], "administrators only at the third step"

    # The caseworker reached the person by phone and writes what was done: the alerts go, for everyone.
    with _clock_at(due + 2 * grace + 2 * minute):
        _urgent(desk, ESCALATED).get_by_role("link", name=reference).click()
        acknowledge = desk.locator(f"form[action='/staff/cases/checkins/{reference}/acknowledge/missed/']")
        acknowledge.locator("textarea[name='missed-note']").fill("Called Ilya at 03:16: battery died, safe.")
        acknowledge.get_by_role("button", name="Acknowledge with this note").click()
        _done(desk, "Acknowledged for everyone who was alerted.")
        expect(desk.locator("#checkins div[role='alert']")).to_have_count(0)
        _nav(office, "Dashboard")
        expect(office.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
        expect(_urgent(office, ESCALATED)).to_have_count(0)
        row = office.locator("section[aria-labelledby='h-missed'] tr", has_text=reference)
        expect(row).to_contain_text("Overdue")  # still silent on the plan until a check-in is recorded
        expect(row).not_to_contain_text("not acknowledged")
    assert not StaffAlert.objects.filter(kind__startswith="checkin_", acknowledged_at__isnull=True).exists()

    for context in (person_context, coordinator_context, caseworker_context):
        context.close()


def test_a_colleague_s_duress_login_is_handled_from_the_dashboard_with_a_note(
    browser: Browser, live_server: Any, hotline: dict[str, Any]
) -> None:
    """Done when (issue 16, item 7): the coordinator reads what to do and which cases the coerced caseworker is
    on, cannot dismiss it with one click, and acknowledges it with a note that lands in the case's timeline."""
    base = live_server.url
    coordinator, caseworker = hotline["coordinator"], hotline["caseworker"]
    person_context = browser.new_context(java_script_enabled=False, locale="en-GB")
    _person, _code = _person_asks_for_help(person_context, base)
    reference = Request.objects.get().reference
    coordinator_context, office = _staff_context(browser, base, coordinator)
    _coordinator_accepts(office, base, reference)
    # The caseworker signs in under duress elsewhere: coordinators and administrators are alerted about them.
    for who in (coordinator, hotline["admin"]):
        StaffAlert.objects.create(
            kind=StaffAlert.Kind.DURESS, recipient=who.staff, about_staff=caseworker.staff, created_at=timezone.now()
        )

    _nav(office, "Dashboard")
    entry = office.locator("article.duress-login")
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("heading", level=3)).to_contain_text(
        "Kamil Caseworker signed in with their duress passphrase"
    )
    expect(entry).to_contain_text("Do not call or message their phone")
    expect(entry.locator("ul.duress-cases li")).to_have_text(f"{reference} · nobody else is on it")
    expect(entry.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)
    _shot(office, "dashboard-duress-login.png")

    # Without a note the browser does not send it; with one, it is gone for everyone alerted.
    entry.get_by_role("button", name="Acknowledge with this note").click()
    expect(office.locator("article.duress-login")).to_have_count(1)
    entry.locator("textarea[name='note']").fill("Met Kamil at 14:00, safe; the case goes to Dana for now.")
    entry.get_by_role("button", name="Acknowledge with this note").click()
    _done(office, "Acknowledged for everyone who was alerted.")
    expect(office.locator("article.duress-login")).to_have_count(0)
    assert not StaffAlert.objects.filter(kind="duress", acknowledged_at__isnull=True).exists()

    office.goto(f"{base}/staff/cases/{reference}/")
    timeline = office.locator("section[aria-labelledby='h-timeline']")
    expect(timeline.locator("li.alert")).to_contain_text("Met Kamil at 14:00, safe")
    expect(timeline.locator("li.alert")).to_contain_text("Duress login by Kamil Caseworker")

    for context in (person_context, coordinator_context):
        context.close()
