"""Docs that stay true: every test file and test the docs cite exists, and so does every module path."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
TEST_FILE_RE = re.compile(r"\b(?:tests/)?((?:[a-z_]+/)*test_[a-z0-9_]+\.py)\b")
TEST_NAME_RE = re.compile(r"`(test_[a-z0-9_]+)`")
MODULE_RE = re.compile(r"`([A-Za-z0-9_/]+\.py)`")


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith(("test_", "Test")):
                names.add(node.name)
    return names


def _exists(module: str) -> bool:
    """A path from the project's root, or the tail of one (`cases/services.py`, `retention.py`)."""
    if (ROOT / module).exists():
        return True
    return any(
        str(path.relative_to(ROOT)).endswith("/" + module)
        for folder in ("ferry", "tests", "bench", "scripts")
        for path in (ROOT / folder).rglob(Path(module).name)
    )


def cited(text: str) -> tuple[set[str], set[str], set[str]]:
    """Test files, test names and module paths a document cites."""
    return set(TEST_FILE_RE.findall(text)), set(TEST_NAME_RE.findall(text)), set(MODULE_RE.findall(text))


def test_every_cited_test_and_module_exists() -> None:
    test_files = {str(p.relative_to(ROOT / "tests")) for p in (ROOT / "tests").rglob("test_*.py")}
    names = _test_names()
    missing = []
    for doc in DOCS:
        files, tests, modules = cited(doc.read_text(encoding="utf-8"))
        missing += [f"{doc.name}: {f}" for f in sorted(files) if not any(t.endswith(f) for t in test_files)]
        missing += [f"{doc.name}: {t}" for t in sorted(tests) if t not in names]
        missing += [f"{doc.name}: {m}" for m in sorted(modules) if not _exists(m)]
    assert missing == []


def test_the_check_sees_a_citation() -> None:
    files, tests, modules = cited("see tests/cases/test_gone.py, `test_gone_away` and `ferry/cases/gone.py`")
    assert (files, tests, modules) == ({"cases/test_gone.py"}, {"test_gone_away"}, {"ferry/cases/gone.py"})
    assert _exists("cases/services.py")
    assert not _exists("cases/pipeline_settings.py")


def test_the_production_units_restart_whatever_stopped_them() -> None:
    """The systemd units operations.md gives start the web server and the worker again after kill -9 too
    (Restart=on-failure would, but Restart=always also covers a clean exit), and never give up."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    units = re.findall(r"`/etc/systemd/system/(ferry-[a-z]+)\.service`:\s*```ini\n(.*?)```", text, re.DOTALL)
    assert {name for name, _unit in units} == {"ferry-web", "ferry-worker"}
    for name, unit in units:
        assert re.search(r"^Restart=always$", unit, re.MULTILINE), name
        assert re.search(r"^RestartSec=\d+$", unit, re.MULTILINE), name
        assert re.search(r"^StartLimitIntervalSec=0$", unit, re.MULTILINE), name
