"""The authenticator app: enrolling it, and checking its one-time codes with an answer that says what to do.

django-otp refuses a code for a time step at or before the last one accepted (so a code seen over a
shoulder cannot be used again), and after a wrong code refuses every code for a moment that doubles with
each wrong one. Both refusals used to read "That code did not work", so a person who typed the right code
at the wrong moment was told it was wrong. They are told apart here, without weakening either rule: a
refused replay is still refused (and counted as a failure), and during the pause no code is checked at
all, so the answer says nothing about the code typed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ferry.accounts.models import Staff
from ferry.audit.services import audit_record


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    USED = "used"  # right, but for a time step already used
    TOO_SOON = "too_soon"  # not checked: a wrong code was typed moments ago


@dataclass(frozen=True)
class CodeAnswer:
    check: CodeCheck
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.check == CodeCheck.OK

    def refusal(self) -> str:
        """What the person is told (translated); empty when the code was accepted."""
        if self.check == CodeCheck.USED:
            return _("This code was just used. Wait for the next one (about 30 seconds) and type that.")
        if self.check == CodeCheck.TOO_SOON:
            return ngettext(
                "Too soon after a code that did not work. Wait %(n)d second, then type the code your app shows.",
                "Too soon after a code that did not work. Wait %(n)d seconds, then type the code your app shows.",
                self.wait_seconds,
            ) % {"n": self.wait_seconds}
        if self.check == CodeCheck.WRONG:
            return _("That code did not work. Check your authenticator app and try again.")
        return ""


def _digits(code: str) -> str:
    return code.strip().replace(" ", "")


def _already_used(device: TOTPDevice, code: str) -> bool:
    """The code is the right one for a time step within the accepted window that was already used."""
    try:
        token = int(code)
    except ValueError:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    for offset in range(-device.tolerance, device.tolerance + 1):
        totp.drift = device.drift + offset
        if totp.t() <= device.last_t and totp.token() == token:
            return True
    return False


def _check(device: TOTPDevice, code: str) -> CodeAnswer:
    allowed, pause = device.verify_is_allowed()
    if not allowed:
        until = (pause or {}).get("locked_until")
        wait = max(1, int((until - timezone.now()).total_seconds() + 0.999)) if until else 1
        return CodeAnswer(CodeCheck.TOO_SOON, wait_seconds=wait)
    if device.verify_token(_digits(code)):
        return CodeAnswer(CodeCheck.OK)
    return CodeAnswer(CodeCheck.USED if _already_used(device, _digits(code)) else CodeCheck.WRONG)


def totp_check(*, staff: Staff, code: str) -> CodeAnswer:
    """A code typed at sign-in, against the account's confirmed authenticator."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    if device is None:
        return CodeAnswer(CodeCheck.WRONG)
    return _check(device, code)


def totp_device_for_enrolment(staff: Staff) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (created on first call)."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name="totp", confirmed=False)
    return device


def totp_confirm(*, staff: Staff, code: str) -> CodeAnswer:
    """The first code from the app being enrolled: once it is right, this device replaces any earlier one."""
    device = totp_device_for_enrolment(staff)
    answer = _check(device, code)
    if not answer.ok:
        return answer
    TOTPDevice.objects.filter(user=staff, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action="staff.totp_enrol", actor_id=staff.pk, object_type="staff", object_id=staff.pk)
    return answer
