"""The public API: published releases only (DESIGN.md P7), read-only, no authentication, rate-limited and
cacheable. Each view is marked as the release door (`advocacy.door.release_door`): the door middleware stops any
non-page answer from this namespace that does not come from such a view."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.advocacy.door import release_door
from ferry.advocacy.releases import CONTENT_TYPES
from ferry.api.base import PublicApiView
from ferry.api.cursor import paginate
from ferry.api.models import PublishedRelease
from ferry.api.publication import published_get, published_live
from ferry.api.throttles import PublicRateThrottle

CACHE = "public, max-age=300"
REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)


class PublishedSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    kind = serializers.CharField()
    format = serializers.CharField()
    language = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    approved_on = serializers.DateField(allow_null=True)
    published_at = serializers.DateTimeField()


class PublishedPageSerializer(serializers.Serializer[Any]):
    results = PublishedSerializer(many=True)
    next = serializers.CharField(allow_null=True)


def _card(row: PublishedRelease) -> dict[str, Any]:
    approved = row.release.approved_at
    return {
        "reference": row.reference,
        "kind": row.kind,
        "format": row.format,
        "language": row.language,
        "sha256": row.sha256,
        "size": row.size,
        "approved_on": approved.date() if approved else None,
        "published_at": row.published_at,
    }


def _cached(response: HttpResponse) -> HttpResponse:
    # Read by core.middleware.SecurityHeadersMiddleware, which otherwise forbids caching.
    response["Cache-Control"] = CACHE
    response.ferry_public_cache = True  # type: ignore[attr-defined]
    return response


class PublicView(PublicApiView):
    throttle_classes = [PublicRateThrottle]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return release_door(super().as_view(**initkwargs))


class PublishedList(PublicView):
    @extend_schema(
        operation_id="public_releases",
        summary="Published releases",
        auth=[],
        parameters=[OpenApiParameter("cursor", OpenApiTypes.STR), OpenApiParameter("page_size", OpenApiTypes.INT)],
        responses={200: PublishedPageSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        rows = list(published_live().order_by("reference"))
        page, following = paginate(request, rows, lambda row: [row.reference])
        return _cached(Response({"results": [_card(row) for row in page], "next": following}))


class PublishedDetail(PublicView):
    @extend_schema(
        operation_id="public_release",
        summary="A published release",
        auth=[],
        parameters=[REFERENCE],
        responses={200: PublishedSerializer},
    )
    def get(self, request: Request, reference: str) -> HttpResponse:
        row = published_get(reference)
        response = _cached(Response(_card(row)))
        response["ETag"] = f'"{row.sha256}"'
        return response


class PublishedContent(PublicView):
    @extend_schema(
        operation_id="public_release_content",
        summary="A published release's output (CSV, XLSX, PNG, SVG, PDF or JSON)",
        description="The ETag is the output's SHA-256, the hash it was approved with.",
        auth=[],
        parameters=[REFERENCE],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), 304: None},
    )
    def get(self, request: Request, reference: str) -> HttpResponse:
        row = published_get(reference)
        etag = f'"{row.sha256}"'
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(bytes(row.content), content_type=CONTENT_TYPES[row.format])
            response["Content-Disposition"] = f'attachment; filename="{row.reference}.{row.format}"'
        response["ETag"] = etag
        return _cached(response)
