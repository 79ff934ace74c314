"""Evidence over the API: an incident's items (metadata; through the incident's door, as its evidence page) and
one item's file, through the item's door (`incidents.evidence.access_evidence`). A download is a view of the
evidence: `evidence_content` records it in the item's custody log and the audit log, as the page's does."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.api.base import StaffApiView
from ferry.incidents import evidence as services
from ferry.incidents.models import Evidence
from ferry.incidents.services import access_incident

INCIDENT = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The incident's reference."
)
ITEM = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The item's reference.")


class EvidenceSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    incident = serializers.CharField()
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    copy_kind = serializers.CharField(allow_blank=True)
    original = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("The original's reference, for a working copy.")
    )
    size = serializers.IntegerField()
    acquired_at = serializers.DateTimeField()
    can_open = serializers.BooleanField()
    sha256 = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("Null (as the sealed fields) when you cannot open it.")
    )
    name = serializers.CharField(allow_null=True)
    content_type = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    how = serializers.CharField(allow_null=True, help_text=gettext_lazy("How it was acquired."))


def _item(evidence: Evidence, incident: str, record: services.EvidenceRecord | None) -> dict[str, Any]:
    return {
        "reference": evidence.reference,
        "incident": incident,
        "kind": evidence.kind,
        "copy_kind": evidence.copy_kind,
        "original": evidence.original.reference if evidence.original is not None else None,
        "size": evidence.size,
        "acquired_at": evidence.acquired_at,
        "can_open": record is not None,
        "sha256": record.sha256 if record else None,
        "name": record.name if record else None,
        "content_type": record.content_type if record else None,
        "description": record.description if record else None,
        "how": record.how if record else None,
    }


class IncidentEvidence(StaffApiView):
    roles = services.EVIDENCE_ROLES
    noun = "evidence"
    verbs = {"get": "list"}

    @extend_schema(
        operation_id="incident_evidence",
        summary="An incident's evidence items",
        description="Every item of the incident, as its evidence page lists them: what is in clear for all, and "
        "the sealed record (name, hash, how acquired) where you hold the item's key. No file content.",
        parameters=[INCIDENT],
        responses={200: EvidenceSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        incident, _key = access_incident(ring=request.ring, staff=request.user, reference=reference)
        items = list(
            Evidence.objects.filter(incident=incident)
            .select_related("key_set", "original")
            .order_by("acquired_at", "reference")
        )
        keys = request.ring.keys_for([item.key_set for item in items])
        return Response(
            [
                _item(
                    item,
                    incident.reference,
                    services.EvidenceRecord.of(keys[item.key_set_id], item) if item.key_set_id in keys else None,
                )
                for item in items
            ]
        )


class EvidenceDetail(StaffApiView):
    roles = services.EVIDENCE_ROLES
    noun = "evidence"
    verbs = {"get": "view"}

    @extend_schema(
        operation_id="evidence_read",
        summary="One evidence item's metadata",
        description="Its sealed record opened (audited as the page's evidence.open); not its content.",
        parameters=[ITEM],
        responses={200: EvidenceSerializer},
    )
    def get(self, request: Request, reference: str) -> Response:
        evidence, record = services.evidence_record_open(ring=request.ring, staff=request.user, reference=reference)
        return Response(_item(evidence, evidence.incident.reference, record))


class AnyAccept(BaseContentNegotiation):
    """The file is sent as it is whatever the client accepts; a refusal is still problem+json (the first
    renderer)."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None


class EvidenceDownload(StaffApiView):
    roles = services.EVIDENCE_ROLES
    noun = "evidence"
    verbs = {"get": "download"}
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="evidence_download",
        summary="Download one evidence item's file",
        description="The file exactly as acquired (compare its SHA-256 with the item's). Every download is "
        "recorded in the item's custody log as a view, and in the audit log.",
        parameters=[ITEM],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
    )
    def get(self, request: Request, reference: str) -> HttpResponse:
        evidence, record, content = services.evidence_content(
            ring=request.ring, staff=request.user, reference=reference
        )
        response = HttpResponse(content, content_type="application/octet-stream")
        # As the page's download: a name made of the reference and a plain extension, never the sealed name.
        extension = "".join(ch for ch in record.name.rpartition(".")[2][:8] if ch.isascii() and ch.isalnum())
        filename = f"evidence-{evidence.reference}" + (f".{extension}" if "." in record.name and extension else "")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
