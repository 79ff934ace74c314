"""Retention: closed cases are crypto-shredded once the period an administrator set has passed.

A shred destroys every grant, file key, sealed field and stored file of the case's key set (which the
request it came from shares), deletes the rows that only described the person (timeline, tasks, needs,
check-ins, the requester's mailbox, messages and contact index) and keeps one row of non-identifying
statistics. It needs no key, so the worker runs it; an administrator can shred one closed case at once.
It is one transaction: interrupted, it leaves the case intact; it never runs twice on the same case.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff, StaffAlert
from ferry.audit.services import audit_record
from ferry.cases.models import Case, Event, Referral, RetentionPolicy, ShreddedCase
from ferry.cases.services import CaseError
from ferry.core.errors import NotFound
from ferry.core.permissions import require
from ferry.intake.models import Request
from ferry.vault import keysets
from ferry.vault.models import KeySet

logger = logging.getLogger(__name__)

MAX_DAYS = 36500


# --- the policy ----------------------------------------------------------------------------------


def retention_policy() -> RetentionPolicy | None:
    return RetentionPolicy.objects.order_by("pk").first()


def retention_days() -> int | None:
    """Days a closed case keeps its personal data; None keeps it until an administrator shreds it."""
    policy = retention_policy()
    return None if policy is None else policy.days_after_closing


@transaction.atomic
def retention_policy_set(*, by: Staff, days: int | None) -> RetentionPolicy:
    require(by, Role.ADMINISTRATOR)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise CaseError(_("Choose between 1 and %(max)d days, or leave it empty.") % {"max": MAX_DAYS})
    policy = RetentionPolicy.objects.select_for_update().order_by("pk").first() or RetentionPolicy()
    policy.days_after_closing = days
    policy.updated_at = timezone.now()
    policy.updated_by = by
    policy.save()
    audit_record(action="retention.policy", actor_id=by.pk, object_type="retention_policy", object_id=policy.pk)
    return policy


# --- which cases ---------------------------------------------------------------------------------


def closed_cases() -> QuerySet[Case]:
    """Closed cases that still hold personal data, the longest closed first."""
    return (
        Case.objects.filter(shredded_at__isnull=True, closed_at__isnull=False, stage__is_closed=True)
        .select_related("stage", "closing_reason")
        .order_by("closed_at", "pk")
    )


def closed_case(reference: str) -> Case:
    """One closed case that still holds personal data (metadata only), or NotFound."""
    case = closed_cases().filter(reference=reference).first()
    if case is None:
        raise NotFound(_("There is no closed case with this reference that still holds personal data."))
    return case


def due_cases(days: int, now: datetime | None = None) -> QuerySet[Case]:
    return closed_cases().filter(closed_at__lte=(now or timezone.now()) - timedelta(days=days))


def shred_due() -> int:
    """Crypto-shred closed cases past the retention period; returns how many."""
    days = retention_days()
    if days is None:
        return 0
    done = 0
    for case_id in list(due_cases(days).values_list("pk", flat=True)):
        try:
            # Checked again under the lock: the case may have been reopened or shredded since.
            if _shred(case_id=case_id, actor_id=None, closed_before=timezone.now() - timedelta(days=days)):
                done += 1
        except Exception:
            # One case that cannot be shredded (it stays intact) must not hold back all the others.
            logger.exception("retention: case %s could not be shredded; it is intact and will be retried", case_id)
    return done


def case_shred(*, by: Staff, reference: str) -> ShreddedCase:
    """An administrator shreds one closed case now, before its period is over. Cannot be undone."""
    require(by, Role.ADMINISTRATOR)
    case = closed_case(reference)
    stats = _shred(case_id=case.pk, actor_id=by.pk, closed_before=None)
    if stats is None:
        raise NotFound(_("There is no closed case with this reference that still holds personal data."))
    return stats


# --- the shred itself ----------------------------------------------------------------------------


@transaction.atomic
def _shred(*, case_id: uuid.UUID, actor_id: int | None, closed_before: datetime | None) -> ShreddedCase | None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("stage", "closing_reason", "key_set")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.shredded_at is not None or case.closed_at is None or not case.stage.is_closed:
        return None
    if closed_before is not None and case.closed_at > closed_before:
        return None
    now = timezone.now()
    stats = ShreddedCase.objects.create(
        reference=case.reference,
        created_on=_day(case.created_at),
        closed_on=_day(case.closed_at),
        shredded_on=_day(now),
        outcome=case.closing_reason.key if case.closing_reason else "",
        destination_country=_destination(case),
        stage_history=_stage_history(case),
    )
    conversations = list(
        KeySet.objects.filter(
            pk__in=Request.objects.filter(Q(pk=case.request_id) | Q(key_set_id=case.key_set_id)).values("conversation")
        )
    )
    _forget_rows(case)
    # The shred also drops the key caches of every session whose staff member held a grant.
    for key_set in [case.key_set, *conversations]:
        keysets.keyset_shred(key_set=key_set)
    # The version moves too, so an edit that read the case before the shred fails as a conflict.
    Case.objects.filter(pk=case.pk).update(shredded_at=now, updated_at=now, version=F("version") + 1)
    audit_record(action="case.shred", actor_id=actor_id, object_type="case", object_id=case.pk.hex)
    return stats


def _forget_rows(case: Case) -> None:
    """Delete what described the person and no longer opens: every row of this app hanging off the case
    (found from the model, so rows added by later features go too), the request the case came from (with
    its mailbox, mailbox sessions, messages, attachments, contact index and check-ins) and staff alerts
    naming the case. The case row stays as a tombstone: reference, final stage, dates."""
    for relation in Case._meta.related_objects:
        model = relation.related_model
        if isinstance(model, str):  # pragma: no cover - only unresolved lazy references are strings
            continue
        if model._meta.app_label == "cases" and (relation.one_to_many or relation.one_to_one):
            model._default_manager.filter(**{relation.field.name: case}).delete()
    # The request shares the key set; any request under it is this person's.
    Request.objects.filter(Q(pk=case.request_id) | Q(key_set_id=case.key_set_id)).delete()
    StaffAlert.objects.filter(reference=case.reference).delete()


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def _destination(case: Case) -> str:
    if case.destination_country:
        return case.destination_country
    referral = (
        Referral.objects.filter(case=case, status__in=[Referral.Status.ACCEPTED, Referral.Status.COMPLETED])
        .exclude(destination_country="")
        .order_by("-updated_at")
        .first()
    )
    return referral.destination_country if referral else ""


@dataclass(frozen=True)
class _Step:
    stage: str
    at: datetime


def _stage_history(case: Case) -> list[dict[str, str]]:
    """The stages the case went through, each with the day it was entered, oldest first.

    Read from the clear stage that opening and stage-change events carry (never the sealed detail). The
    latest stage change led to the case's present stage, so it is known even for events without it."""
    rows = list(
        Event.objects.filter(case=case, kind__in=[Event.Kind.CREATED, Event.Kind.STAGE])
        .order_by("at")
        .values_list("kind", "at", "stage__key")
    )
    steps = [_Step(stage=key or "", at=at) for _kind, at, key in rows]
    last_change = max((i for i, (kind, _at, _key) in enumerate(rows) if kind == Event.Kind.STAGE), default=None)
    if last_change is not None:
        steps[last_change] = _Step(stage=case.stage.key, at=steps[last_change].at)
    if not steps or steps[-1].stage != case.stage.key:
        steps.append(_Step(stage=case.stage.key, at=case.closed_at or case.stage_changed_at))
    return [{"stage": step.stage, "on": _day(step.at).isoformat()} for step in steps]
