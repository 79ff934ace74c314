"""Administrators change the pipeline: add, rename, reorder and (de)activate stages and closing reasons.

Every change is audited (the audit entry is its timestamp). Kept true here: exactly one active closing
stage, at least one active stage to work in, at least one active closing reason, and no stage switched
off while a case is at it. Keys never change, so statistics and shredded cases keep meaning the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ferry.accounts.models import Role, Staff
from ferry.audit.models import AuditEntry
from ferry.audit.services import audit_record
from ferry.cases.models import Case, ClosingReason, Named, Stage
from ferry.cases.services import CaseError, pipeline_ensure
from ferry.core.conflicts import first_write
from ferry.core.errors import NotFound
from ferry.core.permissions import require

STAGE = "stage"
REASON = "reason"
_MODELS: dict[str, type[Named]] = {STAGE: Stage, REASON: ClosingReason}
_OBJECT_TYPES = {STAGE: "stage", REASON: "closing_reason"}


class PipelineError(CaseError):
    """A pipeline change refused; the message is translated and says what to do instead."""


class PipelineItemNotFound(NotFound):
    """No stage or closing reason with this id."""


def _model(kind: str) -> type[Named]:
    model = _MODELS.get(kind)
    if model is None:
        raise PipelineItemNotFound(_("There is no such item."))
    return model


def pipeline_items(kind: str) -> list[Named]:
    """Every stage (or closing reason), active or not, in pipeline order."""
    pipeline_ensure()
    return list(_model(kind)._default_manager.order_by("position", "pk"))


def pipeline_item(kind: str, pk: int) -> Named:
    item = _model(kind)._default_manager.filter(pk=pk).first()
    if item is None:
        raise PipelineItemNotFound(_("There is no such item."))
    return item


def cases_per_stage() -> dict[int, int]:
    """How many cases (not shredded) are at each stage: metadata only, the same counts the board shows."""
    rows = Case.objects.filter(shredded_at__isnull=True).values("stage_id").annotate(n=Count("id"))
    return {row["stage_id"]: row["n"] for row in rows}


def pipeline_problems() -> list[str]:
    """What is wrong with the pipeline as stored (it can only go wrong outside these services)."""
    pipeline_ensure()
    problems = []
    closing = Stage.objects.filter(active=True, is_closed=True).count()
    if closing != 1:
        problems.append(
            _("There must be exactly one active closing stage; there are %(n)d. Cases cannot be closed reliably.")
            % {"n": closing}
        )
    if not Stage.objects.filter(active=True, is_closed=False).exists():
        problems.append(_("No stage is active apart from the closing stage."))
    if not ClosingReason.objects.filter(active=True).exists():
        problems.append(_("No closing reason is active, so no case can be closed."))
    return problems


def _locked(kind: str) -> list[Named]:
    # Small tables: lock them whole so two administrators reordering at once cannot interleave.
    return list(_model(kind)._default_manager.select_for_update().order_by("position", "pk"))


def _find(items: list[Named], pk: int) -> int:
    for index, item in enumerate(items):
        if item.pk == pk:
            return index
    raise PipelineItemNotFound(_("There is no such item."))


def _renumber(items: list[Named]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def _check_names(items: list[Named], name_en: str, name_ru: str, *, exclude_pk: int | None = None) -> None:
    if not name_en or not name_ru:
        raise PipelineError(_("Give the name in both languages."))
    # Compared in Python: the database's case-insensitive match knows only Latin letters on SQLite.
    taken = {name.casefold() for item in items if item.pk != exclude_pk for name in (item.name_en, item.name_ru)}
    if name_en.casefold() in taken or name_ru.casefold() in taken:
        raise PipelineError(_("This name is already in use. Choose another."))


def _new_key(items: list[Named], name_en: str, kind: str) -> str:
    base = slugify(name_en).replace("-", "_")[:30] or kind
    keys = {item.key for item in items}
    key, n = base, 1
    while key in keys:
        n += 1
        key = f"{base}_{n}"
    return key


def _audit(by: Staff, kind: str, verb: str, item: Named) -> None:
    audit_record(action=f"pipeline.{kind}_{verb}", actor_id=by.pk, object_type=_OBJECT_TYPES[kind], object_id=item.pk)


@transaction.atomic
def pipeline_item_add(*, by: Staff, kind: str, name_en: str, name_ru: str) -> Named:
    """A new active stage (never a second closing stage) or closing reason.

    A new stage goes just before the closing stage, where work happens; a reason goes last."""
    require(by, Role.ADMINISTRATOR)
    pipeline_ensure()
    model = _model(kind)
    items = _locked(kind)
    name_en, name_ru = name_en.strip(), name_ru.strip()
    _check_names(items, name_en, name_ru)
    item = model(key=_new_key(items, name_en, kind), name_en=name_en, name_ru=name_ru, active=True)
    with first_write(_("Someone else added this name just now. Look at the list again.")):
        item.save()
    at = next((i for i, s in enumerate(items) if isinstance(s, Stage) and s.is_closed), len(items))
    items.insert(at, item)
    _renumber(items)
    _audit(by, kind, "add", item)
    return item


@transaction.atomic
def pipeline_item_rename(*, by: Staff, kind: str, pk: int, name_en: str, name_ru: str) -> Named:
    require(by, Role.ADMINISTRATOR)
    items = _locked(kind)
    item = items[_find(items, pk)]
    name_en, name_ru = name_en.strip(), name_ru.strip()
    _check_names(items, name_en, name_ru, exclude_pk=item.pk)
    if (item.name_en, item.name_ru) != (name_en, name_ru):
        item.name_en, item.name_ru = name_en, name_ru
        item.save(update_fields=["name_en", "name_ru"])
        _audit(by, kind, "rename", item)
    return item


@transaction.atomic
def pipeline_item_move(*, by: Staff, kind: str, pk: int, up: bool) -> None:
    """Swap the item with its neighbour above or below."""
    require(by, Role.ADMINISTRATOR)
    items = _locked(kind)
    index = _find(items, pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        raise PipelineError(_("It is already first.") if up else _("It is already last."))
    items[index], items[other] = items[other], items[index]
    _renumber(items)
    _audit(by, kind, "move", items[other])


@transaction.atomic
def pipeline_item_set_active(*, by: Staff, kind: str, pk: int, active: bool) -> None:
    """Switch an item off (it leaves every choice list, its past uses stay) or back on."""
    require(by, Role.ADMINISTRATOR)
    items = _locked(kind)
    item = items[_find(items, pk)]
    if item.active == active:
        return
    if isinstance(item, Stage):
        _check_stage_switch(item, [s for s in items if isinstance(s, Stage)], active)
    elif not active and not any(r.active and r.pk != item.pk for r in items):
        raise PipelineError(_("Keep at least one closing reason active: a case cannot be closed without one."))
    item.active = active
    item.save(update_fields=["active"])
    _audit(by, kind, "activate" if active else "deactivate", item)


def _check_stage_switch(stage: Stage, stages: list[Stage], active: bool) -> None:
    others = [s for s in stages if s.active and s.pk != stage.pk]
    if active:
        if stage.is_closed and any(s.is_closed for s in others):
            raise PipelineError(_("There is already an active closing stage; there can be only one."))
        return
    if stage.is_closed:
        raise PipelineError(_("The closing stage cannot be switched off: every case needs a way to close."))
    if not any(not s.is_closed for s in others):
        raise PipelineError(_("Keep at least one stage active besides the closing stage."))
    waiting = Case.objects.filter(stage=stage, shredded_at__isnull=True).count()
    if waiting:
        raise PipelineError(
            ngettext(
                "%(n)d case is at this stage. Move it to another stage first.",
                "%(n)d cases are at this stage. Move them to another stage first.",
                waiting,
            )
            % {"n": waiting}
        )


@dataclass(frozen=True)
class Change:
    at: datetime
    action: str
    actor: str


def pipeline_changes(limit: int = 20) -> list[Change]:
    """The latest pipeline and retention changes from the audit log, newest first."""
    entries = list(AuditEntry.objects.filter(action__regex=r"^(pipeline|retention)\.").order_by("-seq")[:limit])
    names = {s.pk: s.name for s in Staff.objects.filter(pk__in={e.actor_id for e in entries if e.actor_id})}
    return [Change(at=e.at, action=e.action, actor=names.get(e.actor_id or 0, "")) for e in entries]
