"""`python -m bench.child NAME OUT`: run one benchmark in this process against a throwaway database.

Settings are process-global, so the runner starts one of these per benchmark.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.figures import figures_write


@dataclass(frozen=True)
class Prepared:
    data_dir: Path
    database_url: str  # empty for the SQLite file in data_dir
    test_db_from: str  # PostgreSQL: the database name the throwaway one was made beside; else empty


def prepare() -> Prepared:
    """A fresh data folder and database, chosen by env vars before Django reads its settings, then migrated."""
    data_dir = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    os.environ["FERRY_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ferry.settings"
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    # Never the DATABASE_URL of the shell: benchmarks write thousands of rows and must not touch real data.
    os.environ.pop("DATABASE_URL", None)
    if url:
        os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", interactive=False, verbosity=0)
        return Prepared(data_dir=data_dir, database_url="", test_db_from="")
    # A server database: make a uniquely named throwaway one beside it, dropped in cleanup().
    original = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"ferry_bench_{secrets.token_hex(4)}"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    parts = urlsplit(url)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return Prepared(data_dir=data_dir, database_url=os.environ["DATABASE_URL"], test_db_from=original)


def cleanup(prepared: Prepared) -> None:
    from django.db import connection

    if prepared.test_db_from:
        connection.creation.destroy_test_db(prepared.test_db_from, verbosity=0)
    shutil.rmtree(prepared.data_dir, ignore_errors=True)


def child_env(settings_module: str = "ferry.settings") -> dict[str, str]:
    """Environment for a server process started by a benchmark: the same throwaway data folder and database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    return env


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python -m bench.child NAME OUT")
    name, out = sys.argv[1], Path(sys.argv[2])
    prepared = prepare()
    try:
        module = importlib.import_module(f"bench.bench_{name}")
        if name != module.NAME:
            sys.exit(f"bench.bench_{name} says its NAME is {module.NAME!r}")
        figures_write(out, module.run())
    finally:
        cleanup(prepared)


if __name__ == "__main__":
    main()
