"""Reads on cases, scoped to the viewer: their caseload, the coordinators' board, one case's page.

Lists decrypt one sealed "card" per row with keys opened in bulk; search decrypts in memory, so no
plaintext index ever reaches the disk. Metadata counts (stage, risk) need no key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from ferry.accounts.models import Staff
from ferry.audit.services import audit_record
from ferry.cases.checkins.timeline import checkin_texts
from ferry.cases.models import Assignment, Case, Event, Need, Stage, Task
from ferry.cases.referrals.timeline import referral_texts
from ferry.cases.services import access_case, open_json
from ferry.core.text import without_bidi_in
from ferry.intake.models import Attachment, CheckIn, Message
from ferry.intake.selectors import request_files
from ferry.vault import keysets
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing


@dataclass
class Row:
    case: Case
    name: str = ""
    summary: str = ""
    assignees: list[str] = field(default_factory=list)
    next_due_at: datetime | None = None
    checkin_state: str = ""
    overdue_tasks: int = 0


@dataclass(frozen=True)
class Filters:
    stage: str = ""
    risk: str = ""
    overdue: bool = False
    assignee: int | None = None
    query: str = ""


RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
BOARD_COLUMN_ROWS = 20


def _filtered(cases: QuerySet[Case], filters: Filters) -> QuerySet[Case]:
    if filters.stage:
        cases = cases.filter(stage__key=filters.stage)
    if filters.risk:
        cases = cases.filter(risk=filters.risk)
    if filters.assignee:
        cases = cases.filter(assignments__staff_id=filters.assignee)
    if filters.overdue:
        cases = cases.filter(checkin_plan__active=True, checkin_plan__state__in=["overdue", "lost"])
    return cases


def _rows(ring: KeyRing, cases: list[Case], query: str) -> list[Row]:
    keys = ring.keys_for(c.key_set for c in cases)
    today = timezone.localdate()
    assignees: dict[Any, list[str]] = {}
    for case_id, display, email in Assignment.objects.filter(case__in=cases).values_list(
        "case_id", "staff__display_name", "staff__email"
    ):
        assignees.setdefault(case_id, []).append(display or email)
    overdue = dict(
        Task.objects.filter(case__in=cases, done_at__isnull=True, due_on__lt=today)
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    needle = query.casefold().strip()
    rows = []
    for case in cases:
        key = keys.get(case.key_set_id)
        if key is None:
            continue
        card = without_bidi_in(open_json(key, case, "card"))
        row = Row(
            case=case,
            name=card.get("name", ""),
            summary=card.get("summary", ""),
            assignees=sorted(assignees.get(case.pk, [])),
            overdue_tasks=overdue.get(case.pk, 0),
        )
        plan = getattr(case, "checkin_plan", None)
        # A stopped plan (or a closed case's, ended with it) has no next check-in to show.
        if plan is not None and plan.active and case.closed_at is None:
            row.next_due_at, row.checkin_state = plan.next_due_at, plan.state
        if needle and needle not in f"{row.name} {row.summary} {case.reference}".casefold():
            continue
        rows.append(row)
    rows.sort(key=lambda r: (RISK_ORDER.get(r.case.risk, 9), r.case.stage.position, r.case.reference))
    return rows


def _base() -> QuerySet[Case]:
    return Case.objects.select_related("stage", "key_set", "checkin_plan").filter(shredded_at__isnull=True)


def my_cases(*, ring: KeyRing, staff: Staff, filters: Filters) -> list[Row]:
    """The caseload: open cases the viewer is assigned to (and can open)."""
    cases = _filtered(_base().filter(assignments__staff=staff, closed_at__isnull=True), filters).distinct()
    rows = _rows(ring, list(cases), filters.query)
    _audit_list(staff, "case.list_mine", len(rows))
    return rows


def _audit_list(staff: Staff, action: str, shown: int) -> None:
    """One entry per list shown with decrypted names and summaries: who looked, when, how many rows."""
    if shown:
        audit_record(action=action, actor_id=staff.pk, object_type="case_list", object_id=shown)


@dataclass
class Board:
    columns: list[tuple[Stage, int, list[Row]]]
    counts: dict[int, int]
    hidden: int


def board(*, ring: KeyRing, staff: Staff, filters: Filters) -> Board:
    """Cases by stage: the ones the viewer holds a key for, and metadata-only counts of all."""
    stages = list(Stage.objects.filter(active=True).order_by("position", "pk"))
    # COUNT(*) over live cases: read from the partial index case_live_by_stage, never the wide case rows.
    counts = dict(
        _filtered(Case.objects.filter(shredded_at__isnull=True), filters)
        .values("stage_id")
        .annotate(n=Count("*"))
        .values_list("stage_id", "n")
    )
    # One light query for what the viewer holds, the most urgent per column picked here, then those rows.
    held = _filtered(Case.objects.filter(shredded_at__isnull=True, key_set__grants__staff=staff), filters)
    order = sorted(
        held.values_list("pk", "stage_id", "risk", "stage_changed_at"),
        key=lambda row: (RISK_ORDER.get(row[2], 9), row[3]),
    )
    chosen: dict[int, list[Any]] = {}
    for pk, stage_id, _risk, _changed in order:
        column = chosen.setdefault(stage_id, [])
        if len(column) < BOARD_COLUMN_ROWS:
            column.append(pk)
    picked = list(_base().filter(pk__in=[pk for ids in chosen.values() for pk in ids]))
    rows = _rows(ring, picked, filters.query)
    _audit_list(staff, "case.list_board", len(rows))
    by_stage: dict[int, list[Row]] = {}
    for row in rows:
        by_stage.setdefault(row.case.stage_id, []).append(row)
    hidden = sum(counts.values()) - len(rows)
    return Board(
        columns=[(s, counts.get(s.pk, 0), by_stage.get(s.pk, [])) for s in stages], counts=counts, hidden=max(hidden, 0)
    )


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    label: str
    actor: str
    detail: dict[str, Any]


@dataclass
class CaseView:
    case: Case
    card: dict[str, Any]
    identity: dict[str, Any]
    contacts: dict[str, Any]
    risk_reason: str
    request_details: dict[str, Any]
    # What the team recorded, newest first (the person never sees it), apart from what was said with the person.
    timeline: list[TimelineItem]
    conversation: list[TimelineItem]
    # Every file the person sent, with the request or with a later message.
    files: list[tuple[Attachment, dict[str, Any]]]
    needs: list[tuple[Need, str]]
    tasks: list[tuple[Task, str]]
    assignees: list[Staff]


def case_page(*, ring: KeyRing, staff: Staff, reference: str) -> CaseView:
    """Everything on a case's page, decrypted; the opening is audited."""
    case, key = access_case(ring=ring, staff=staff, reference=reference)
    if case.request_id is not None:
        case = Case.objects.select_related("stage", "key_set", "request__conversation").get(pk=case.pk)
    audit_record(action="case.view", actor_id=staff.pk, object_type="case", object_id=case.pk.hex)
    timeline = [
        TimelineItem(
            at=e.at,
            kind=e.kind,
            label=str(e.get_kind_display()),
            actor=e.actor.name if e.actor else "",
            detail=open_json(key, e, "detail"),
        )
        for e in Event.objects.filter(case=case).select_related("actor").order_by("-at")[:300]
    ]
    _readable(timeline)
    timeline += _checkins(case)
    timeline.sort(key=lambda item: item.at, reverse=True)
    return CaseView(
        case=case,
        card=without_bidi_in(open_json(key, case, "card")),
        identity=without_bidi_in(open_json(key, case, "identity")),
        contacts=without_bidi_in(open_json(key, case, "contacts")),
        risk_reason=keysets.open_field(key, case, "risk_reason") or "",
        request_details=without_bidi_in(open_json(key, case.request, "details")) if case.request is not None else {},
        timeline=timeline,
        conversation=_conversation(ring, case),
        files=_files(ring, case),
        needs=[(n, keysets.open_field(key, n, "detail") or "") for n in case.needs.order_by("kind")],
        tasks=[
            (t, keysets.open_field(key, t, "title") or "")
            for t in case.tasks.select_related("owner").order_by("done_at", "due_on")
        ],
        assignees=[a.staff for a in case.assignments.select_related("staff").order_by("assigned_at")],
    )


def _readable(timeline: list[TimelineItem]) -> None:
    """Stage keys become their names, and a need change says which need and how it stands."""
    names = {s.key: str(s) for s in Stage.objects.all()}
    for item in timeline:
        detail = item.detail
        if item.kind == Event.Kind.STAGE:
            detail["from"] = names.get(detail.get("from", ""), detail.get("from", ""))
            detail["to"] = names.get(detail.get("to", ""), detail.get("to", ""))
        elif item.kind == Event.Kind.NEED and "text" not in detail and detail.get("kind") in Need.Kind.values:
            status = Need.Status(detail["status"]).label if detail.get("status") in Need.Status.values else ""
            detail["text"] = f"{Need.Kind(detail['kind']).label}: {status}"
    # Referral and check-in entries keep keys only; their sentences are written in the reader's language, here.
    referral_texts(item.detail for item in timeline if item.kind == Event.Kind.REFERRAL)
    checkin_texts((item.kind, item.detail) for item in timeline)


def _conversation(ring: KeyRing, case: Case) -> list[TimelineItem]:
    """Messages with the person (under the conversation's key), oldest first, as the person reads them."""
    if case.request_id is None:
        return []
    request = case.request
    key_sets = [case.key_set] + ([request.conversation] if request is not None and request.conversation else [])
    keys = ring.keys_for(key_sets)
    items = []
    for message in Message.objects.filter(request_id=case.request_id).select_related("author"):
        key = keys.get(message.key_set_id)
        if key is None:
            continue
        try:
            content = open_json(key, message, "content")
        except VaultError:
            continue  # sealed under a key a re-key replaced in the same instant: skipped, the page still opens
        at = datetime.fromisoformat(content["at"]) if content.get("at") else None
        if at is None:
            continue
        items.append(
            TimelineItem(
                at=at,
                kind="to-person" if message.sender == Message.Sender.STAFF else "from-person",
                label=str(message.get_sender_display()),
                actor=message.author.name if message.author else "",
                detail={"text": content.get("text", "")},
            )
        )
    items.sort(key=lambda item: item.at)
    return items


def _files(ring: KeyRing, case: Case) -> list[tuple[Attachment, dict[str, Any]]]:
    request = case.request
    if request is None:
        return []
    key_sets = [case.key_set] + ([request.conversation] if request.conversation else [])
    return request_files(ring.keys_for(key_sets), request)


def _checkins(case: Case) -> list[TimelineItem]:
    """The person's own check-ins with their code (in clear: when, and safe or duress), for the timeline."""
    if case.request_id is None:
        return []
    return [
        TimelineItem(
            at=checkin.at,
            kind=f"checkin_{checkin.kind}",
            label=str(checkin.get_kind_display()),
            actor="",
            detail={"source": checkin.source},
        )
        for checkin in CheckIn.objects.filter(request_id=case.request_id)
    ]
