"""A per-client limit on the public API, counted in the cache (memory by default): the client's address is
keyed-hashed before it is used, and never reaches the database or the disk."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class PublicRateThrottle(SimpleRateThrottle):
    scope = "public"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        ident = self.get_ident(request)
        digest = hmac.new(settings.SECRET_KEY.encode(), ident.encode(), hashlib.sha256).hexdigest()[:32]
        return f"ferry-api-public:{digest}"
