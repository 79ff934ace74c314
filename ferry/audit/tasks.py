"""Background job of the audit log: sign its head once a day with the key kept outside the database."""

from __future__ import annotations

import logging

from django_tasks import task

from ferry.audit.services import AuditChainBroken, audit_head_sign

logger = logging.getLogger(__name__)


@task()
def audit_anchor() -> None:
    try:
        audit_head_sign()
    except AuditChainBroken:
        # Nothing is signed over a broken chain; administrators see it on the audit page and with audit_verify.
        logger.error("audit chain does not verify; head not signed")
