"""Vocabularies: trees of terms with stable codes and English and Russian labels, seeded with a set made
for violations against LGBT people, and kept by administrators (add, rename, deprecate; a code in use is
never deleted)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.audit.services import audit_record
from ferry.core.errors import NotFound
from ferry.core.permissions import require
from ferry.incidents.models import Act, Involvement, Perpetrator, Term, Vocabulary
from ferry.incidents.seed import vocabularies_seed
from ferry.incidents.services import DocumentationError

__all__ = ["vocabularies_seed"]


@dataclass(frozen=True)
class TreeRow:
    term: Term
    depth: int


def tree(vocabulary: str, *, live_only: bool = False) -> list[TreeRow]:
    """The vocabulary's terms in tree order (parents before their children), each with its depth."""
    rows = Term.objects.filter(vocabulary=vocabulary)
    if live_only:
        rows = rows.filter(deprecated_at__isnull=True)
    terms = list(rows.order_by("position", "code"))
    children: dict[int | None, list[Term]] = {}
    for term in terms:
        children.setdefault(term.parent_id, []).append(term)
    known = {t.pk for t in terms}
    out: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for term in children.get(parent, []):
            out.append(TreeRow(term, depth))
            walk(term.pk, depth + 1)

    walk(None, 0)
    # A live child of a deprecated parent still shows, at the top.
    for term in terms:
        if term.parent_id is not None and term.parent_id not in known:
            out.append(TreeRow(term, 0))
            walk(term.pk, 1)
    return out


def choices(vocabulary: str) -> list[tuple[int, str]]:
    """Live terms as form choices, indented by depth."""
    return [(row.term.pk, "\u2003" * row.depth + row.term.label) for row in tree(vocabulary, live_only=True)]


def _audit(staff: Staff, term: Term, action: str) -> None:
    audit_record(action=f"term.{action}", actor_id=staff.pk, object_type="term", object_id=term.pk)


def term_add(*, staff: Staff, vocabulary: str, code: str, label_en: str, label_ru: str, parent_id: int | None) -> Term:
    require(staff, Role.ADMINISTRATOR)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", code):
        raise DocumentationError(_("A code is lower-case Latin letters, digits and hyphens."))
    if vocabulary not in Vocabulary.values:
        raise NotFound(_("No such vocabulary."))
    parent = None
    if parent_id is not None:
        parent = Term.objects.filter(pk=parent_id, vocabulary=vocabulary).first()
        if parent is None:
            raise DocumentationError(_("Choose a parent from the same vocabulary."))
    if not label_en.strip() or not label_ru.strip():
        raise DocumentationError(_("Give the label in English and in Russian."))
    try:
        with transaction.atomic():
            term = Term.objects.create(
                vocabulary=vocabulary,
                code=code,
                label_en=label_en.strip(),
                label_ru=label_ru.strip(),
                parent=parent,
                position=Term.objects.filter(vocabulary=vocabulary, parent=parent).count(),
                private=bool(parent and parent.private),
            )
    except IntegrityError:
        raise DocumentationError(_("This code is already used in this vocabulary; codes never change.")) from None
    _audit(staff, term, "add")
    return term


def term_rename(*, staff: Staff, term: Term, label_en: str, label_ru: str) -> None:
    require(staff, Role.ADMINISTRATOR)
    if not label_en.strip() or not label_ru.strip():
        raise DocumentationError(_("Give the label in English and in Russian."))
    Term.objects.filter(pk=term.pk).update(label_en=label_en.strip(), label_ru=label_ru.strip())
    _audit(staff, term, "rename")


def term_deprecate(*, staff: Staff, term: Term, deprecated: bool) -> None:
    """A deprecated term is no longer offered; what already uses it keeps it."""
    require(staff, Role.ADMINISTRATOR)
    Term.objects.filter(pk=term.pk).update(deprecated_at=timezone.now() if deprecated else None)
    _audit(staff, term, "deprecate" if deprecated else "restore")


def term_in_use(term: Term) -> bool:
    return (
        Term.objects.filter(parent=term).exists()
        or Act.objects.filter(Q(act_type=term) | Q(method=term) | Q(consequence=term)).exists()
        or Involvement.objects.filter(perpetrator_type=term).exists()
        or Perpetrator.objects.filter(perpetrator_type=term).exists()
    )


def term_delete(*, staff: Staff, term: Term) -> None:
    """Only a term nothing uses (a typo just added) can go; anything else is deprecated instead."""
    require(staff, Role.ADMINISTRATOR)
    with transaction.atomic():
        if term_in_use(term):
            raise DocumentationError(_("This code is in use: deprecate it instead, so what uses it keeps its meaning."))
        _audit(staff, term, "delete")
        term.delete()
