"""The audit log: append-only at the database, and audit_verify catches edits, insertions and deletions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ferry.audit.chain import entry_hash
from ferry.audit.models import AuditEntry, AuditHead
from ferry.audit.services import AuditFieldInvalid, audit_head_sign, audit_head_text, audit_record, audit_verify
from ferry.vault import anchor

pytestmark = pytest.mark.django_db(transaction=True)


def _drop_triggers() -> None:
    """What an attacker with the database in hand can do: remove the engine-level protection."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_entry_no_change ON audit_auditentry")
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")


def _restore_triggers() -> None:
    import importlib

    migration = importlib.import_module("ferry.audit.migrations.0002_append_only")
    with connection.cursor() as cursor:
        statements = migration.POSTGRES_UP if connection.vendor == "postgresql" else migration.SQLITE_UP
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def chain() -> list[AuditEntry]:
    return [audit_record(action="test.event", actor_id=7, object_type="staff", object_id=n) for n in range(5)]


@pytest.fixture
def tampering(chain: list[AuditEntry]):
    _drop_triggers()
    yield chain
    _restore_triggers()


def test_intact_chain_verifies(chain: list[AuditEntry]) -> None:
    verdict = audit_verify()
    assert verdict.ok
    assert verdict.count == 5
    assert verdict.head_seq == 5
    call_command("audit_verify")


def test_database_rejects_update_and_delete(chain: list[AuditEntry]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=2).update(action="test.other")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=2).delete()
    assert audit_verify().ok


def test_edited_entry_is_named(tampering: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=3).update(object_id="99")
    verdict = audit_verify()
    assert not verdict.ok
    assert verdict.first_bad_seq == 3
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit_verify")


def test_edit_with_recomputed_hash_breaks_the_next_link(tampering: list[AuditEntry]) -> None:
    entry = AuditEntry.objects.get(seq=2)
    fields = {f: getattr(entry, f) for f in ("seq", "at", "actor_id", "action", "object_type", "prev_hash")}
    fields["object_id"] = "42"
    AuditEntry.objects.filter(seq=2).update(object_id="42", entry_hash=entry_hash(**fields))
    verdict = audit_verify()
    assert not verdict.ok
    assert verdict.first_bad_seq == 3


def test_deleted_entry_is_named(tampering: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=2).delete()
    verdict = audit_verify()
    assert not verdict.ok
    assert verdict.first_bad_seq == 3
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit_verify")


def test_inserted_entry_is_named(tampering: list[AuditEntry]) -> None:
    # Make room by shifting the later entries, as a forger would, then insert a well-formed entry at 3.
    for seq in (5, 4, 3):
        AuditEntry.objects.filter(seq=seq).update(seq=seq + 1)
    prev = AuditEntry.objects.get(seq=2)
    forged = {
        "seq": 3,
        "at": prev.at,
        "actor_id": 1,
        "action": "test.forged",
        "object_type": "staff",
        "object_id": "1",
        "prev_hash": prev.entry_hash,
    }
    AuditEntry.objects.create(**forged, entry_hash=entry_hash(**forged))
    verdict = audit_verify()
    assert not verdict.ok
    assert verdict.first_bad_seq == 4
    with pytest.raises(CommandError, match="entry 4"):
        call_command("audit_verify")


def test_entries_cut_from_the_end_need_the_recorded_head(tampering: list[AuditEntry]) -> None:
    head = audit_verify()
    AuditEntry.objects.filter(seq__gte=4).delete()
    assert audit_verify().ok  # a chain cut at the end is self-consistent...
    with pytest.raises(CommandError, match="entry 5"):  # ...which the head kept elsewhere reveals
        call_command("audit_verify", expect_head=(head.head_seq, head.head_hash))


def test_free_text_never_reaches_the_log() -> None:
    with pytest.raises(AuditFieldInvalid):
        audit_record(action="Ivan Petrov opened the case")
    with pytest.raises(AuditFieldInvalid):
        audit_record(action="case.open", object_id="ivan@example.org")
    assert AuditEntry.objects.count() == 0


def _rewrite_without(actions: set[str]) -> None:
    """What someone who can write the database does: delete some entries and re-hash the rest into a chain
    that verifies on its own."""
    kept = [e for e in AuditEntry.objects.order_by("seq") if e.action not in actions]
    AuditEntry.objects.all().delete()
    prev = "0" * 64
    for seq, old in enumerate(kept, start=1):
        fields = {
            "seq": seq,
            "at": old.at,
            "actor_id": old.actor_id,
            "action": old.action,
            "object_type": old.object_type,
            "object_id": old.object_id,
            "prev_hash": prev,
        }
        prev = entry_hash(**fields)
        AuditEntry.objects.create(**fields, entry_hash=prev)


def test_a_rewritten_history_is_caught_by_the_signed_head(chain: list[AuditEntry]) -> None:
    # Given a duress login and a case view in the log, and the head signed (as the worker does every day)
    audit_record(action="staff.duress", object_type="staff", object_id=3)
    audit_record(action="case.view", actor_id=3, object_type="case", object_id="ab12")
    head = audit_head_sign()
    exported = audit_head_text(head).split()[0]  # what an administrator printed: "SEQ:HASH"
    assert audit_verify().ok
    _drop_triggers()
    try:
        # When both are deleted and the rest re-hashed, and every signed head row deleted too
        _rewrite_without({"staff.duress", "case.view", "audit.head_sign"})
        AuditHead.objects.all().delete()
        # Then the head kept in the data folder (outside the database) is missing from their chain
        assert audit_verify().problem == "a signed head is missing: history was rewritten"
        # And with the data folder too, but not the key: a head over their chain is not genuine
        kept_file = Path(settings.DATA_DIR) / anchor.HEAD_FILE
        kept_file.unlink()
        rewritten = audit_verify()
        assert rewritten.ok, "a self-consistent rewrite; only something kept outside catches it"
        AuditHead.objects.create(
            seq=rewritten.head_seq,
            entry_hash=rewritten.head_hash,
            at=head.at,
            signature=head.signature,
            public_key=head.public_key,
        )
        assert "not genuine" in audit_verify().problem
        # ...and even with the key (the disk taken too), the head printed earlier is not in their chain
        AuditHead.objects.all().delete()
        audit_head_sign()
        assert audit_verify().ok
        seq, digest = exported.split(":")
        with pytest.raises(CommandError, match="recorded head is missing"):
            call_command("audit_verify", expect_head=(int(seq), digest))
    finally:
        _restore_triggers()


def test_verifying_never_replaces_a_missing_signing_key(chain: list[AuditEntry]) -> None:
    """Heads on record and no key file (restored without it): verification says so and makes no new key."""
    audit_head_sign()
    key_file = Path(settings.DATA_DIR) / anchor.KEY_FILE
    saved = key_file.read_bytes()
    key_file.unlink()
    try:
        assert audit_verify().problem == "the key that signed the heads is missing"
        assert not key_file.exists()
    finally:
        key_file.write_bytes(saved)


def test_the_original_signed_head_catches_the_rewrite(chain: list[AuditEntry]) -> None:
    """The signed head row left in place no longer matches the rewritten chain."""
    audit_record(action="staff.duress", object_type="staff", object_id=3)
    audit_head_sign()
    _drop_triggers()
    try:
        _rewrite_without({"staff.duress"})
        verdict = audit_verify()
        assert not verdict.ok
        assert verdict.problem == "a signed head is missing: history was rewritten"
        with pytest.raises(CommandError, match="history was rewritten"):
            call_command("audit_verify")
    finally:
        _restore_triggers()
