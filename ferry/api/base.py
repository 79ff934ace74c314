"""The one shape of an API view: roles declared on the class and checked before anything is looked up (as
`core.permissions.roles` does for pages), the token's scope, and every use audited `api.<noun>.<verb>`.

Django's LoginRequiredMiddleware knows only browser sessions, so API views are exempt from it
(`login_required = False`) and authenticate the token themselves; `tests/api/test_routes.py` checks that every
API view declares its roles or is one of the public views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from ferry.api.access import StaffAccess
from ferry.api.auth import BearerTokenAuthentication
from ferry.audit.services import audit_record

# The public views' declared "role": no token, nothing sealed, only published releases.
PUBLIC = "public"


def no_nul_in_query(request: Request, names: dict[str, Any]) -> None:
    """A NUL character is in no name, reference or filter, and PostgreSQL refuses it in any text: an address
    that carries one names nothing (404), a query that carries one is a problem (400), before anything is
    looked up, on every database alike."""
    if any("\x00" in str(value) for value in names.values()):
        raise Http404
    for name, values in request.query_params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            field = name.replace("\x00", "") or "query"
            raise ValidationError({field: [_("This value may not contain a NUL character.")]})


class StaffApiView(APIView):
    """A staff endpoint. Subclasses set `roles`, `noun` and, per HTTP method, the audited verb."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [StaffAccess]
    roles: ClassVar[tuple[str, ...]] = ()
    noun: ClassVar[str] = ""
    verbs: ClassVar[dict[str, str]] = {}

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        if not cls.roles:
            raise ValueError(f"{cls.__name__} must declare its roles")
        view = super().as_view(**initkwargs)
        view.ferry_roles = frozenset(cls.roles)
        view.login_required = False
        return view

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        no_nul_in_query(request, kwargs)
        verb = self.verbs.get(request.method.lower() if request.method else "", "")
        if verb:
            # Like a page: who used which endpoint, with which token; never what the address names.
            audit_record(
                action=f"api.{self.noun}.{verb}",
                actor_id=request.user.pk,
                object_type="api_token",
                object_id=request.auth.token.pk,
            )


class PublicApiView(APIView):
    """A public endpoint: no authentication, nothing sealed."""

    authentication_classes: ClassVar[list[Any]] = []
    permission_classes: ClassVar[list[Any]] = []
    roles: ClassVar[tuple[str, ...]] = (PUBLIC,)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        view = super().as_view(**initkwargs)
        view.ferry_roles = frozenset(cls.roles)
        view.login_required = False
        return view

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        no_nul_in_query(request, kwargs)


def validated(serializer: type[Serializer[Any]], request: Request) -> dict[str, Any]:
    """The request's body checked by the serializer; a bad one is a 400 problem (api.problems)."""
    bound = serializer(data=request.data)
    bound.is_valid(raise_exception=True)
    return dict(bound.validated_data)
