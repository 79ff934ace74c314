"""Staff side of publication: an analyst copies an approved release to the public API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ferry.advocacy.releases import ANALYSTS
from ferry.api.base import StaffApiView
from ferry.api.publication import release_publish


class PublishedStaffSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    sha256 = serializers.CharField()
    published_at = serializers.DateTimeField()


class ReleasePublish(StaffApiView):
    roles = ANALYSTS
    noun = "release"
    verbs = {"post": "publish"}

    @extend_schema(
        operation_id="release_publish",
        summary="Publish an approved release to the public API",
        parameters=[OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=None,
        responses={201: PublishedStaffSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        row = release_publish(ring=request.ring, staff=request.user, reference=reference)
        body = {"reference": row.reference, "sha256": row.sha256, "published_at": row.published_at}
        return Response(body, status=status.HTTP_201_CREATED)
