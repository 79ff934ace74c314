"""Passphrase rules: at least 12 characters and a zxcvbn score of 3 or more."""

from __future__ import annotations

from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3


def check_passphrase(passphrase: str, *, user_inputs: list[str]) -> list[str]:
    """Problems with the passphrase, in the current language; empty when it is strong enough."""
    problems = []
    if len(passphrase) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.") % {"n": MIN_LENGTH})
    # zxcvbn slows down on very long inputs and learns nothing more from them.
    if zxcvbn(passphrase[:100], user_inputs=user_inputs)["score"] < MIN_SCORE:
        problems.append(_("This passphrase is too easy to guess. Try four or five unrelated words."))
    return problems
