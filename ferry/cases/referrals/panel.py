"""The referrals part of a case's page: no decryption, only clear fields."""

from __future__ import annotations

from typing import Any

from ferry.accounts.models import Role, Staff
from ferry.cases.models import Case
from ferry.cases.referrals.forms import ReferralForm, StatusForm
from ferry.cases.referrals.services import TRANSITIONS, S, country_name


def panel(*, staff: Staff, case: Case, bound: dict[str, Any]) -> dict[str, Any]:
    """Context for the referrals part of the case page: no decryption, only clear fields."""
    status_bound = bound.get("referral_status_form")
    rows = []
    for referral in case.referrals.select_related("partner", "created_by").order_by("-created_at"):
        form = status_bound if status_bound is not None and status_bound.referral_id == referral.pk else StatusForm()
        nexts = [(s, S(s).label) for s in sorted(TRANSITIONS[referral.status], key=list(S.values).index)]
        rows.append(
            {
                "referral": referral,
                "country": country_name(referral.destination_country),
                "next": nexts,
                "form": form,
                "needs_consent": referral.consent_at is None and S.SENT in TRANSITIONS[referral.status],
            }
        )
    return {
        "referral_rows": rows,
        "referral_form": bound.get("referral_form") or ReferralForm(),
        "referral_is_admin": staff.has_role(Role.ADMINISTRATOR),
    }
