"""Right, wrong and unknown receipt codes take the same time, at the production key-derivation cost."""

from __future__ import annotations

import contextlib
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
    with contextlib.suppress(services.IntakeError):
        services.mailbox_open(code)
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
    # What an online guesser can compare: a right code, a wrong one, one whose locator finds nothing.
    guessable = [times["right"], times["wrong"], times["unknown"]]
    assert min(guessable) > 0.005, f"the real derivation cost must apply: {times}"
    assert max(guessable) / min(guessable) < 1.25, times
    # The duress code also writes a check-in and alerts; whoever types it has no real code to compare with.
    assert times["duress"] / times["right"] < 1.6, times
    assert requester.CODE_DIGITS == 24
