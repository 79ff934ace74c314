"""The check-in part of a case's page: the plan and where it stands, open alerts, and its three forms."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ferry.accounts.alerts import CHECKIN_EMERGENCY, CHECKIN_MISSED, checkin_alerts_open
from ferry.accounts.models import Staff, StaffAlert
from ferry.cases.checkins import forms as checkin_forms
from ferry.cases.checkins import schedule as checkin_schedule
from ferry.cases.checkins.selectors import alerted, staff_zone
from ferry.cases.checkins.timeline import span
from ferry.cases.models import Case, CheckInPlan


def panel(*, staff: Staff, case: Case, bound: dict[str, Any]) -> dict[str, Any]:
    """The check-in part of a case's page: the plan and where it stands, open alerts, and the three forms."""
    plan = CheckInPlan.objects.filter(case=case).first()
    tz_name = staff_zone(staff)
    now = timezone.now()
    open_kinds = checkin_alerts_open(references=[case.reference]).get(case.reference, set())
    if plan is not None:
        every, every_unit = checkin_schedule.in_units(plan.interval_minutes)
        grace, grace_unit = checkin_schedule.in_units(plan.grace_minutes)
        initial = {
            "every": every,
            "every_unit": every_unit,
            "grace": grace,
            "grace_unit": grace_unit,
            "lost_after_missed": plan.lost_after_missed,
            "quiet_start": plan.quiet_start,
            "quiet_end": plan.quiet_end,
            "time_zone": plan.time_zone,
            "active": plan.active,
        }
    else:
        initial = {
            "every": 24,
            "every_unit": "hours",
            "grace": 2,
            "grace_unit": "hours",
            "lost_after_missed": 3,
            "time_zone": tz_name,
            "active": True,
        }
    local_now = now.astimezone(checkin_schedule.zone(tz_name)).strftime("%Y-%m-%dT%H:%M")
    return {
        "checkin_tz": tz_name,
        "checkin_now": now,
        "checkin_plan": plan,
        "checkin_every": span(plan.interval_minutes) if plan else "",
        "checkin_grace": span(plan.grace_minutes) if plan else "",
        "checkin_alerted": alerted(plan),
        "checkin_running": plan is not None and plan.active and case.closed_at is None,
        "checkin_overdue": plan is not None and plan.active and case.closed_at is None and plan.next_due_at <= now,
        "checkin_open_missed": sorted(str(StaffAlert.Kind(k).label) for k in open_kinds & CHECKIN_MISSED),
        "checkin_open_duress": bool(open_kinds & CHECKIN_EMERGENCY),
        "checkin_plan_form": bound.get("checkin_plan_form")
        or checkin_forms.PlanForm(initial={**initial, "version": case.version}),
        "checkin_record_form": bound.get("checkin_record_form")
        or checkin_forms.RecordForm(initial={"at": local_now, "channel": "phone"}),
        "checkin_ack_missed_form": bound.get("checkin_ack_missed_form")
        or checkin_forms.AcknowledgeForm(prefix="missed"),
        "checkin_ack_duress_form": bound.get("checkin_ack_duress_form")
        or checkin_forms.AcknowledgeForm(prefix="duress"),
    }
