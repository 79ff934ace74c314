"""Cases: retention (being built)."""

from __future__ import annotations


def shred_due() -> int:
    """Crypto-shred closed cases past the retention period; returns how many."""
    return 0
