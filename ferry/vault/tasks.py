"""Background job of the vault: persons' files of past days go to storage, and files no key names are removed.
It handles ciphertext only; it holds no key."""

from __future__ import annotations

import logging

from django_tasks import task

from ferry.vault.files import stored_files_flush, stored_files_sweep

logger = logging.getLogger(__name__)


@task()
def stored_files_tidy() -> None:
    flushed = stored_files_flush()
    swept = stored_files_sweep()
    # Counts only: no file id, no time finer than the job's own.
    logger.info("stored files: %d written from the database, %d removed", flushed, swept.removed)
