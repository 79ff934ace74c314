"""An optional puzzle that lets a browser with JavaScript jump the queue while a flood is on (issue 14).

No proof of work can be asked of a page without JavaScript, and the intake must work without it; so the
puzzle only ranks. While this hour's submissions are past the hourly cap, the form carries a small script
(static/ferry/puzzle.js) that looks for a number n such that SHA-256(form token ":" n) starts with
FERRY_INTAKE_PUZZLE_BITS zero bits, and sends it with the form. A request whose sender solved it is not marked
as overflow, so it stays among the regular requests at the top of the hotline's queue; a request without it
is kept all the same (nobody is refused for volume). The form token is signed and used once, so a solution
cannot be reused for another request, and a flooding script pays the same work for each junk request.

The onion service's own proof of work (docs/operations.md) is the defence that needs no script at all."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils import timezone

from ferry.intake import limits

MAX_SOLUTION_LENGTH = 20


def bits() -> int:
    return int(settings.FERRY_INTAKE_PUZZLE_BITS)


def flood_on() -> bool:
    """This hour's submissions have reached the cap: the form offers the puzzle."""
    cap = int(settings.FERRY_INTAKE_HOURLY_CAP)
    return cap > 0 and bits() > 0 and limits.window_count("submit", timezone.now()) >= cap


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def solved(token: str, solution: str) -> bool:
    """The solution answers this form's token with enough zero bits (the token itself is checked elsewhere)."""
    wanted = bits()
    if wanted <= 0 or not token or not solution.isdigit() or len(solution) > MAX_SOLUTION_LENGTH:
        return False
    digest = hashlib.sha256(f"{token}:{solution}".encode()).digest()
    return leading_zero_bits(digest) >= wanted
