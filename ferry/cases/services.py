"""Writes on cases: opening one from a request, the one door to a case, stages, risk, notes, assignment,
needs and tasks. Every decryption and change is audited; changes use the case's version (optimistic
locking), so two coordinators never overwrite each other silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ferry.accounts.alerts import CHECKIN_MISSED, activity_alert, checkin_alerts_acknowledge
from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases.models import Assignment, Case, CheckInPlan, ClosingReason, Event, Need, Stage, Task
from ferry.cases.pipeline import DEFAULT_REASONS, DEFAULT_STAGES
from ferry.core.conflicts import first_write
from ferry.core.doors import Door, Opened, door_open
from ferry.core.errors import Conflict, FerryError, NotFound
from ferry.core.permissions import require
from ferry.intake.models import Request
from ferry.vault import keysets, staffkeys
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant, KeySet, StaffKey


class CaseError(FerryError):
    """A refusal the user can act on; the message is translated and holds no personal data."""


__all__ = ["CASE_DOOR", "CaseError", "Conflict", "NotFound", "access_case"]

# Who may open a case at all; the grant then decides which cases.
CASE_ROLES = (Role.CASEWORKER, Role.COORDINATOR)
CASE_DOOR = Door(
    model=Case,
    by="reference",
    roles=CASE_ROLES,
    audit_noun="case",
    missing=gettext_lazy("No such case."),
    related=("stage",),
)


def pipeline_ensure() -> None:
    """The default pipeline, if there is none (a migration seeds it; a flushed test database may not)."""
    if not Stage.objects.exists():
        for position, (key, en, ru, closed) in enumerate(DEFAULT_STAGES):
            Stage.objects.create(key=key, name_en=en, name_ru=ru, position=position, is_closed=closed)
    if not ClosingReason.objects.exists():
        for position, (key, en, ru) in enumerate(DEFAULT_REASONS):
            ClosingReason.objects.create(key=key, name_en=en, name_ru=ru, position=position)


open_json = keysets.open_json


def event_add(*, case: Case, key: bytes, kind: str, actor: Staff | None, detail: dict[str, Any]) -> Event:
    event = Event(case=case, key_set_id=case.key_set_id, kind=kind, at=timezone.now(), actor=actor)
    keysets.seal_json(key, event, "detail", detail)
    event.save(force_insert=True)
    return event


def _first_line(text: str, limit: int = 140) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


def case_open_from_request(*, request: Any, key: bytes, details: dict[str, Any], by: Staff, caseworker: Staff) -> Case:
    """A new case at the "accepted" stage for an accepted request, under the request's key set."""
    pipeline_ensure()
    now = timezone.now()
    open_stages = Stage.objects.filter(active=True, is_closed=False).order_by("position", "pk")
    stage = open_stages.filter(key="accepted").first() or open_stages.first()
    case = Case(
        reference=request.reference,
        key_set_id=request.key_set_id,
        request=request,
        stage=stage,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        risk=Case.Risk.CRITICAL if request.urgency == "now" else Case.Risk.HIGH,
    )
    keysets.seal_json(
        key, case, "card", {"name": details.get("name", ""), "summary": _first_line(details.get("story", ""))}
    )
    keysets.seal_json(key, case, "identity", {"name": details.get("name", "")})
    keysets.seal_json(
        key,
        case,
        "contacts",
        {k: details.get(k, "") for k in ("phone", "handle", "email", "country", "region", "place")},
    )
    keysets.seal_field(key, case, "risk_reason", "")
    case.save(force_insert=True)
    Assignment.objects.create(case=case, staff=caseworker, assigned_by=by, assigned_at=now)
    event_add(case=case, key=key, kind=Event.Kind.CREATED, actor=by, detail={})
    event_add(case=case, key=key, kind=Event.Kind.ASSIGNED, actor=by, detail={"staff": caseworker.name})
    audit_record(action="case.open_from_request", actor_id=by.pk, object_type="case", object_id=case.pk.hex)
    audit_record(action="case.assign", actor_id=by.pk, object_type="case", object_id=case.pk.hex)
    return case


def access_case(*, ring: KeyRing | None, staff: Staff, reference: str) -> Opened[Case]:
    """The one door to a case: the case and its key, or NotFound (missing, not granted, no role: same answer).

    A refused attempt at a case that exists is audited; nothing is decrypted."""
    return door_open(CASE_DOOR, ring=ring, staff=staff, value=reference)


def case_key_sets(case: Case) -> list[KeySet]:
    """The case's compartments: its own (everything staff record), and the conversation with the person."""
    found = [case.key_set]
    if case.request_id is None:
        return found
    conversation_id = Request.objects.filter(pk=case.request_id).values_list("conversation_id", flat=True).first()
    if conversation_id is not None:
        found += list(KeySet.objects.filter(pk=conversation_id))
    return found


def case_bump(case: Case, version: int, **changes: Any) -> None:
    """Apply changes only if nobody changed the case since the page was shown (optimistic locking)."""
    changes.setdefault("updated_at", timezone.now())
    if not Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1, **changes):
        raise Conflict(_("Someone else changed this case while you were looking at it. Check it and try again."))


@dataclass(frozen=True)
class StageMoved:
    """What a stage change did to the case's check-in plan: ended by closing, or left stopped by reopening."""

    plan_ended: bool = False
    plan_stopped: bool = False


def stage_change(
    *, ring: KeyRing, staff: Staff, reference: str, version: int, stage_key: str, reason_key: str = "", note: str = ""
) -> StageMoved:
    """Move the case to another stage; the closing stage needs a closing reason.

    Closing ends the check-in plan (the sweep never escalates a closed case) and closes its missed check-in
    alerts with the stage change as their note; an emergency stays until someone writes what was done.
    Reopening leaves the plan stopped: someone on the case sets it again, knowingly."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    stage = Stage.objects.filter(key=stage_key, active=True).first()
    if stage is None:
        raise CaseError(_("Choose a stage from the list."))
    if stage.pk == case.stage_id:
        raise CaseError(_("The case is already at this stage."))
    reason = None
    if stage.is_closed:
        reason = ClosingReason.objects.filter(key=reason_key, active=True).first()
        if reason is None:
            raise CaseError(_("A case cannot be closed without a reason."))
    now = timezone.now()
    with transaction.atomic():
        case_bump(
            case,
            version,
            stage=stage,
            stage_changed_at=now,
            closing_reason=reason,
            closed_at=now if stage.is_closed else None,
        )
        moved = event_add(
            case=case,
            key=key,
            kind=Event.Kind.STAGE,
            actor=staff,
            detail={"from": case.stage.key, "to": stage.key, "reason": reason.key if reason else "", "note": note},
        )
        audit_record(action="case.stage", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
        plan = CheckInPlan.objects.select_for_update().filter(case=case).first()
        if not stage.is_closed:
            return StageMoved(plan_stopped=case.stage.is_closed and plan is not None and not plan.active)
        checkin_alerts_acknowledge(reference=case.reference, kinds=CHECKIN_MISSED, by=staff, note_event=moved.pk)
        if plan is None or not plan.active:
            return StageMoved()
        CheckInPlan.objects.filter(pk=plan.pk).update(active=False, next_action_at=None, updated_at=now)
        event_add(
            case=case,
            key=key,
            kind=Event.Kind.PLAN,
            actor=staff,
            detail={"ended": True, "active": False},
        )
        audit_record(action="case.checkin_plan", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
        return StageMoved(plan_ended=True)


def risk_change(*, ring: KeyRing, staff: Staff, reference: str, version: int, risk: str, reason: str) -> None:
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if risk not in Case.Risk.values:
        raise CaseError(_("Choose a risk level."))
    if not reason.strip():
        raise CaseError(_("Say why: the next person on this case needs to know."))
    with transaction.atomic():
        keysets.seal_field(key, case, "risk_reason", reason)
        case_bump(case, version, risk=risk, risk_reason=case.risk_reason)
        event_add(case=case, key=key, kind=Event.Kind.RISK, actor=staff, detail={"risk": risk, "reason": reason})
        audit_record(action="case.risk", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)


def note_add(*, ring: KeyRing, staff: Staff, reference: str, text: str) -> None:
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if not text.strip():
        raise CaseError(_("The note is empty."))
    with transaction.atomic():
        event_add(case=case, key=key, kind=Event.Kind.NOTE, actor=staff, detail={"text": text})
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        audit_record(action="case.note", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)


def assignable(case: Case) -> list[Staff]:
    """Active caseworkers and coordinators with a key pair who are not assigned yet."""
    assigned = set(case.assignments.values_list("staff_id", flat=True))
    with_keys = StaffKey.objects.filter(**staffkeys.SEALABLE_KEY).values_list("staff_id", flat=True)
    return [
        s
        for s in Staff.objects.filter(
            is_active=True, roles__role__in=[Role.CASEWORKER, Role.COORDINATOR], pk__in=with_keys
        )
        .distinct()
        .order_by("display_name", "email")
        if s.pk not in assigned
    ]


def case_assign(*, ring: KeyRing, staff: Staff, reference: str, staff_id: int) -> None:
    """Add a caseworker: a coordinator who holds the case key seals it to them."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    require(staff, Role.COORDINATOR)
    person = next((s for s in assignable(case) if s.pk == staff_id), None)
    if person is None:
        raise CaseError(_("Choose an active colleague who is not on this case yet."))
    with transaction.atomic():
        with first_write(_("Someone else added this colleague to the case just now.")):
            Assignment.objects.create(case=case, staff=person, assigned_by=staff, assigned_at=timezone.now())
        for key_set in case_key_sets(case):
            keysets.keyset_grant(key_set=key_set, ring=ring, staff_id=person.pk)
        event_add(case=case, key=key, kind=Event.Kind.ASSIGNED, actor=staff, detail={"staff": person.name})
        audit_record(action="case.assign", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
        activity_alert(kind=StaffAlert.Kind.CASE_ASSIGNED, recipient_ids=[person.pk], reference=case.reference)


def case_holders(case: Case) -> list[Staff]:
    """Everyone who can open the case (assigned or not: coordinators who held the request, colleagues it was
    shared with): listed on the case's page, each removable."""
    holder_ids = Grant.objects.filter(key_set_id=case.key_set_id, staff__isnull=False).values_list(
        "staff_id", flat=True
    )
    return list(Staff.objects.filter(pk__in=holder_ids).order_by("display_name", "email"))


def case_unassign(*, ring: KeyRing, staff: Staff, reference: str, staff_id: int) -> None:
    """Remove someone's access (a caseworker on the case, or anyone else holding its key): their grants go and
    the case and its conversation are re-keyed in the same transaction."""
    case, _key = access_case(ring=ring, staff=staff, reference=reference)
    require(staff, Role.COORDINATOR)
    person = next((holder for holder in case_holders(case) if holder.pk == staff_id), None)
    if person is None:
        raise CaseError(_("This person cannot open the case."))
    if staff_id == staff.pk:
        raise CaseError(_("Ask another coordinator to remove you."))
    with transaction.atomic():
        name = person.name
        Assignment.objects.filter(case=case, staff_id=staff_id).delete()
        for key_set in case_key_sets(case):
            # The person's grant to the conversation is re-sealed: they still read their mailbox.
            keysets.keyset_revoke(key_set=key_set, ring=ring, staff_id=staff_id)
        case.key_set.refresh_from_db()
        new_key = ring.key_for(case.key_set)
        event_add(case=case, key=new_key, kind=Event.Kind.UNASSIGNED, actor=staff, detail={"staff": name})
        audit_record(action="case.unassign", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
        audit_record(action="case.unassign_staff", actor_id=staff.pk, object_type="staff", object_id=staff_id)


def need_set(*, ring: KeyRing, staff: Staff, reference: str, kind: str, status: str, detail: str) -> None:
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if kind not in Need.Kind.values or status not in Need.Status.values:
        raise CaseError(_("Choose a need and its status."))
    now = timezone.now()
    with transaction.atomic():
        need = Need.objects.filter(case=case, kind=kind).first() or Need(
            case=case, key_set_id=case.key_set_id, kind=kind
        )
        need.status = status
        need.updated_at = now
        keysets.seal_field(key, need, "detail", detail)
        with first_write(_("Someone else set this need just now. Look at the case again, then change it.")):
            need.save()
        event_add(case=case, key=key, kind=Event.Kind.NEED, actor=staff, detail={"kind": kind, "status": status})
        audit_record(action="case.need", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)


def task_add(*, ring: KeyRing, staff: Staff, reference: str, title: str, due_on: date, owner_id: int) -> None:
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if not title.strip():
        raise CaseError(_("Say what needs doing."))
    if due_on < timezone.localdate():
        raise CaseError(_("The due date is in the past."))
    if not case.assignments.filter(staff_id=owner_id).exists() and owner_id != staff.pk:
        raise CaseError(_("The owner must be on the case."))
    with transaction.atomic():
        task = Task(case=case, key_set_id=case.key_set_id, due_on=due_on, owner_id=owner_id, created_at=timezone.now())
        keysets.seal_field(key, task, "title", title)
        task.save(force_insert=True)
        event_add(
            case=case, key=key, kind=Event.Kind.TASK, actor=staff, detail={"title": title, "due": due_on.isoformat()}
        )
        audit_record(action="case.task", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)


def task_done(*, ring: KeyRing, staff: Staff, reference: str, task_id: Any) -> None:
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    task = Task.objects.filter(case=case, pk=task_id, done_at__isnull=True).first()
    if task is None:
        raise CaseError(_("This task is already done or gone."))
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(done_at=timezone.now())
        title = keysets.open_field(key, task, "title") or ""
        event_add(case=case, key=key, kind=Event.Kind.TASK, actor=staff, detail={"title": title, "done": True})
        audit_record(action="case.task_done", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)


def case_share_from_request(*, ring: KeyRing, staff: Staff, reference: str, staff_id: int) -> None:
    """Sharing a request that is a case now: the colleague is added to the case, listed and removable there."""
    case_assign(ring=ring, staff=staff, reference=reference, staff_id=staff_id)


def case_adopt_after_recovery(*, key_set_id: int, staff_id: int, by: Staff) -> None:
    """After an escrow recovery granted a case's key to someone, they carry the case: assign them.

    The timeline entry has no sealed detail (the ceremony's key is not at hand here): who and when suffice."""
    case = Case.objects.filter(key_set_id=key_set_id, shredded_at__isnull=True).first()
    if case is None:
        return
    _assignment, created = Assignment.objects.get_or_create(
        case=case, staff_id=staff_id, defaults={"assigned_by": by, "assigned_at": timezone.now()}
    )
    if created:
        Event.objects.create(
            case=case, key_set_id=case.key_set_id, kind=Event.Kind.ASSIGNED, at=timezone.now(), actor=by
        )
        audit_record(action="case.assign_recovered", actor_id=by.pk, object_type="case", object_id=case.pk.hex)
