"""Custody reports, per item or per incident, as a prosecutor or a sanctions office asks for them: each item's
hashes, how, when and by whom it was acquired, and every custody event, in the viewer's language, as PDF.

Exporting one is itself a custody event ("exported") on every item it covers, recorded before the report is
rendered, so the report shows its own export and the chain it prints is the chain as it stands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ferry.accounts.models import Role, Staff
from ferry.core.pdf import html_pdf
from ferry.core.permissions import require
from ferry.incidents.custody import chain_verify, custody_append, custody_detail
from ferry.incidents.evidence import EvidenceRecord, access_evidence
from ferry.incidents.models import CustodyEvent, Evidence
from ferry.incidents.services import _audit, access_incident
from ferry.vault.keyring import KeyRing

A = CustodyEvent.Action


def _acquired_text(detail: dict[str, Any]) -> str:
    parts = [_("How: %(how)s") % {"how": detail.get("how", "")}]
    if detail.get("source"):
        parts.append(_("Source: %(source)s") % {"source": detail["source"]})
    if detail.get("original"):
        parts.append(_("Working copy of %(reference)s") % {"reference": detail["original"]})
    return "; ".join(parts)


def _copied_text(detail: dict[str, Any]) -> str:
    kind = detail.get("copy_kind", "")
    label = Evidence.CopyKind(kind).label if kind in Evidence.CopyKind.values else kind
    return _("%(kind)s %(reference)s, SHA-256 %(sha256)s") % {
        "kind": label,
        "reference": detail.get("copy", ""),
        "sha256": detail.get("copy_sha256", ""),
    }


def _exported_text(detail: dict[str, Any]) -> str:
    return _("Custody report of the incident") if detail.get("scope") == "incident" else _("Custody report")


def _handed_text(detail: dict[str, Any]) -> str:
    text = _("To %(recipient)s, by %(method)s") % {
        "recipient": detail.get("recipient", ""),
        "method": detail.get("method", ""),
    }
    return f"{text}. {detail['note']}" if detail.get("note") else text


def _check_failed_text(detail: dict[str, Any]) -> str:
    if not detail.get("found"):
        return _("The stored file is missing or cannot be read back.")
    return _("Expected %(expected)s, found %(found)s") % {
        "expected": detail.get("expected", ""),
        "found": detail["found"],
    }


# What each kind of event's sealed detail says, as one line in the viewer's language.
DETAIL_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    A.ACQUIRED: _acquired_text,
    A.VIEWED: lambda detail: "",
    A.COPIED: _copied_text,
    A.EXPORTED: _exported_text,
    A.HANDED: _handed_text,
    A.CHECKED: lambda detail: _("The file's SHA-256 matches the hash taken at acquisition."),
    A.CHECK_FAILED: _check_failed_text,
}


def detail_text(action: str, detail: dict[str, Any]) -> str:
    text = DETAIL_TEXT.get(action)
    return "" if text is None else text(detail)


@dataclass(frozen=True)
class ReportEvent:
    sequence: int
    action: str
    at: Any
    actor: str
    detail: str
    entry_hash: str


@dataclass(frozen=True)
class ReportItem:
    evidence: Evidence
    record: EvidenceRecord
    events: list[ReportEvent]
    chain_ok: bool
    chain_problem: str
    copies: list[str]


def _name(staff: Staff | None) -> str:
    return staff.name if staff is not None else _("(account removed)")


def _item(evidence: Evidence, key: bytes) -> ReportItem:
    events = list(CustodyEvent.objects.filter(evidence=evidence).select_related("actor").order_by("sequence"))
    verdict = chain_verify(evidence, events=events)
    return ReportItem(
        evidence=evidence,
        record=EvidenceRecord.of(key, evidence),
        events=[
            ReportEvent(
                sequence=e.sequence,
                action=str(A(e.action).label) if e.action in A.values else e.action,
                at=e.at,
                actor=_name(e.actor),
                detail=detail_text(e.action, custody_detail(key=key, event=e)),
                entry_hash=e.entry_hash,
            )
            for e in events
        ],
        chain_ok=verdict.ok,
        chain_problem=_(verdict.problem) if verdict.problem else "",  # a gettext_noop message
        copies=list(evidence.copies.order_by("acquired_at").values_list("reference", flat=True)),
    )


def _exported(evidence: Evidence, key: bytes, staff: Staff, scope: str) -> None:
    custody_append(
        evidence=evidence,
        key=key,
        action=A.EXPORTED,
        actor=staff,
        detail={"scope": scope, "language": get_language() or ""},
    )


@dataclass(frozen=True)
class CustodyReport:
    title: str
    incident_reference: str
    items: list[ReportItem]
    withheld: int  # items of the incident the viewer cannot open, left out
    made_at: Any
    made_by: str

    def pdf(self) -> bytes:
        return html_pdf(render_to_string("incidents/evidence/custody_report.html", {"report": self}))

    @property
    def filename(self) -> str:
        """Named by the incident, or by the one item: references only, never a file's own name."""
        reference = self.incident_reference or (self.items[0].evidence.reference if self.items else "")
        return f"custody-{reference}.pdf"


def report_for_item(*, ring: KeyRing | None, staff: Staff, reference: str) -> CustodyReport:
    """One item's custody report; its export is recorded in its log first."""
    require(staff, Role.DOCUMENTER)
    evidence, key = access_evidence(ring=ring, staff=staff, reference=reference)
    with transaction.atomic():
        _exported(evidence, key, staff, "item")
        _audit("evidence.report", staff, evidence)
    return CustodyReport(
        title=_("Custody report: evidence %(reference)s") % {"reference": evidence.reference},
        incident_reference="",
        items=[_item(evidence, key)],
        withheld=0,
        made_at=timezone.now(),
        made_by=staff.name,
    )


def report_for_incident(*, ring: KeyRing | None, staff: Staff, reference: str) -> CustodyReport:
    """Every item of the incident the viewer can open (originals, then their copies); each export recorded."""
    require(staff, Role.DOCUMENTER)
    incident, _key = access_incident(ring=ring, staff=staff, reference=reference)
    assert ring is not None  # noqa: S101 - the door refuses a missing ring
    items = list(
        Evidence.objects.filter(incident=incident)
        .select_related("key_set", "original", "source", "acquired_by")
        .order_by("acquired_at", "reference")
    )
    keys = ring.keys_for([item.key_set for item in items])
    openable = [item for item in items if item.key_set_id in keys]
    with transaction.atomic():
        for item in openable:
            _exported(item, keys[item.key_set_id], staff, "incident")
        _audit("incident.custody_report", staff, incident)
    return CustodyReport(
        title=_("Custody report: incident %(reference)s") % {"reference": incident.reference},
        incident_reference=incident.reference,
        items=[_item(item, keys[item.key_set_id]) for item in openable],
        withheld=len(items) - len(openable),
        made_at=timezone.now(),
        made_by=staff.name,
    )
