"""Vault costs: Argon2id unlock, opening 1,000 case envelopes, and a 200-row page decrypted versus plain."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.figures import Figure
from bench.generator import Generator
from bench.samples import interleaved, median, spread_figure

NAME = "vault"

PASSPHRASE = "violet harbour compass lantern 1917"  # noqa: S105 - throwaway accounts in a throwaway database
UNLOCK_RUNS = 5
ENVELOPES = 1000
ENVELOPE_BYTES = 2048
OPEN_RUNS = 9  # crypto only and with grant lookup, taking turns
PAGE_ROWS = 200
SUMMARY_CHARS = 200
RENDER_RUNS = 30  # the three pages taking turns

UNLOCK_RANGE = (0.3, 1.0)  # seconds: slow enough to hurt guessing, quick enough for a login
MAX_CRYPTO_MS = 100.0  # a whole caseload of 1,000 opens in a tenth of a second on one core
MAX_RING_MS = 150.0  # the same through the key ring: all grants in one query, then the same opens
MAX_PAGE_RATIO = 1.3  # encryption may cost a list page at most 30 % over the same page in clear

PAGE = """<table class="cases">
<thead><tr><th>Reference</th><th>Stage</th><th>Title</th><th>Summary</th></tr></thead>
<tbody>{% for row in rows %}
<tr><td><a href="/staff/cases/{{ row.reference }}/">{{ row.reference }}</a></td><td>{{ row.stage }}</td>
<td>{{ row.title }}</td><td>{{ row.summary|truncatechars:200 }}</td></tr>{% empty %}
<tr><td colspan="4">No cases.</td></tr>{% endfor %}
</tbody></table>"""


@dataclass(frozen=True)
class Envelope:
    key_set: Any  # ferry.vault.models.KeySet
    blob: bytes
    context: tuple[str, str, str]


def staff_setup() -> int:
    """The first administrator (which creates the escrow key), then the caseworker whose keys are measured."""
    from ferry.accounts.services import staff_create_active

    staff_create_active(email="bench-admin@example.org", roles=["administrator"], passphrase=PASSPHRASE)
    created = staff_create_active(email="bench-caseworker@example.org", roles=["caseworker"], passphrase=PASSPHRASE)
    return int(created.staff.pk)


def padded(text: str, size: int) -> str:
    while len(text) < size:
        text = f"{text} {text}"
    return text[:size]


def envelopes_create(staff_id: int, generator: Generator) -> tuple[list[Envelope], list[bytes]]:
    """ENVELOPES key sets granted to the caseworker, each with one 2 KiB sealed narrative; returns the keys too."""
    from django.db import transaction

    from ferry.vault import crypto
    from ferry.vault.keysets import keyset_create

    texts = [padded(generator.narrative("ru_RU", 6), 1100).encode()[:ENVELOPE_BYTES] for _ in range(50)]
    envelopes, keys = [], []
    with transaction.atomic():
        for i in range(ENVELOPES):
            key_set, key = keyset_create(purpose="case", grant_to=[staff_id])
            context = ("case", str(i), "narrative")
            plaintext = texts[i % len(texts)].ljust(ENVELOPE_BYTES)
            envelopes.append(Envelope(key_set, crypto.seal(key, plaintext, context), context))
            keys.append(key)
    return envelopes, keys


def open_crypto_only(private: bytes, envelopes: list[Envelope], grants: dict[int, bytes]) -> None:
    from ferry.vault import crypto

    for envelope in envelopes:
        key = crypto.unseal_from(private, grants[envelope.key_set.pk])
        crypto.unseal(key, envelope.blob, envelope.context)


def open_with_ring(staff_id: int, private: bytes, envelopes: list[Envelope]) -> None:
    from ferry.vault import crypto
    from ferry.vault.keyring import KeyRing

    ring = KeyRing(staff_id=staff_id, private_key=private)
    keys = ring.keys_for(envelope.key_set for envelope in envelopes)
    for envelope in envelopes:
        crypto.unseal(keys[envelope.key_set.pk], envelope.blob, envelope.context)


def page_tables_create(envelopes: list[Envelope], keys: list[bytes], generator: Generator) -> None:
    """The same PAGE_ROWS rows twice: sealed under their key sets' keys, and in clear."""
    from django.db import connection, transaction

    from ferry.vault import crypto

    blob = "bytea" if connection.vendor == "postgresql" else "blob"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain (id integer PRIMARY KEY, reference varchar(7), stage varchar(20), "
            "title text, summary text)"
        )
        # The fields a list shows sit together in one envelope per case (its "card"), as case models will.
        cursor.execute(
            "CREATE TABLE bench_sealed (id integer PRIMARY KEY, key_set_id integer, reference varchar(7), "
            f"stage varchar(20), card {blob})"
        )
        for i, story in enumerate(generator.cases(PAGE_ROWS)):
            summary = padded(story.summary, SUMMARY_CHARS)
            cursor.execute(
                "INSERT INTO bench_plain VALUES (%s, %s, %s, %s, %s)",
                [i, story.reference, story.stage, story.title, summary],
            )
            key, key_set = keys[i], envelopes[i].key_set
            card = json.dumps({"title": story.title, "summary": summary}, ensure_ascii=False)
            card_blob = crypto.seal_str(key, card, ("bench_case", str(i), "card"))
            cursor.execute(
                "INSERT INTO bench_sealed VALUES (%s, %s, %s, %s, %s)",
                [i, key_set.pk, story.reference, story.stage, card_blob],
            )


def render_plain(template: Any, request_ring: Callable[[], object] | None = None) -> str:
    from django.db import connection

    if request_ring is not None:
        request_ring()  # every signed-in page unwraps its session's key, encrypted content or not

    with connection.cursor() as cursor:
        cursor.execute("SELECT reference, stage, title, summary FROM bench_plain ORDER BY id")
        rows = [{"reference": r, "stage": s, "title": t, "summary": m} for r, s, t, m in cursor.fetchall()]
    return str(template.render({"rows": rows}))


def keys_via_ring(staff_id: int, private: bytes, refs: list[tuple[int, int]]) -> dict[int, bytes]:
    """A ring without a session: every grant fetched in one query and opened with X25519."""
    from ferry.vault.keyring import KeyRing

    ring = KeyRing(staff_id=staff_id, private_key=private)
    return ring.keys_for_refs(refs)


def keys_via_session(client_keys: dict[str, str]) -> KeysFor:
    """As a signed-in request does: the session's ring (unwrapped from the cookie's key), keys from its cache."""

    def keys_for(staff_id: int, private: bytes, refs: list[tuple[int, int]]) -> dict[int, bytes]:
        from ferry.accounts.sessions import staff_session_ring

        session_id, client_key = next(iter(client_keys.items()))
        _row, ring = staff_session_ring(session_id=session_id, client_key=client_key)
        return ring.keys_for_refs(refs)

    return keys_for


KeysFor = Callable[[int, bytes, list[tuple[int, int]]], dict[int, bytes]]


def render_sealed(template: Any, staff_id: int, private: bytes, keys_for: KeysFor) -> str:
    """Like render_plain, opening each row's key set and its sealed card. The rows' query reads each key set's
    generation with them (as a list page's select_related does), so the keys open in one batch."""
    from django.db import connection

    from ferry.vault import crypto

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.key_set_id, k.generation, s.reference, s.stage, s.card FROM bench_sealed s"
            " JOIN vault_keyset k ON k.id = s.key_set_id WHERE k.shredded_at IS NULL ORDER BY s.id"
        )
        fetched = cursor.fetchall()
    keys = keys_for(staff_id, private, [(row[1], row[2]) for row in fetched])
    rows = []
    for pk, key_set_id, _generation, reference, stage, card in fetched:
        opened = json.loads(crypto.unseal_str(keys[key_set_id], bytes(card), ("bench_case", str(pk), "card")))
        rows.append({"reference": reference, "stage": stage, "title": opened["title"], "summary": opened["summary"]})
    return str(template.render({"rows": rows}))


def page_samples(staff_id: int, private: bytes) -> dict[str, list[float]]:
    """Render times (signed-in session, ring without session, plain), taking turns so drift hits all alike."""
    from django.template import engines

    from ferry.accounts.models import Staff
    from ferry.accounts.sessions import staff_session_start

    unlocked = staff_session_start(staff=Staff.objects.get(pk=staff_id), private_key=private)
    session = {unlocked.session.pk: unlocked.client_key}

    def request_ring() -> object:
        from ferry.accounts.sessions import staff_session_ring

        return staff_session_ring(session_id=unlocked.session.pk, client_key=unlocked.client_key)

    template = engines["django"].from_string(PAGE)
    renders = {
        "in session": lambda: render_sealed(template, staff_id, private, keys_via_session(session)),
        "no session": lambda: render_sealed(template, staff_id, private, keys_via_ring),
        "plain": lambda: render_plain(template, request_ring),
    }
    if len({render() for render in renders.values()}) != 1:  # also warms the session's key cache, as a first visit does
        raise RuntimeError("the decrypted pages differ from the plain one")
    return interleaved(renders, RENDER_RUNS)


def run() -> list[Figure]:
    from ferry.vault.models import Grant
    from ferry.vault.staffkeys import kdf_profile, staff_key_unlock

    generator = Generator(seed=2017)
    staff_id = staff_setup()
    unlocks = interleaved({"unlock": lambda: staff_key_unlock(staff_id=staff_id, passphrase=PASSPHRASE)}, UNLOCK_RUNS)
    unlock = median(unlocks["unlock"])
    private = staff_key_unlock(staff_id=staff_id, passphrase=PASSPHRASE)

    envelopes, keys = envelopes_create(staff_id, generator)
    grants = {
        key_set_id: bytes(sealed)
        for key_set_id, sealed in Grant.objects.filter(staff_id=staff_id).values_list("key_set_id", "sealed_key")
    }
    opens = {
        "crypto": lambda: open_crypto_only(private, envelopes, grants),
        "ring": lambda: open_with_ring(staff_id, private, envelopes),
    }
    interleaved(opens, 1)  # warm-up
    opened_s = interleaved(opens, OPEN_RUNS)
    crypto_ms, ring_ms = 1000 * median(opened_s["crypto"]), 1000 * median(opened_s["ring"])

    page_tables_create(envelopes, keys, generator)
    pages = page_samples(staff_id, private)
    sealed_s, no_session_s, plain_s = (median(pages[k]) for k in ("in session", "no session", "plain"))
    ratio = sealed_s / plain_s
    round_ratios = [a / b for a, b in zip(pages["in session"], pages["plain"], strict=True)]

    low, high = UNLOCK_RANGE
    opened = f"open {ENVELOPES} x {ENVELOPE_BYTES // 1024} KiB envelopes"
    page = f"{PAGE_ROWS}-row page"
    return [
        Figure(
            f"Argon2id unlock ({kdf_profile()}, median of {UNLOCK_RUNS})",
            unlock,
            "s",
            f"{low}-{high} s",
            low <= unlock <= high,
        ),
        spread_figure("Argon2id unlock", unlocks["unlock"]),
        Figure(f"{opened}, crypto only", crypto_ms, "ms", f"< {MAX_CRYPTO_MS:.0f} ms", crypto_ms < MAX_CRYPTO_MS),
        Figure(f"{opened}, with grant lookup", ring_ms, "ms", f"< {MAX_RING_MS:.0f} ms", ring_ms < MAX_RING_MS),
        spread_figure(f"{opened}, crypto only", opened_s["crypto"]),
        spread_figure(f"{opened}, with grant lookup", opened_s["ring"]),
        Figure(f"{page} decrypted in a signed-in session (median of {RENDER_RUNS})", 1000 * sealed_s, "ms", "", True),
        Figure(f"{page} decrypted, first visit (X25519 per grant)", 1000 * no_session_s, "ms", "", True),
        Figure(f"{page} in clear (median of {RENDER_RUNS})", 1000 * plain_s, "ms", "", True),
        Figure(f"{page} decrypted / in clear", ratio, "x", f"<= {MAX_PAGE_RATIO}", ratio <= MAX_PAGE_RATIO),
        spread_figure(f"{page} decrypted in a signed-in session", pages["in session"]),
        spread_figure(f"{page} decrypted, first visit", pages["no session"]),
        spread_figure(f"{page} in clear", pages["plain"]),
        spread_figure(f"{page} decrypted / in clear, per round", round_ratios),
    ]
