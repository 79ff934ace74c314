"""Check-in entries of a case's timeline, worded when shown, in the reader's language: the entries keep keys
(intervals, channel, alert kinds), never a sentence in the language of whoever wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ferry.accounts.models import StaffAlert
from ferry.cases.checkins import schedule
from ferry.cases.models import CheckInRecord


def span(minutes: int) -> str:
    """A duration for people: "24 hours", "90 minutes", "2 days"."""
    count, unit = schedule.in_units(minutes)
    if unit == "days":
        return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}
    if unit == "hours":
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def plan_text(detail: dict[str, Any]) -> str | None:
    if detail.get("ended"):
        return _("Check-ins ended with the case")
    if detail.get("active") is False:
        return _("Check-ins turned off")
    if "interval_minutes" not in detail:
        return None
    return _("Every %(every)s, grace period %(grace)s, lost contact after %(lost)d missed") % {
        "every": span(int(detail["interval_minutes"])),
        "grace": span(int(detail.get("grace_minutes", 0))),
        "lost": int(detail.get("lost_after_missed", 0)),
    }


def checkin_text(detail: dict[str, Any]) -> str | None:
    channel = detail.get("channel")
    if channel not in CheckInRecord.Channel.values:
        return None
    label = str(CheckInRecord.Channel(channel).label)
    return _("%(channel)s, under duress: emergency") % {"channel": label} if detail.get("duress") else label


def alerts_text(detail: dict[str, Any]) -> str | None:
    kinds = [kind for kind in detail.get("alerts", []) if kind in StaffAlert.Kind.values]
    if not kinds:
        return None
    return "; ".join(str(StaffAlert.Kind(kind).label) for kind in kinds)


def checkin_texts(entries: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Set each entry's "text" from its keys (entries from before keep their words if they have no keys)."""
    words = {"plan": plan_text, "checkin": checkin_text, "alert": alerts_text}
    for kind, detail in entries:
        word = words.get(kind)
        text = word(detail) if word else None
        if text is not None:
            detail["text"] = text
