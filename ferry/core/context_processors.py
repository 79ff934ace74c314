"""Values every page shell needs: the organisation's name and the language switch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _


def shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "org_name": settings.FERRY_ORG_NAME,
        "languages": settings.LANGUAGES,
        "intake_title": settings.FERRY_INTAKE_TITLE or _("Write to us"),
        "quick_exit_url": settings.FERRY_QUICK_EXIT_URL,
    }
