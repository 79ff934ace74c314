"""What a stopwatch sees of the branches a guesser must not tell apart: receipt codes and the first login step.

The tests prove that every branch runs the same key derivations at the same cost (tests/conftest.py
`crypto_work`), which holds however busy the machine is; this is the wall-clock side of it, at the
production cost (FERRY_KDF_PROFILE "moderate" for staff, the "requester" profile for receipt codes).
Receipt codes: ferry.intake.mailbox.mailbox_open with the right code, a wrong one (same locator, other
secret digits), one whose locator finds no mailbox, and the duress code. Logins: POST of the login page's
first step with the real passphrase, the duress one, a wrong one, and an unknown account.
The branches take turns, round after round, so a change of load during the run hits all of them alike;
throttles are reset between attempts (untimed), and the grants a duress login destroys are given back.
A duress login sends no e-mail itself (the worker mails its alerts later), so no mail server's time is in
a login, here or in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from bench.figures import Figure
from bench.samples import interleaved, median, spread_figure

NAME = "timing"

PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
DURESS = "plum orchard velvet staircase 88"
WRONG = "an entirely wrong passphrase"
CODE_ROUNDS = 31  # about 35 ms each
LOGIN_ROUNDS = 15  # about 1 s each (two derivations at the moderate cost)
WARM_UP_ROUNDS = 1
GRANTS_HELD = 50  # a caseworker's caseload, so a duress login has grants to destroy, as in real use

# What a guesser can compare: right, wrong and unknown codes; each login branch against the real one.
MAX_CODE_RATIO = 1.25
# The duress code also writes a check-in and alerts; whoever types it has no real code to compare it with.
MAX_DURESS_CODE_RATIO = 1.6
MAX_LOGIN_RATIO = 1.25


def log(message: str) -> None:
    print(f"bench timing: {message}", flush=True)


def production_cost() -> None:
    """Production key-derivation cost, whatever the shell said; lookups and submissions never turned away;
    the alert e-mails of duress kept in memory (no mail server here, and no addresses printed)."""
    from django.conf import settings

    settings.FERRY_KDF_PROFILE = "moderate"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.FERRY_INTAKE_LOOKUPS_PER_MINUTE = 1_000_000
    settings.FERRY_INTAKE_HOURLY_CAP = 0


def cost_check(kdf: dict[str, Any], profile: str, what: str) -> None:
    """Refuse to report figures measured at another cost than the one production uses."""
    from ferry.vault.crypto import KDF_PROFILES

    if (kdf.get("opslimit"), kdf.get("memlimit")) != KDF_PROFILES[profile]:
        raise RuntimeError(f"{what} was derived with {kdf.get('opslimit')}/{kdf.get('memlimit')}, not {profile!r}")


def staff_setup() -> Any:
    """The first administrator (the escrow key), a coordinator (every request is sealed to one) and the
    caseworker whose logins are timed, with a duress passphrase; returns the caseworker."""
    from ferry.accounts.services import duress_set, staff_create_active
    from ferry.vault.models import StaffKey

    staff_create_active(email="bench-admin@example.org", roles=["administrator"], passphrase=PASSPHRASE)
    staff_create_active(email="bench-coordinator@example.org", roles=["coordinator"], passphrase=PASSPHRASE)
    member = staff_create_active(email="bench-caseworker@example.org", roles=["caseworker"], passphrase=PASSPHRASE)
    duress_set(staff=member.staff, current=PASSPHRASE, duress=DURESS)
    key = StaffKey.objects.get(staff=member.staff)
    cost_check(key.passphrase_kdf, "moderate", "the staff key")
    cost_check(key.duress_kdf or {}, "moderate", "the duress check")
    return member.staff


# --- receipt codes ----------------------------------------------------------------------------------------


def codes_make() -> dict[str, str]:
    """A stored mailbox with a duress code; its right, wrong, unknown-locator and duress codes (digits only)."""
    from ferry.intake import submission
    from ferry.intake.models import Mailbox

    empty = dict.fromkeys(("name", "phone", "handle", "email", "country", "region", "place", "needs"), "")
    receipt = submission.submission_create(
        data=submission.Submission(**empty, story="A request made by the timing benchmark.", urgency="now"),
        uploads=[],
        want_duress=True,
        nonce=secrets.token_hex(16),
    )
    if receipt.duress_code is None:
        raise RuntimeError("the mailbox was made without a duress code")
    right, duress = receipt.code.replace(" ", ""), receipt.duress_code.replace(" ", "")
    locator = right[:6]
    mailbox = Mailbox.objects.get(locator=locator)
    cost_check(mailbox.kdf, "requester", "the receipt code")
    taken = set(Mailbox.objects.values_list("locator", flat=True))
    unknown_locator = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)
    wrong = locator + ("1" if right[6] != "1" else "2") + right[7:]
    return {"right": right, "wrong": wrong, "unknown": unknown_locator + right[6:], "duress": duress}


def code_attempt(code: str, expected: str) -> Callable[[], None]:
    """One mailbox_open; raises RuntimeError when the answer is not the branch's (never times a refusal)."""
    from ferry.intake import errors, mailbox

    def attempt() -> None:
        try:
            access = mailbox.mailbox_open(code)
        except errors.Busy as exc:
            raise RuntimeError(f"a {expected} code was turned away as busy") from exc
        except errors.IntakeError:
            outcome = "wrong"
        else:
            outcome = "duress" if access.duress else "right"
        if outcome != ("wrong" if expected == "unknown" else expected):
            raise RuntimeError(f"a {expected} code was answered as {outcome}")

    return attempt


def codes_measure() -> dict[str, list[float]]:
    from ferry.intake.models import LookupThrottle

    codes = codes_make()
    attempts = {branch: code_attempt(code, branch) for branch, code in codes.items()}

    def before(_branch: str) -> None:
        LookupThrottle.objects.all().delete()  # wrong tries must not back off the locator

    interleaved(attempts, WARM_UP_ROUNDS, before=before)
    return interleaved(attempts, CODE_ROUNDS, before=before)


# --- logins -----------------------------------------------------------------------------------------------


class Caseload:
    """GRANTS_HELD key sets granted to the caseworker, given back after a duress login destroys them."""

    def __init__(self, staff_id: int) -> None:
        from ferry.vault.keysets import keyset_create

        self.staff_id = staff_id
        self.key_sets = [keyset_create(purpose="case", grant_to=[staff_id]) for _ in range(GRANTS_HELD)]

    def restore(self) -> None:
        from django.db import transaction

        from ferry.vault.keysets import keyset_grant_with_key
        from ferry.vault.models import Grant
        from ferry.vault.staffkeys import staff_key_resume

        held = set(Grant.objects.filter(staff_id=self.staff_id).values_list("key_set_id", flat=True))
        with transaction.atomic():
            # A duress login paused sealing to the key; administrators would confirm the person again.
            staff_key_resume(staff_id=self.staff_id)
            for key_set, key in self.key_sets:
                if key_set.pk not in held:
                    keyset_grant_with_key(key_set=key_set, key=key, staff_id=self.staff_id)


def login_attempt(email: str, passphrase: str, branch: str) -> Callable[[], None]:
    """The login page's first step as a browser posts it; raises RuntimeError on an unexpected answer."""
    from django.test import Client
    from django.urls import reverse

    path, next_step = reverse("accounts:login"), reverse("accounts:login_code")
    accepted = branch in ("real", "duress")

    def attempt() -> None:
        response = Client(HTTP_HOST="127.0.0.1").post(path, {"email": email, "passphrase": passphrase})
        went_on = response.status_code == 302 and response["Location"] == next_step
        if went_on != accepted or (not accepted and response.status_code != 200):
            raise RuntimeError(f"login, {branch}: HTTP {response.status_code}")

    return attempt


def logins_measure(staff: Any) -> dict[str, list[float]]:
    from ferry.accounts.models import LoginThrottle

    caseload = Caseload(staff.pk)
    attempts = {
        "real": login_attempt(staff.email, PASSPHRASE, "real"),
        "duress": login_attempt(staff.email, DURESS, "duress"),
        "wrong": login_attempt(staff.email, WRONG, "wrong"),
        "unknown": login_attempt("nobody-here@example.org", PASSPHRASE, "unknown"),
    }

    def before(_branch: str) -> None:
        LoginThrottle.objects.all().delete()  # no lockout after the wrong tries
        caseload.restore()

    interleaved(attempts, WARM_UP_ROUNDS, before=before)
    return interleaved(attempts, LOGIN_ROUNDS, before=before)


# --- figures ----------------------------------------------------------------------------------------------


def slower_over_faster(a: list[float], b: list[float]) -> float:
    ma, mb = median(a), median(b)
    return max(ma, mb) / min(ma, mb)


def run() -> list[Figure]:
    production_cost()
    staff = staff_setup()
    log(f"receipt codes: {CODE_ROUNDS} rounds of right, wrong, unknown, duress (taking turns)")
    codes = codes_measure()
    log(f"logins: {LOGIN_ROUNDS} rounds of real, duress, wrong, unknown (taking turns)")
    logins = logins_measure(staff)

    guessable = [median(codes[b]) for b in ("right", "wrong", "unknown")]
    code_ratio = max(guessable) / min(guessable)
    duress_ratio = median(codes["duress"]) / median(codes["right"])
    figures = [
        Figure(f"receipt code, {b}: median of {CODE_ROUNDS}", 1000 * median(s), "ms", "", True)
        for b, s in codes.items()
    ]
    figures += [
        Figure(
            "receipt codes right / wrong / unknown: slowest / fastest median",
            code_ratio,
            "x",
            f"<= {MAX_CODE_RATIO}",
            code_ratio <= MAX_CODE_RATIO,
        ),
        Figure(
            "receipt code duress / right (medians)",
            duress_ratio,
            "x",
            f"<= {MAX_DURESS_CODE_RATIO}",
            duress_ratio <= MAX_DURESS_CODE_RATIO,
        ),
    ]
    figures += [spread_figure(f"receipt code, {b}", s) for b, s in codes.items()]
    figures += [
        Figure(f"login first step, {b}: median of {LOGIN_ROUNDS}", 1000 * median(s), "ms", "", True)
        for b, s in logins.items()
    ]
    for branch in ("duress", "wrong", "unknown"):
        ratio = slower_over_faster(logins[branch], logins["real"])
        figures.append(
            Figure(
                f"login {branch} vs real: slower / faster median",
                ratio,
                "x",
                f"<= {MAX_LOGIN_RATIO}",
                ratio <= MAX_LOGIN_RATIO,
            )
        )
    figures += [spread_figure(f"login first step, {b}", s) for b, s in logins.items()]
    return figures
