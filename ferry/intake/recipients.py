"""Who a request is sealed to and who is told about it: the coordinators, the holders of its grant."""

from __future__ import annotations

from django.db.models import Q

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.intake.models import Request
from ferry.vault import blind
from ferry.vault.keyring import KeyRing
from ferry.vault.models import Grant, KeySet, StaffKey


def intake_coordinators() -> list[int]:
    """Active coordinators with a confirmed key pair: every new request is sealed to them (never to a pending one)."""
    return sorted(
        StaffKey.objects.filter(
            staff__is_active=True,
            staff__roles__role=Role.COORDINATOR,
            confirmed_at__isnull=False,
            paused_at__isnull=True,
        )
        .values_list("staff_id", flat=True)
        .distinct()
    )


def index_share(*, ring: KeyRing, staff: Staff) -> None:
    """A holder of the contact-index key passing by shares it with coordinators who lack it (audited)."""
    for staff_id in blind.index_share(ring=ring, staff_ids=intake_coordinators()):
        audit_record(action="vault.index_grant", actor_id=staff.pk, object_type="staff", object_id=staff_id)


def holders(key_set: KeySet) -> list[int]:
    """Active staff who hold a grant for this key set: the people to tell about new activity."""
    return sorted(
        Grant.objects.filter(key_set=key_set, staff__isnull=False, staff__is_active=True)
        .values_list("staff_id", flat=True)
        .distinct()
    )


def caseworkers() -> list[Staff]:
    return list(
        Staff.objects.filter(
            is_active=True,
            roles__role=Role.CASEWORKER,
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .distinct()
        .order_by("display_name", "email")
    )


def share_candidates(request: Request) -> list[Staff]:
    """Active coordinators and caseworkers with a key pair who cannot open the request yet."""
    holders = set(Grant.objects.filter(key_set_id=request.key_set_id).values_list("staff_id", flat=True))
    return [
        s
        for s in Staff.objects.filter(
            is_active=True,
            roles__role__in=[Role.COORDINATOR, Role.CASEWORKER],
            vault_key__confirmed_at__isnull=False,
            vault_key__paused_at__isnull=True,
        )
        .distinct()
        .order_by("display_name", "email")
        if s.pk not in holders
    ]


def holders_of(request: Request) -> list[Staff]:
    """Everyone who can open the request: listed on its page, each removable until it becomes a case."""
    ids = Grant.objects.filter(key_set_id=request.key_set_id, staff__isnull=False).values_list("staff_id", flat=True)
    return list(Staff.objects.filter(pk__in=ids).order_by("display_name", "email"))


def key_set_siblings(*, key_set_ids: set[int]) -> set[int]:
    """The other compartment of each request among these key sets (its own, or its conversation)."""
    found: set[int] = set()
    for own, conversation in Request.objects.filter(
        Q(key_set_id__in=key_set_ids) | Q(conversation_id__in=key_set_ids)
    ).values_list("key_set_id", "conversation_id"):
        found |= {own} | ({conversation} if conversation is not None else set())
    return found - key_set_ids
