"""The hotline's requests over the API: the queue, one request, a reply, accepting it into a case. Every one goes
through the request's door (`intake.triage.access_request`) with the pages' roles: coordinators see the queue and
accept; a caseworker a request was shared with may read it and reply. A request one may not open answers exactly
like a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response

from ferry.accounts.models import Role
from ferry.api.base import StaffApiView, validated
from ferry.api.cursor import paginate
from ferry.intake import recipients, selectors, triage
from ferry.intake.models import URGENCY_ORDER, Request

REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The request's reference."
)
STATUSES = ["active", *Request.Status.values]


def _key(sort: str, urgency: str, received_on: Any, reference: str, overflow: bool) -> list[Any]:
    """The queue's order by what is in clear (selectors.SORTS), ending in the reference so it is total."""
    rank = URGENCY_ORDER.get(urgency, 9)  # type: ignore[call-overload]
    day = received_on.toordinal()
    return {
        "least": [-rank, day, reference],
        "oldest": [day, reference],
        "newest": [-day, reference],
        "regular": [int(overflow), rank, day, reference],
    }.get(sort, [rank, day, reference])


def _hints(hints: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    return [{"reference": reference, "can_open": can_open} for reference, can_open in hints]


def _queue_row(row: selectors.QueueRow) -> dict[str, Any]:
    found = row.request
    return {
        "reference": found.reference,
        "status": found.status,
        "urgency": found.urgency,
        "received_on": found.received_on,
        "received_at": row.received_at,
        "awaiting_reply": found.awaiting_reply,
        "entrapment_flag": found.entrapment_flag,
        "overflow": found.overflow,
        "version": found.version,
        "name": row.name,
        "excerpt": row.excerpt,
        "contact_shared_with": _hints(row.hints),
    }


class HintSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    can_open = serializers.BooleanField()


class QueueRowSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Request.Status.choices)
    urgency = serializers.CharField()
    received_on = serializers.DateField()
    received_at = serializers.DateTimeField(allow_null=True)
    awaiting_reply = serializers.BooleanField()
    entrapment_flag = serializers.BooleanField()
    overflow = serializers.BooleanField()
    version = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    excerpt = serializers.CharField(allow_blank=True)
    contact_shared_with = HintSerializer(many=True)


class QueuePageSerializer(serializers.Serializer[Any]):
    results = QueueRowSerializer(many=True)
    sealed = serializers.IntegerField(
        help_text=gettext_lazy("Requests on this page you cannot open (left out of results).")
    )
    next = serializers.CharField(allow_null=True)


class RequestQueue(StaffApiView):
    roles = (Role.COORDINATOR,)
    noun = "request"
    verbs = {"get": "queue"}

    @extend_schema(
        operation_id="requests_queue",
        summary="The triage queue",
        description="Requests in the queue's order (by urgency, day received and reference, as the page "
        "orders what is in clear). Filters and sorts mirror the page's; its search of the sealed text is not "
        "offered, because what is searched for (a name, a phone number) must not travel in an address.",
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=STATUSES, description="active (the default): new or in conversation."
            ),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.SORTS)),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 200; 50 if left out."),
        ],
        responses={200: QueuePageSerializer},
    )
    def get(self, request: ApiRequest) -> Response:
        wanted = request.query_params.get("status", "active")
        if wanted not in STATUSES:
            raise ValidationError({"status": [_("Choose a status.")]})
        sort = request.query_params.get("sort", "urgent")
        if sort not in selectors.SORTS:
            raise ValidationError({"sort": [_("Choose an order.")]})
        found = Request.objects.all()
        if wanted == "active":
            found = found.filter(status__in=triage.OPEN_STATUSES)
        else:
            found = found.filter(status=wanted)
        # The order and the cursor need only what is in clear; only the page itself is fetched and opened.
        light = sorted(
            ([*_key(sort, u, day, ref, over)], pk)
            for pk, u, day, ref, over in found.values_list("pk", "urgency", "received_on", "reference", "overflow")
        )
        page, following = paginate(request, light, lambda item: item[0])
        by_pk = Request.objects.select_related("key_set").in_bulk([pk for _k, pk in page])
        recipients.index_share(ring=request.ring, staff=request.user)
        rows = selectors.queue_rows(
            ring=request.ring, staff=request.user, requests=[by_pk[pk] for _k, pk in page if pk in by_pk]
        )
        visible = [row for row in rows if row.can_open]
        return Response(
            {"results": [_queue_row(r) for r in visible], "sealed": len(rows) - len(visible), "next": following}
        )


class ThreadItemSerializer(serializers.Serializer[Any]):
    sender = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField(allow_null=True)
    attachments = serializers.ListField(child=serializers.CharField())


class AttachmentSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    stripped = serializers.BooleanField()
    later_message = serializers.BooleanField()


class RequestCheckInSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    source = serializers.CharField()


class RequestSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Request.Status.choices)
    urgency = serializers.CharField()
    version = serializers.IntegerField()
    received_on = serializers.DateField()
    received_at = serializers.DateTimeField(allow_null=True)
    awaiting_reply = serializers.BooleanField()
    entrapment_flag = serializers.BooleanField()
    entrapment_note = serializers.CharField(allow_blank=True)
    decline_reason = serializers.CharField(allow_blank=True)
    decline_note = serializers.CharField(allow_blank=True)
    details = serializers.DictField()
    thread = ThreadItemSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    checkins = RequestCheckInSerializer(many=True)
    contact_shared_with = HintSerializer(many=True)


def _received_at(details: dict[str, Any]) -> datetime | None:
    raw = details.get("received_at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) and raw else None


class RequestDetail(StaffApiView):
    roles = triage.REQUEST_ROLES
    noun = "request"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="request_read",
        summary="One request",
        description="What the request's page shows: the person's details, the conversation, the files' "
        "descriptions (not their content) and recent check-ins. Opening it is audited.",
        parameters=[REFERENCE],
        responses={200: RequestSerializer},
    )
    def get(self, request: ApiRequest, reference: str) -> Response:
        found, _key = triage.access_request(ring=request.ring, staff=request.user, reference=reference)
        # As the page: messages sealed before the conversation was split off move into it first.
        triage.conversation_settle(ring=request.ring, staff=request.user, request=found)
        view = selectors.request_open(ring=request.ring, staff=request.user, reference=reference)
        opened = view.request
        return Response(
            {
                "reference": opened.reference,
                "status": opened.status,
                "urgency": opened.urgency,
                "version": opened.version,
                "received_on": opened.received_on,
                "received_at": _received_at(view.details),
                "awaiting_reply": opened.awaiting_reply,
                "entrapment_flag": opened.entrapment_flag,
                "entrapment_note": view.entrapment_note,
                "decline_reason": opened.decline_reason,
                "decline_note": view.decline_note,
                "details": view.details,
                "thread": [
                    {"sender": i.sender, "text": i.text, "at": i.at, "attachments": i.attachments} for i in view.thread
                ],
                "attachments": [
                    {
                        "id": str(a.pk),
                        "name": str(meta.get("name", "")),
                        "type": str(meta.get("type", "")),
                        "size": meta.get("size") if isinstance(meta.get("size"), int) else None,
                        "stripped": bool(meta.get("stripped")),
                        "later_message": a.message_id is not None,
                    }
                    for a, meta in view.attachments
                ],
                "checkins": [{"at": c.at, "kind": c.kind, "source": c.source} for c in view.checkins],
                "contact_shared_with": _hints(view.hints),
            }
        )


class ReplySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=20_000)


class RequestDoneSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    version = serializers.IntegerField()


def _version(reference: str) -> int:
    return Request.objects.filter(reference=reference).values_list("version", flat=True).first() or 0


class RequestReply(StaffApiView):
    roles = triage.REQUEST_ROLES
    noun = "request"
    verbs = {"post": "reply"}

    @extend_schema(
        operation_id="request_reply",
        summary="Reply to the person",
        description="The reply is sealed in the conversation, the one place the person's code opens.",
        parameters=[REFERENCE],
        request=ReplySerializer,
        responses={201: RequestDoneSerializer},
    )
    def post(self, request: ApiRequest, reference: str) -> Response:
        data = validated(ReplySerializer, request)
        triage.request_reply(ring=request.ring, staff=request.user, reference=reference, text=data["text"])
        return Response({"reference": reference, "version": _version(reference)}, status=status.HTTP_201_CREATED)


class AcceptSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, help_text=gettext_lazy("The request's version you last read."))
    caseworker = serializers.IntegerField(help_text=gettext_lazy("The staff id of an active caseworker."))


class AcceptedSerializer(serializers.Serializer[Any]):
    case = serializers.CharField(help_text=gettext_lazy("The new case's reference (the request's own)."))
    version = serializers.IntegerField(help_text=gettext_lazy("The case's version."))


class RequestAccept(StaffApiView):
    roles = (Role.COORDINATOR,)
    noun = "request"
    verbs = {"post": "accept"}

    @extend_schema(
        operation_id="request_accept",
        summary="Accept a request into a case",
        description="Send the version you read; if someone changed the request since, the answer is 409 and "
        "nothing changes.",
        parameters=[REFERENCE],
        request=AcceptSerializer,
        responses={201: AcceptedSerializer},
    )
    def post(self, request: ApiRequest, reference: str) -> Response:
        data = validated(AcceptSerializer, request)
        case = triage.request_accept(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            version=data["version"],
            caseworker_id=data["caseworker"],
        )
        body = {"case": getattr(case, "reference", reference), "version": getattr(case, "version", 1)}
        return Response(body, status=status.HTTP_201_CREATED)
