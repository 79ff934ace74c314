"""Calibrated noise for published counts, with a privacy budget kept in the database (OpenDP).

Each noisy table spends epsilon from the organisation's budget (models.NoiseBudget); once spent, noisy
tables are refused until an administrator sets a new budget (`manage.py noise_budget`), which is audited.
An answer is kept under the fingerprint of its question, settings and true counts: asked again over the same
records, the same noisy table is served at no cost, so noise cannot be averaged away by repetition; over
changed records it is a new release of new data, and costs again.

Sensitivity: the tables noise is offered for count incidents or cases, each record in exactly one cell, so
adding or removing one record changes one cell by one (L1 sensitivity 1). Discrete Laplace noise with scale
1/epsilon then gives epsilon-differential privacy per table; totals are sums of the noisy cells (post-
processing, no further cost). The unit protected is one incident or one case, not one person across many."""

from __future__ import annotations

import hashlib
import json

import opendp.prelude as dp
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.advocacy.models import NoiseBudget, NoisyAnswer
from ferry.audit.services import audit_record
from ferry.core.errors import FerryError

dp.enable_features("contrib")

MAX_EPSILON_MILLI = 5_000


class BudgetSpent(FerryError):
    """The privacy budget cannot pay for this table."""


def budget() -> NoiseBudget:
    found = NoiseBudget.objects.order_by("pk").first()
    if found is None:
        found, _created = NoiseBudget.objects.get_or_create(pk=1, defaults={"updated_at": timezone.now()})
    return found


def budget_set(*, total_milli: int, by_id: int | None) -> NoiseBudget:
    """A new total for the budget (what was spent stays spent)."""
    with transaction.atomic():
        row = NoiseBudget.objects.select_for_update().filter(pk=budget().pk).get()
        row.total_milli = total_milli
        row.updated_at = timezone.now()
        row.updated_by_id = by_id
        row.save()
        audit_record(action="noise_budget.set", actor_id=by_id, object_type="noise_budget", object_id=row.pk)
    return row


def _laplace(values: list[int], epsilon: float) -> list[int]:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = space >> dp.m.then_laplace(scale=1.0 / epsilon)
    if measurement.map(1) > epsilon + 1e-9:  # pragma: no cover - the library's own accounting disagrees
        raise BudgetSpent(_("The noise could not be calibrated."))
    return [max(0, int(v)) for v in measurement(values)]


def noisy_cells(question_fingerprint: str, cells: list[list[int]], epsilon_milli: int) -> list[list[int]]:
    """The table's cells with noise: the kept answer if this question was asked of these records before,
    else new noise paid from the budget (refused once spent)."""
    if not 0 < epsilon_milli <= MAX_EPSILON_MILLI:
        raise BudgetSpent(_("Choose an epsilon between 0.001 and 5."))
    canonical = json.dumps([question_fingerprint, cells]).encode()
    fingerprint = hashlib.sha256(canonical).hexdigest()
    kept = NoisyAnswer.objects.filter(fingerprint=fingerprint).first()
    if kept is not None:
        return [list(map(int, row)) for row in kept.answer["cells"]]
    width = len(cells[0]) if cells else 0
    try:
        with transaction.atomic():
            row = NoiseBudget.objects.select_for_update().filter(pk=budget().pk).get()
            if row.spent_milli + epsilon_milli > row.total_milli:
                raise BudgetSpent(
                    _("The privacy budget is spent (%(left)s of epsilon left). Ask an administrator.")
                    % {"left": (row.total_milli - row.spent_milli) / 1000}
                )
            flat = _laplace([v for line in cells for v in line], epsilon_milli / 1000)
            noisy = [flat[i * width : (i + 1) * width] for i in range(len(cells))]
            NoisyAnswer.objects.create(
                fingerprint=fingerprint,
                epsilon_milli=epsilon_milli,
                answer={"cells": noisy},
                created_at=timezone.now(),
            )
            row.spent_milli += epsilon_milli
            row.updated_at = timezone.now()
            row.save(update_fields=["spent_milli", "updated_at"])
    except IntegrityError:
        # Asked at the same moment by someone else: theirs is the answer, paid once.
        kept = NoisyAnswer.objects.get(fingerprint=fingerprint)
        return [list(map(int, row)) for row in kept.answer["cells"]]
    return noisy
