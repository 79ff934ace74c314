"""Documentation over the API: incidents (each through its door, `incidents.services.access_incident`), the
perpetrator register, places and vocabularies (clear: the role alone decides, as on their pages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ferry.accounts.models import Role
from ferry.api.base import StaffApiView
from ferry.api.cursor import cursor_decode, cursor_encode
from ferry.core.errors import NotFound
from ferry.core.text import decimal_number
from ferry.incidents import selectors, services
from ferry.incidents.models import Incident, Perpetrator, Place, Term, Vocabulary

READERS = (Role.DOCUMENTER, Role.ANALYST)


class IncidentRowSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    title = serializers.CharField(allow_null=True, help_text=_("Empty (null) when you cannot open the incident."))
    start_date = serializers.DateField()
    country = serializers.CharField()
    subdivision = serializers.CharField(allow_blank=True)
    verification = serializers.CharField()
    restricted = serializers.BooleanField()
    victim_count = serializers.IntegerField()


class IncidentPageSerializer(serializers.Serializer[Any]):
    results = IncidentRowSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class IncidentSerializer(IncidentRowSerializer):
    end_date = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    narrative = serializers.CharField(allow_blank=True)
    location = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(allow_blank=True)


class PerpetratorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    perpetrator_type = serializers.CharField()
    name_original = serializers.CharField()
    name_translit = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)


class PlaceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_translit = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    country = serializers.CharField()
    subdivision = serializers.CharField(allow_blank=True)


class TermSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    label_en = serializers.CharField()
    label_ru = serializers.CharField()
    deprecated = serializers.BooleanField()


def _record_id(value: str, missing: str) -> int:
    """An id from the address; anything that is not one (negative, huge, text) is the same NotFound."""
    number = decimal_number(value)
    if number is None:
        raise NotFound(missing)
    return number


def _incident(incident: Incident, title: str | None) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "title": title,
        "start_date": incident.start_date,
        "country": incident.country,
        "subdivision": incident.subdivision,
        "verification": incident.verification,
        "restricted": incident.restricted,
        "victim_count": incident.victim_count,
    }


class IncidentList(StaffApiView):
    roles = READERS
    noun = "incident"
    verbs = {"get": "list"}

    @extend_schema(
        operation_id="incidents",
        summary="Incidents, newest first",
        parameters=[
            OpenApiParameter("verification", OpenApiTypes.STR),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2."),
            OpenApiParameter("subdivision", OpenApiTypes.STR, description="ISO 3166-2."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses={200: IncidentPageSerializer},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("cursor", "")
        position = cursor_decode(raw) if raw else [1]
        if len(position) != 1 or not isinstance(position[0], int) or not 1 <= position[0] <= 100_000:
            raise ValidationError({"cursor": [_("This cursor is not valid.")]})
        filters = selectors.Filters(
            verification=request.query_params.get("verification", "")[:12],
            country=request.query_params.get("country", "")[:2].upper(),
            subdivision=request.query_params.get("subdivision", "")[:6].upper(),
            page=position[0],
        )
        result = selectors.incident_list(ring=request.ring, filters=filters)
        following = None
        if result.has_next:
            following = replace_query_param(request.build_absolute_uri(), "cursor", cursor_encode([position[0] + 1]))
        return Response({"results": [_incident(r.incident, r.title) for r in result.rows], "next": following})


class IncidentDetail(StaffApiView):
    roles = READERS
    noun = "incident"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="incident_read",
        summary="One incident",
        parameters=[OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: IncidentSerializer},
    )
    def get(self, request: Request, reference: str) -> Response:
        incident, key = services.access_incident(ring=request.ring, staff=request.user, reference=reference, audit=True)
        view = selectors.incident_view(ring=request.ring, incident=incident, key=key)
        return Response(
            {
                **_incident(incident, view.title),
                "end_date": incident.end_date,
                "version": incident.version,
                "narrative": view.narrative,
                "location": view.location,
                "notes": view.notes,
            }
        )


def _perpetrator(p: Perpetrator) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "perpetrator_type": p.perpetrator_type.code,
        "name_original": p.name_original,
        "name_translit": p.name_translit,
        "country": p.country,
    }


class PerpetratorList(StaffApiView):
    roles = READERS
    noun = "perpetrator"
    verbs = {"get": "list"}

    @extend_schema(
        operation_id="perpetrators",
        summary="The perpetrator register (first 500, by name)",
        responses={200: PerpetratorSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = Perpetrator.objects.select_related("perpetrator_type").order_by("name_original", "pk")[:500]
        return Response([_perpetrator(p) for p in rows])


class PerpetratorDetail(StaffApiView):
    roles = READERS
    noun = "perpetrator"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="perpetrator_read", summary="One entry of the register", responses={200: PerpetratorSerializer}
    )
    def get(self, request: Request, perpetrator_id: str) -> Response:
        missing = _("No such entry in the register.")
        pk = _record_id(perpetrator_id, missing)
        found = Perpetrator.objects.select_related("perpetrator_type").filter(pk=pk).first()
        if found is None:
            raise NotFound(missing)
        return Response(_perpetrator(found))


def _place(p: Place) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "name_translit": p.name_translit,
        "kind": p.kind,
        "country": p.country,
        "subdivision": p.subdivision,
    }


class PlaceList(StaffApiView):
    roles = READERS
    noun = "place"
    verbs = {"get": "list"}

    @extend_schema(operation_id="places", summary="Places (first 500)", responses={200: PlaceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response([_place(p) for p in Place.objects.order_by("country", "name", "pk")[:500]])


class PlaceDetail(StaffApiView):
    roles = READERS
    noun = "place"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="place_read",
        summary="One place",
        parameters=[OpenApiParameter("place_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: PlaceSerializer},
    )
    def get(self, request: Request, place_id: str) -> Response:
        found = Place.objects.filter(pk=_record_id(place_id, _("No such place."))).first()
        if found is None:
            raise NotFound(_("No such place."))
        return Response(_place(found))


class VocabularyDetail(StaffApiView):
    roles = READERS
    noun = "vocabulary"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="vocabulary_read",
        summary="A controlled vocabulary's terms",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Vocabulary.values)],
        responses={200: TermSerializer(many=True)},
    )
    def get(self, request: Request, name: str) -> Response:
        if name not in Vocabulary.values:
            raise NotFound(_("No such vocabulary."))
        terms = Term.objects.filter(vocabulary=name).order_by("position", "pk")
        return Response(
            [
                {
                    "id": t.pk,
                    "code": t.code,
                    "parent": t.parent_id,
                    "label_en": t.label_en,
                    "label_ru": t.label_ru,
                    "deprecated": t.deprecated_at is not None,
                }
                for t in terms
            ]
        )
