"""Test settings: Ferry's settings with a throwaway data folder and a local-memory mail box."""

import os
import tempfile

os.environ.setdefault("FERRY_DATA_DIR", tempfile.mkdtemp(prefix="ferry-test-"))

from ferry.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so the worker and the launcher started by tests as real processes can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
