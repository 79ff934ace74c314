"""Test settings: Ferry's settings with a throwaway data folder and a local-memory mail box."""

import os
import tempfile

os.environ.setdefault("FERRY_DATA_DIR", tempfile.mkdtemp(prefix="ferry-test-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # One data folder per test worker (each has its own database too): files, keys and the kept audit head.
    _worker_dir = os.path.join(os.environ["FERRY_DATA_DIR"], os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(_worker_dir, exist_ok=True)
    os.environ["FERRY_DATA_DIR"] = _worker_dir

from ferry.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so the worker and the launcher started by tests as real processes can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
