"""Right, wrong and unknown receipt codes take the same time, at the production key-derivation cost."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest

from ferry.intake import services
from ferry.intake.models import LookupThrottle
from ferry.vault import requester

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _attempt(code: str) -> float:
    LookupThrottle.objects.all().delete()
    start = time.perf_counter()
    try:
        services.mailbox_open(code)
    except services.IntakeError:
        pass
    return time.perf_counter() - start


def _medians(codes: dict[str, str], rounds: int) -> dict[str, float]:
    """Interleaved, so a change in machine load during the run affects every kind alike."""
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(rounds):
        for name, code in codes.items():
            samples[name].append(_attempt(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def test_right_wrong_and_unknown_codes_cost_the_same(hotline: dict[str, Any], settings: Any) -> None:
    settings.FERRY_KDF_PROFILE = "moderate"  # not the test-only profile: the requester profile applies
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 10_000
    settings.FERRY_INTAKE_HOURLY_CAP = 0
    receipt = services.submission_create(
        data=services.Submission(
            name="", phone="", handle="", email="", country="", region="", place="", story="s", needs="", urgency="now"
        ),
        uploads=[],
        want_duress=True,
        nonce="timing",
    )
    code = receipt.code.replace(" ", "")
    wrong = code[:6] + ("1" if code[6] != "1" else "2") + code[7:]
    unknown_locator = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" != code[:6])
    unknown = unknown_locator + code[6:]
    assert receipt.duress_code is not None
    duress = receipt.duress_code.replace(" ", "")
    codes = {"right": code, "duress": duress, "wrong": wrong, "unknown": unknown}
    _medians(codes, 1)
    times = _medians(codes, 15)
    fastest, slowest = min(times.values()), max(times.values())
    assert fastest > 0.005, f"the real derivation cost must apply: {times}"
    assert slowest / fastest < 1.25, times
    assert requester.CODE_DIGITS == 24
