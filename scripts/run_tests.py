"""`make test`: lint and type gates, then the whole suite on SQLite and again on a real PostgreSQL server.

Extra arguments go to both pytest runs (e.g. `make test ARGS="-k audit"`); the runs use one worker per core
(FERRY_TEST_WORKERS sets how many). Exit status 0 only if all pass."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pgserver import PostgresUnavailable, postgres_server  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "var" / "test-results"


def run(title: str, command: list[str], env: dict[str, str] | None = None) -> bool:
    print(f"\n=== {title}", flush=True)
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, check=False).returncode == 0


def counts(junit: Path) -> tuple[int, int, int]:
    if not junit.exists():
        return 0, 0, 0
    suite = ET.parse(junit).getroot()  # noqa: S314 - our own file
    node = suite if suite.tag == "testsuite" else suite.find("testsuite")
    if node is None:
        return 0, 0, 0
    total, failed = int(node.get("tests", 0)), int(node.get("failures", 0)) + int(node.get("errors", 0))
    skipped = int(node.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def main(args: list[str]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ok = True
    ok &= run("ruff check", [str(VENV_BIN / "ruff"), "check", "."])
    ok &= run("ruff format --check", [str(VENV_BIN / "ruff"), "format", "--check", "."])
    ok &= run("mypy ferry", [str(VENV_BIN / "mypy"), "ferry"])
    # One worker per core (each with its own test database); a file's tests stay on one worker, so its
    # fixtures (a live server, a browser, an S3 server) start once.
    pytest = [sys.executable, "-m", "pytest", "-n", os.environ.get("FERRY_TEST_WORKERS", "auto"), "--dist", "loadfile"]
    env = {"DJANGO_ALLOW_ASYNC_UNSAFE": "true", "DATABASE_URL": ""}
    ok &= run(
        "pytest on SQLite",
        [*pytest, f"--junitxml={RESULTS / 'sqlite.xml'}", *args],
        env=env,
    )
    pg_note = ""
    try:
        with postgres_server() as url:
            ok &= run(
                "pytest on PostgreSQL",
                [*pytest, f"--junitxml={RESULTS / 'postgres.xml'}", *args],
                env={**env, "DATABASE_URL": url},
            )
    except PostgresUnavailable as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print(f"\nPostgreSQL suite FAILED: {exc} (REQUIRE_POSTGRES=1)", flush=True)
            ok = False
        pg_note = f" (not run: {exc})"
        (RESULTS / "postgres.xml").unlink(missing_ok=True)
    s_pass, s_fail, s_skip = counts(RESULTS / "sqlite.xml")
    p_pass, p_fail, p_skip = counts(RESULTS / "postgres.xml")
    print("\n=== summary", flush=True)
    print(f"SQLite: {s_pass} passed, {s_fail} failed, {s_skip} skipped", flush=True)
    print(f"PostgreSQL: {p_pass} passed, {p_fail} failed, {p_skip} skipped{pg_note}", flush=True)
    print(f"gates (ruff, mypy) and suites: {'all passed' if ok else 'FAILED'}", flush=True)
    failed = s_fail + p_fail
    if not ok and failed == 0:
        failed = 1  # a failed gate (lint, types, a suite that could not start) counts as a failure
    print(f"{s_pass + p_pass} passed, {failed} failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
