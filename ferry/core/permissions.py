"""Roles, denied by default: the one view decorator and the one service check.

A staff view runs only if it declares who may use it (`tests/test_doors.py` walks the URL tree and fails
for one that does not). The role is checked before anything is looked up, so a user without the role gets
the same "not for your role" (403) whatever the address names: it tells nothing about what exists. With
the role, the record's door decides (core.doors: missing and not granted are the same 404)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Protocol, TypeVar

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ferry.core.errors import Refused

# Any signed-in staff member, whatever their roles (their own security page, the dashboard, signing out).
SIGNED_IN = "*"

View = TypeVar("View", bound=Callable[..., HttpResponse])


class Actor(Protocol):
    """What the checks need of a staff member (accounts.Staff)."""

    pk: Any

    def has_role(self, role: str) -> bool: ...


def allowed(actor: Actor | None, roles: Iterable[str]) -> bool:
    wanted = tuple(roles)
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if SIGNED_IN in wanted:
        return True
    return any(actor.has_role(role) for role in wanted)


def require(actor: Actor | None, *roles: str) -> None:
    """The service check: Refused unless the actor holds one of the roles."""
    if not allowed(actor, roles):
        raise Refused(_("You do not have the role needed for this."))


def roles(*allowed_roles: str) -> Callable[[View], View]:
    """Declare who may use a staff view; everyone else is refused before the view runs."""
    if not allowed_roles:
        raise ValueError("a staff view must name at least one role (or SIGNED_IN)")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(getattr(request, "user", None), *allowed_roles)
            return view(request, *args, **kwargs)

        guarded.ferry_roles = frozenset(allowed_roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def declared_roles(view: Callable[..., Any]) -> frozenset[str] | None:
    """The roles a view declared with @roles, or None (the URL walk's question)."""
    return getattr(view, "ferry_roles", None)
