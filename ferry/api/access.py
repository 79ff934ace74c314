"""The permission every staff endpoint uses: a live token, one of the view's roles, and a scope that allows
the method."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from ferry.core.errors import Refused
from ferry.core.permissions import require


class StaffAccess(BasePermission):
    """Signed in with a live token (else 401), holding one of the view's roles (else 403), and a write only with
    a token that may write (else 403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.auth is None:
            return False
        require(request.user, *view.roles)
        if request.method not in SAFE_METHODS and request.auth.token.scope != "write":
            raise Refused(_("This token may only read."))
        return True
