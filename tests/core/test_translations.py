"""English and Russian: every marked string is in the Russian catalogue, translated, and compiled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = Path("locale/ru/LC_MESSAGES/django.po")


def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return len(entry.msgstr_plural) == 4 and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def test_russian_catalogue_is_complete_and_compiled() -> None:
    po = polib.pofile(str(ROOT / "ferry" / PO))
    missing = [e.msgid for e in po if not _translated(e) or "fuzzy" in e.flags]
    assert missing == []
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.mofile(str(ROOT / "ferry" / PO.with_suffix(".mo")))
    }
    for entry in po:
        expected = (entry.msgstr, {int(k): v for k, v in entry.msgstr_plural.items()})
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, entry.msgid


def test_every_marked_string_is_in_the_catalogue(tmp_path: Path) -> None:
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("xgettext missing: .ci/run installs gettext")
        pytest.skip("xgettext not installed (apt-get install gettext)")
    copy = tmp_path / "ferry"
    shutil.copytree(ROOT / "ferry", copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = (ROOT / "ferry" / PO).read_bytes()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "makemessages",
            "--locale",
            "ru",
            "--no-obsolete",
            "--no-location",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"},
        check=True,
        capture_output=True,
    )
    assert (ROOT / "ferry" / PO).read_bytes() == before, "the check must not write to the real catalogue"
    extracted = {e.msgid for e in polib.pofile(str(copy / PO))}
    committed = {e.msgid for e in polib.pofile(str(ROOT / "ferry" / PO))}
    assert sorted(extracted - committed) == [], "run `make messages` and translate the new strings"
    assert sorted(committed - extracted) == [], "run `make messages` to drop strings no longer used"
