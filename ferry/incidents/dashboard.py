"""The documentation's part of the staff dashboard: the way to verify every evidence item."""

from __future__ import annotations

from django.http import HttpRequest

from ferry.accounts.models import Role
from ferry.core.dashboard import WARNINGS, Part


def evidence_part(request: HttpRequest) -> Part | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(Role.DOCUMENTER):
        return None
    return Part(WARNINGS + 5, "incidents/evidence/dashboard_verify.html")
