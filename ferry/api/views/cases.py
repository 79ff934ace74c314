"""Cases over the API: the caseload, one case, its stage, notes, check-ins and tasks. Every one opens the case
through its door (`cases.services.access_case`): a case one may not open answers exactly like a missing one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.api import serializers as s
from ferry.api.base import StaffApiView, validated
from ferry.api.cursor import paginate
from ferry.cases import selectors, services
from ferry.cases.checkins import services as checkins
from ferry.cases.models import Case, Task
from ferry.vault import keysets

CASE_ROLES = services.CASE_ROLES
REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The case's reference.")


def _row(row: selectors.Row) -> dict[str, Any]:
    return {
        "reference": row.case.reference,
        "stage": row.case.stage.key,
        "risk": row.case.risk,
        "version": row.case.version,
        "name": row.name,
        "summary": row.summary,
        "assignees": row.assignees,
        "next_checkin_due_at": row.next_due_at,
        "checkin_state": row.checkin_state,
        "overdue_tasks": row.overdue_tasks,
    }


def _order(row: selectors.Row) -> list[Any]:
    # The caseload's own order (selectors._rows): risk, then stage, then reference.
    return [selectors.RISK_ORDER.get(row.case.risk, 9), row.case.stage.position, row.case.reference]


class MyCases(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "list_mine"}

    @extend_schema(
        operation_id="cases_mine",
        summary="My cases",
        description="Open cases you are assigned to and can open, most urgent first. Filters mirror the page's; "
        "a search by name is not offered, because a name must not travel in an address.",
        parameters=[
            OpenApiParameter("stage", OpenApiTypes.STR, description="A stage's key."),
            OpenApiParameter("risk", OpenApiTypes.STR, enum=Case.Risk.values),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only cases with a missed check-in."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; 50 if left out."),
        ],
        responses={200: s.CasePageSerializer},
    )
    def get(self, request: Request) -> Response:
        risk = request.query_params.get("risk", "")
        if risk and risk not in Case.Risk.values:
            raise ValidationError({"risk": [_("Choose a risk level.")]})
        filters = selectors.Filters(
            stage=request.query_params.get("stage", "")[:40],
            risk=risk,
            overdue=request.query_params.get("overdue", "") in {"true", "1"},
        )
        rows = selectors.my_cases(ring=request.ring, staff=request.user, filters=filters)
        page, following = paginate(request, rows, _order)
        return Response({"results": [_row(row) for row in page], "next": following})


class CaseDetail(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="case_read", summary="One case", parameters=[REFERENCE], responses={200: s.CaseSerializer}
    )
    def get(self, request: Request, reference: str) -> Response:
        page = selectors.case_page(ring=request.ring, staff=request.user, reference=reference)
        case = page.case
        return Response(
            {
                "reference": case.reference,
                "stage": case.stage.key,
                "risk": case.risk,
                "risk_reason": page.risk_reason,
                "version": case.version,
                "created_at": case.created_at,
                "closed_at": case.closed_at,
                "card": page.card,
                "identity": page.identity,
                "contacts": page.contacts,
                "needs": [{"kind": n.kind, "status": n.status, "detail": detail} for n, detail in page.needs],
                "tasks": [_task(t, title) for t, title in page.tasks],
                "timeline": [
                    {"at": i.at, "kind": i.kind, "label": str(i.label), "actor": i.actor, "detail": i.detail}
                    for i in page.timeline
                ],
                "assignees": [a.name for a in page.assignees],
            }
        )


def _task(task: Task, title: str) -> dict[str, Any]:
    return {"id": task.pk, "title": title, "due_on": task.due_on, "owner": task.owner_id, "done_at": task.done_at}


def case_version(reference: str) -> int:
    return Case.objects.filter(reference=reference).values_list("version", flat=True).first() or 0


class CaseStage(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"post": "stage"}

    @extend_schema(
        operation_id="case_stage",
        summary="Move a case to another stage",
        description="Send the version you read; if someone changed the case since, the answer is 409 and "
        "nothing changes.",
        parameters=[REFERENCE],
        request=s.StageChangeSerializer,
        responses={200: s.StageChangedSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(s.StageChangeSerializer, request)
        moved = services.stage_change(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            version=data["version"],
            stage_key=data["stage"],
            reason_key=data["reason"],
            note=data["note"],
        )
        case = services.access_case(ring=request.ring, staff=request.user, reference=reference).record
        return Response(
            {
                "reference": case.reference,
                "stage": case.stage.key,
                "version": case.version,
                "plan_ended": moved.plan_ended,
                "plan_stopped": moved.plan_stopped,
            }
        )


class CaseNote(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"post": "note"}

    @extend_schema(
        operation_id="case_note",
        summary="Add a note (kept encrypted)",
        parameters=[REFERENCE],
        request=s.NoteSerializer,
        responses={201: s.DoneSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(s.NoteSerializer, request)
        services.note_add(ring=request.ring, staff=request.user, reference=reference, text=data["text"])
        return Response({"reference": reference, "version": case_version(reference)}, status=status.HTTP_201_CREATED)


class CaseCheckIn(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"post": "checkin"}

    @extend_schema(
        operation_id="case_checkin",
        summary="Record a check-in heard by staff",
        description="With duress true it is an emergency and never counts as a safe check-in.",
        parameters=[REFERENCE],
        request=s.CheckInSerializer,
        responses={201: s.CheckInRecordedSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(s.CheckInSerializer, request)
        record = checkins.checkin_record(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            at=data["at"],
            channel=data["channel"],
            duress=data["duress"],
            note=data["note"],
        )
        body = {"id": record.pk, "at": record.at, "channel": record.channel, "duress": record.duress}
        return Response(body, status=status.HTTP_201_CREATED)


class CaseTasks(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "tasks", "post": "task"}

    @extend_schema(
        operation_id="case_tasks",
        summary="A case's tasks",
        parameters=[REFERENCE],
        responses={200: s.TaskSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case, key = services.access_case(ring=request.ring, staff=request.user, reference=reference)
        tasks = case.tasks.order_by("done_at", "due_on", "pk")
        return Response([_task(t, keysets.open_field(key, t, "title") or "") for t in tasks])

    @extend_schema(
        operation_id="case_task_add",
        summary="Add a task",
        parameters=[REFERENCE],
        request=s.TaskAddSerializer,
        responses={201: s.DoneSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(s.TaskAddSerializer, request)
        services.task_add(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            title=data["title"],
            due_on=data["due_on"],
            owner_id=data.get("owner") or request.user.pk,
        )
        return Response({"reference": reference, "version": case_version(reference)}, status=status.HTTP_201_CREATED)
