"""Right, wrong, unknown and duress receipt codes run the same key derivations at the same production cost.

Counted, not timed: the same derivations with the same parameters take the same time on any machine, so
this cannot fail by chance under load. The wall-clock figures are in bench/bench_timing.py."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from ferry.intake import errors, mailbox, submission
from ferry.intake.models import LookupThrottle
from ferry.vault import crypto, requester

pytestmark = pytest.mark.django_db


def _work_of(code: str, crypto_work: list[tuple[object, ...]]) -> tuple[tuple[object, ...], ...]:
    LookupThrottle.objects.all().delete()
    crypto_work.clear()
    with contextlib.suppress(errors.IntakeError):
        mailbox.mailbox_open(code)
    return tuple(crypto_work)


def test_right_wrong_unknown_and_duress_codes_do_the_same_work(
    hotline: dict[str, Any], settings: Any, crypto_work: list[tuple[object, ...]]
) -> None:
    # Given a mailbox enrolled at the production requester cost, with a duress code
    settings.FERRY_KDF_PROFILE = "moderate"
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 10_000
    settings.FERRY_INTAKE_HOURLY_CAP = 0
    receipt = submission.submission_create(
        data=submission.Submission(
            name="", phone="", handle="", email="", country="", region="", place="", story="s", needs="", urgency="now"
        ),
        uploads=[],
        want_duress=True,
        nonce="timing",
    )
    code = receipt.code.replace(" ", "")
    assert receipt.duress_code is not None
    codes = {
        "right": code,
        "duress": receipt.duress_code.replace(" ", ""),
        "wrong": code[:6] + ("1" if code[6] != "1" else "2") + code[7:],
        "unknown": next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" != code[:6]) + code[6:],
    }
    # When each is typed
    work = {name: _work_of(value, crypto_work) for name, value in codes.items()}
    # Then every branch runs exactly one derivation at the production requester cost, on the look-up lane,
    # and the same steps after it: nothing a guesser (or a captor holding the duress code) can time tells apart
    production = crypto.kdf_params_new("requester")
    expected = (
        ("derive_key", production.opslimit, production.memlimit, "lookup"),
        ("keypair_from_seed",),
        ("tag", b"ferry.duress.v1"),
        ("tag", b"ferry.decoy.v1"),
    )
    assert work == dict.fromkeys(codes, expected)
    assert requester.CODE_DIGITS == 24


def test_the_count_sees_a_branch_that_skips_the_derivation(
    hotline: dict[str, Any], crypto_work: list[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: an unknown locator answered without the dummy derivation shows up."""
    monkeypatch.setattr(requester, "dummy_open", lambda **_kwargs: None)
    assert _work_of("1" * 24, crypto_work) == ()
