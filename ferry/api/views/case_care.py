"""A case's risk, needs, check-in plan and referrals over the API, each through the case's door and the same
service as its part of the case page (with the case's version where the page sends one)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.api.base import StaffApiView, validated
from ferry.api.views.cases import CASE_ROLES, REFERENCE, case_version
from ferry.cases import services
from ferry.cases.checkins import services as checkins
from ferry.cases.models import Case, CheckInPlan, Need, Referral
from ferry.cases.referrals.services import TRANSITIONS
from ferry.vault import keysets


class RiskChangeSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=0, help_text=gettext_lazy("The case's version you last read."))
    risk = serializers.ChoiceField(choices=Case.Risk.choices)
    reason = serializers.CharField(
        max_length=2_000, help_text=gettext_lazy("Why: the next person on the case needs to know.")
    )


class RiskChangedSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    risk = serializers.ChoiceField(choices=Case.Risk.choices)
    version = serializers.IntegerField()


class CaseRisk(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"post": "risk"}

    @extend_schema(
        operation_id="case_risk",
        summary="Change a case's risk level",
        description="Send the version you read; if someone changed the case since, the answer is 409 and "
        "nothing changes. The reason is kept encrypted.",
        parameters=[REFERENCE],
        request=RiskChangeSerializer,
        responses={200: RiskChangedSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(RiskChangeSerializer, request)
        services.risk_change(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            version=data["version"],
            risk=data["risk"],
            reason=data["reason"],
        )
        case = services.access_case(ring=request.ring, staff=request.user, reference=reference).record
        return Response({"reference": case.reference, "risk": case.risk, "version": case.version})


class NeedSetSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Need.Kind.choices)
    status = serializers.ChoiceField(choices=Need.Status.choices)
    detail = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class NeedOutSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)


def _needs(case: Case, key: bytes) -> list[dict[str, Any]]:
    return [
        {
            "kind": need.kind,
            "status": need.status,
            "detail": keysets.open_field(key, need, "detail") or "",
            "updated_at": need.updated_at,
        }
        for need in case.needs.order_by("kind")
    ]


class CaseNeeds(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "needs", "post": "need"}

    @extend_schema(
        operation_id="case_needs",
        summary="A case's needs",
        parameters=[REFERENCE],
        responses={200: NeedOutSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case, key = services.access_case(ring=request.ring, staff=request.user, reference=reference)
        return Response(_needs(case, key))

    @extend_schema(
        operation_id="case_need_set",
        summary="Set one need (its status and detail)",
        description="One need of each kind per case: setting a kind again changes it. As on the case page, "
        "needs carry no version; two people setting the same new need at once: the second gets 409.",
        parameters=[REFERENCE],
        request=NeedSetSerializer,
        responses={200: NeedOutSerializer(many=True)},
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(NeedSetSerializer, request)
        services.need_set(
            ring=request.ring,
            staff=request.user,
            reference=reference,
            kind=data["kind"],
            status=data["status"],
            detail=data["detail"],
        )
        case, key = services.access_case(ring=request.ring, staff=request.user, reference=reference)
        return Response(_needs(case, key))


class PlanSerializer(serializers.Serializer[Any]):
    interval_minutes = serializers.IntegerField(min_value=1, max_value=checkins.MAX_INTERVAL)
    grace_minutes = serializers.IntegerField(min_value=1, max_value=checkins.MAX_INTERVAL)
    lost_after_missed = serializers.IntegerField(min_value=1, max_value=checkins.MAX_LOST_AFTER, default=3)
    quiet_start = serializers.TimeField(allow_null=True, required=False, default=None)
    quiet_end = serializers.TimeField(allow_null=True, required=False, default=None)
    time_zone = serializers.CharField(max_length=64, default="UTC")
    active = serializers.BooleanField(default=True)


class PlanSetSerializer(PlanSerializer):
    version = serializers.IntegerField(min_value=0, help_text=gettext_lazy("The case's version you last read."))


class PlanOutSerializer(PlanSerializer):
    reference = serializers.CharField()
    version = serializers.IntegerField(help_text=gettext_lazy("The case's version."))
    state = serializers.ChoiceField(choices=CheckInPlan.State.choices)
    last_checkin_at = serializers.DateTimeField()
    next_due_at = serializers.DateTimeField(allow_null=True)
    missed = serializers.IntegerField()


class PlanAnswerSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    version = serializers.IntegerField(help_text=gettext_lazy("The case's version."))
    plan = PlanOutSerializer(allow_null=True)


def _plan(case: Case) -> dict[str, Any]:
    plan = CheckInPlan.objects.filter(case=case).first()
    version = case_version(case.reference)
    body: dict[str, Any] = {"reference": case.reference, "version": version, "plan": None}
    if plan is not None:
        body["plan"] = {
            "reference": case.reference,
            "version": version,
            "interval_minutes": plan.interval_minutes,
            "grace_minutes": plan.grace_minutes,
            "lost_after_missed": plan.lost_after_missed,
            "quiet_start": plan.quiet_start,
            "quiet_end": plan.quiet_end,
            "time_zone": plan.time_zone,
            "active": plan.active,
            "state": plan.state,
            "last_checkin_at": plan.last_checkin_at,
            "next_due_at": plan.next_due_at if plan.active else None,
            "missed": plan.missed,
        }
    return body


class CaseCheckInPlan(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "checkin_plan", "put": "checkin_plan_set"}

    @extend_schema(
        operation_id="case_checkin_plan",
        summary="A case's check-in plan",
        description="The plan, or null if the case never had one.",
        parameters=[REFERENCE],
        responses={200: PlanAnswerSerializer},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = services.access_case(ring=request.ring, staff=request.user, reference=reference).record
        return Response(_plan(case))

    @extend_schema(
        operation_id="case_checkin_plan_set",
        summary="Set a case's check-in plan",
        description="Send the case's version you read; if someone changed the case since, the answer is 409 "
        "and nothing changes. A new or resumed plan counts from now.",
        parameters=[REFERENCE],
        request=PlanSetSerializer,
        responses={200: PlanAnswerSerializer},
    )
    def put(self, request: Request, reference: str) -> Response:
        data = validated(PlanSetSerializer, request)
        checkins.plan_set(ring=request.ring, staff=request.user, reference=reference, **data)
        case = services.access_case(ring=request.ring, staff=request.user, reference=reference).record
        return Response(_plan(case))


class ReferralSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    partner = serializers.CharField()
    destination_country = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    next_statuses = serializers.ListField(child=serializers.CharField())
    consent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CaseReferrals(StaffApiView):
    roles = CASE_ROLES
    noun = "case"
    verbs = {"get": "referrals"}

    @extend_schema(
        operation_id="case_referrals",
        summary="A case's referrals",
        description="What the case page's referrals part shows: clear fields only (the packet stays sealed).",
        parameters=[REFERENCE],
        responses={200: ReferralSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = services.access_case(ring=request.ring, staff=request.user, reference=reference).record
        statuses = list(Referral.Status.values)
        return Response(
            [
                {
                    "id": r.pk,
                    "partner": r.partner.name,
                    "destination_country": r.destination_country,
                    "status": r.status,
                    "next_statuses": sorted(TRANSITIONS[r.status], key=statuses.index),
                    "consent_at": r.consent_at,
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                }
                for r in case.referrals.select_related("partner").order_by("-created_at")
            ]
        )
