"""Reports: assembled from approved tables (read back from their approved CSV, never counted again) with
the analyst's text, the methodology and disclosure settings printed at the end; a release itself."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from ferry.advocacy import releases, statistics
from ferry.advocacy.models import Release
from ferry.advocacy.outputs import table_output
from ferry.advocacy.statistics import Question, Settings
from tests.advocacy.helpers import Spec, incidents_make
from tests.cases.conftest import staff_client
from tests.cases.test_referrals import pdf_text
from tests.incidents.conftest import ring_of

pytestmark = pytest.mark.django_db


def _approved_table(analysts: dict[str, Any], language: str = "en") -> Release:
    y = timezone.localdate().year - 2
    incidents_make(
        [Spec(date(y, 2, 1), "RU-CE") for _ in range(25)] + [Spec(date(y, 2, 1), "RU-DA") for _ in range(4)],
        staff_id=analysts["analyst"].staff.pk,
    )
    table = statistics.answer(
        Question("incidents", ("subdivision",), ""), Settings(), language=language, title="Incidents by region"
    )
    one, two = analysts["analyst"], analysts["analyst2"]
    release = releases.release_prepare(ring=ring_of(one), staff=one.staff, output=table_output(table, "csv", language))
    return releases.release_approve(ring=ring_of(two), staff=two.staff, reference=release.reference)


def test_a_report_embeds_what_was_approved_and_prints_its_method(analysts: dict[str, Any]) -> None:
    part = _approved_table(analysts)
    # Given an approved table, and more incidents recorded since its approval
    incidents_make(
        [Spec(date(timezone.localdate().year - 2, 3, 1), "RU-CE") for _ in range(30)],
        staff_id=analysts["analyst"].staff.pk,
    )
    browser = staff_client(analysts["analyst"])
    answer = browser.post(
        "/staff/advocacy/report/",
        {
            "title": "Persecution in the North Caucasus",
            "language": "en",
            "introduction": "What we documented.",
            "conclusion": "What governments should do.",
            "part": [part.reference],
            f"caption-{part.reference}": "Incidents by region",
        },
    )
    assert answer.status_code == 302
    report = Release.objects.get(kind="report")
    assert report.state == Release.State.PENDING
    assert report.question == {"components": [part.reference]}
    served = releases.release_serve(
        ring=ring_of(analysts["analyst"]), staff=analysts["analyst"].staff, reference=report.reference
    )
    text = pdf_text(served.content)
    # Then the report carries the approved figures (25), not a new count (55)
    assert "25" in text
    assert "55" not in text
    assert "[c]" in text  # the small cell stays suppressed
    assert "What governments should do." in text
    assert "Methodology and disclosure control" in text
    assert part.sha256 in text.replace("\n", "")
    assert "cells below 10 suppressed" in text


def test_a_report_refuses_parts_not_approved_or_in_another_language(analysts: dict[str, Any]) -> None:
    part = _approved_table(analysts, language="ru")
    browser = staff_client(analysts["analyst"])
    form = {"title": "T", "language": "en", "part": [part.reference]}
    answer = browser.post("/staff/advocacy/report/", form)
    assert answer.status_code == 400
    assert "report&#x27;s language" in answer.content.decode() or "report's language" in answer.content.decode()
    assert not Release.objects.filter(kind="report").exists()
    assert browser.post("/staff/advocacy/report/", {"title": "T", "language": "en"}).status_code == 400
