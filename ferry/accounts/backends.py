"""Django's authentication sees only whether a staff session exists; the passphrase check lives in services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from ferry.accounts.models import Staff


class VaultBackend(BaseBackend):
    """Users are loaded by id for an existing session; logging in happens through accounts.services.login_*."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: int) -> Staff | None:
        return Staff.objects.filter(pk=user_id, is_active=True).first()
