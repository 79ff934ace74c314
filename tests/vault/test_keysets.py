"""Key sets through the real services: grant, revoke with re-key, shred, files, escrow custody and ceremony."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from ferry.vault import crypto, escrow, files, keysets
from ferry.vault.errors import BadFormat, BadShare, DecryptionFailed, NotEnoughShares
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.keysets import NoStaffKey
from ferry.vault.models import EscrowKey, FileKey, Grant, KeySet
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org(make_staff: Any) -> dict[str, Any]:
    admin = make_staff("administrator")
    alice = make_staff("caseworker")
    bob = make_staff("caseworker")
    return {
        "admin": admin,
        "alice": alice,
        "bob": bob,
        "ring": {
            n: KeyRing(staff_id=s.staff.pk, private_key=s.private_key) for n, s in locals().items() if n != "make_staff"
        },
    }


def _note(key_set: KeySet, key: bytes, title: str, body: str) -> Note:
    note = Note(key_set=key_set)
    keysets.seal_field(key, note, "title", title)
    keysets.seal_field(key, note, "body", body)
    note.save()
    return note


def _read(ring: KeyRing, note: Note) -> tuple[str | None, str | None]:
    note.refresh_from_db()
    key_set = KeySet.objects.get(pk=note.key_set_id)
    key = ring.key_for(key_set)
    return keysets.open_field(key, note, "title"), keysets.open_field(key, note, "body")


def test_only_granted_staff_open_and_only_they_can_grant(org: dict[str, Any]) -> None:
    rings = org["ring"]
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk])
    note = _note(key_set, key, "Title", "Body")
    assert _read(rings["alice"], note) == ("Title", "Body")
    # Denied before...
    with pytest.raises(NoGrant):
        _read(rings["bob"], note)
    with pytest.raises(NoGrant):
        keysets.keyset_grant(key_set=key_set, ring=rings["bob"], staff_id=org["bob"].staff.pk)
    # ...allowed after a holder grants it.
    keysets.keyset_grant(key_set=key_set, ring=rings["alice"], staff_id=org["bob"].staff.pk)
    assert _read(KeyRing(staff_id=org["bob"].staff.pk, private_key=org["bob"].private_key), note) == ("Title", "Body")
    assert Grant.objects.filter(key_set=key_set, escrow__isnull=False).count() == 1


def test_grant_to_staff_without_key_is_refused(org: dict[str, Any]) -> None:
    from ferry.accounts.models import Staff

    keyless = Staff.objects.create(email="keyless@example.org")
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk])
    with pytest.raises(NoStaffKey):
        keysets.keyset_grant(key_set=key_set, ring=org["ring"]["alice"], staff_id=keyless.pk)
    assert not Grant.objects.filter(staff=keyless).exists()


def test_tampered_or_moved_ciphertext_is_refused(org: dict[str, Any]) -> None:
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk])
    first = _note(key_set, key, "one", "two")
    second = _note(key_set, key, "three", "four")
    # A ciphertext copied onto another record (or another field) does not open there.
    Note.objects.filter(pk=second.pk).update(title=first.title)
    with pytest.raises(DecryptionFailed):
        _read(org["ring"]["alice"], second)
    Note.objects.filter(pk=first.pk).update(title=first.body)
    with pytest.raises(DecryptionFailed):
        _read(org["ring"]["alice"], first)


def test_revoke_rekeys_everything_and_the_revoked_cannot_open(org: dict[str, Any]) -> None:
    rings = org["ring"]
    key_set, old_key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk, org["bob"].staff.pk])
    note = _note(key_set, old_key, "Title", "Body")
    file_id = files.file_put(key_set=key_set, ring=rings["alice"], content=b"scan of a passport")
    old_title = bytes(Note.objects.get(pk=note.pk).title)

    keysets.keyset_revoke(key_set=key_set, ring=rings["alice"], staff_id=org["bob"].staff.pk)

    key_set.refresh_from_db()
    assert key_set.generation == 2
    with pytest.raises(NoGrant):
        KeyRing(staff_id=org["bob"].staff.pk, private_key=org["bob"].private_key).key_for(key_set)
    alice = KeyRing(staff_id=org["alice"].staff.pk, private_key=org["alice"].private_key)
    assert _read(alice, note) == ("Title", "Body")
    assert files.file_get(file_id=file_id, ring=alice) == b"scan of a passport"
    # The old key opens nothing any more: every field was re-encrypted and every file key re-wrapped.
    new_title = bytes(Note.objects.get(pk=note.pk).title)
    assert new_title != old_title
    with pytest.raises(DecryptionFailed):
        crypto.unseal(old_key, new_title, keysets.field_context(note, "title"))
    fk = FileKey.objects.get(pk=file_id)
    with pytest.raises(DecryptionFailed):
        crypto.unseal(old_key, bytes(fk.wrapped_key), ("file_key", str(fk.pk), "key"))
    # Escrow still opens the new generation.
    private = escrow.escrow_private_key(ring=rings["admin"])
    escrow.escrow_recover_keyset(key_set=key_set, escrow_private=private, to_staff_id=org["bob"].staff.pk)
    assert _read(KeyRing(staff_id=org["bob"].staff.pk, private_key=org["bob"].private_key), note) == ("Title", "Body")


def test_revoke_interrupted_midway_leaves_everything_under_the_old_key(org: dict[str, Any], monkeypatch: Any) -> None:
    rings = org["ring"]
    key_set, _key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk, org["bob"].staff.pk])
    note = _note(key_set, _key, "Title", "Body")
    files.file_put(key_set=key_set, ring=rings["alice"], content=b"x" * 100)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    # Fields are already re-encrypted when the crash hits the file keys.
    monkeypatch.setattr(FileKey.objects, "bulk_update", crash)
    with pytest.raises(RuntimeError):
        keysets.keyset_revoke(key_set=key_set, ring=rings["alice"], staff_id=org["bob"].staff.pk)
    monkeypatch.undo()

    key_set.refresh_from_db()
    assert key_set.generation == 1
    bob = KeyRing(staff_id=org["bob"].staff.pk, private_key=org["bob"].private_key)
    assert _read(bob, note) == ("Title", "Body")
    assert _read(KeyRing(staff_id=org["alice"].staff.pk, private_key=org["alice"].private_key), note) == (
        "Title",
        "Body",
    )


def test_shred_makes_content_unrecoverable_for_everyone(org: dict[str, Any]) -> None:
    rings = org["ring"]
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk])
    note = _note(key_set, key, "Title", "Body")
    file_id = files.file_put(key_set=key_set, ring=rings["alice"], content=b"evidence")
    stored = files.storage()
    assert stored.exists(files.stored_name(str(file_id)))

    keysets.keyset_shred(key_set=key_set)

    key_set.refresh_from_db()
    assert key_set.shredded_at is not None
    assert not Grant.objects.filter(key_set=key_set).exists()
    with pytest.raises(NoGrant):
        KeyRing(staff_id=org["alice"].staff.pk, private_key=org["alice"].private_key).key_for(key_set)
    with pytest.raises(NoGrant):
        escrow.escrow_recover_keyset(
            key_set=key_set,
            escrow_private=escrow.escrow_private_key(ring=rings["admin"]),
            to_staff_id=org["alice"].staff.pk,
        )
    note.refresh_from_db()
    assert note.title is None
    assert note.body is None
    # The ciphertext, which nothing can open now, goes in the sweep a margin later.
    files.stored_files_sweep(now=timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1))
    assert not stored.exists(files.stored_name(str(file_id)))


def test_escrow_ceremony_k_of_n(org: dict[str, Any], make_staff: Any) -> None:
    rings = org["ring"]
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[org["alice"].staff.pk])
    note = _note(key_set, key, "Title", "Body")
    # Only the custodian can split, once.
    with pytest.raises(escrow.EscrowError):
        escrow.escrow_split(ring=rings["alice"], threshold=3, shares=5)
    shares = escrow.escrow_split(ring=rings["admin"], threshold=3, shares=5)
    assert len(set(shares)) == 5
    held = EscrowKey.objects.get()
    assert held.custody_wrap is None
    assert (held.threshold, held.share_count) == (3, 5)
    with pytest.raises(escrow.EscrowError):
        escrow.escrow_split(ring=rings["admin"], threshold=3, shares=5)
    # After the split the custodian alone no longer opens the escrow.
    with pytest.raises(NotEnoughShares):
        escrow.escrow_private_key(ring=rings["admin"])

    carol = make_staff("caseworker")
    with pytest.raises(NotEnoughShares):
        escrow.escrow_private_key(share_codes=shares[:2])
    other_split = crypto.keypair_new()[1]
    from ferry.vault import shamir

    foreign = shamir.encode_share(shamir.split(other_split, shares=5, threshold=3)[2])
    with pytest.raises(BadShare):
        escrow.escrow_private_key(share_codes=[shares[0], shares[1], foreign])
    with transaction.atomic():
        private = escrow.escrow_private_key(share_codes=[shares[4], shares[1], shares[3]])
        escrow.escrow_recover_keyset(key_set=key_set, escrow_private=private, to_staff_id=carol.staff.pk)
    assert _read(KeyRing(staff_id=carol.staff.pk, private_key=carol.private_key), note) == ("Title", "Body")


def test_session_key_cache_is_bound_to_session_and_generation(org: dict[str, Any]) -> None:
    from ferry.accounts.sessions import staff_session_ring, staff_session_start
    from ferry.vault.keyring import bundle_unpack
    from ferry.vault.models import SessionKeyBundle

    alice, bob = org["alice"], org["bob"]
    key_set, key = keysets.keyset_create(purpose="case", grant_to=[alice.staff.pk, bob.staff.pk])
    other_set, other_key = keysets.keyset_create(purpose="case", grant_to=[bob.staff.pk])
    unlocked = staff_session_start(staff=bob.staff, private_key=bob.private_key)
    _row, ring = staff_session_ring(session_id=unlocked.session.pk, client_key=unlocked.client_key)
    assert ring.keys_for([key_set, other_set]) == {key_set.pk: key, other_set.pk: other_key}
    # One bundle for the session, sealed under the cookie's key: no key in it is readable without the cookie
    cached = bytes(SessionKeyBundle.objects.get(session=unlocked.session).wrapped)
    assert key not in cached
    assert other_key not in cached
    with pytest.raises(BadFormat):
        bundle_unpack(cached)

    # A later request of the same session opens it from the cache, without the grant...
    Grant.objects.filter(key_set=key_set, staff=bob.staff).update(sealed_key=b"\x01" + b"\0" * 80)
    _row, again = staff_session_ring(session_id=unlocked.session.pk, client_key=unlocked.client_key)
    assert again.key_for(key_set) == key
    # ...but not after a revoke re-keyed the set: the cached key is for a dead generation.
    keysets.keyset_revoke(key_set=key_set, ring=org["ring"]["alice"], staff_id=bob.staff.pk)
    key_set.refresh_from_db()
    _row, after = staff_session_ring(session_id=unlocked.session.pk, client_key=unlocked.client_key)
    with pytest.raises(NoGrant):
        after.key_for(key_set)
    # Destroying a member's grants (duress, deactivation) empties their sessions' caches too.
    keysets.keyset_grant(
        key_set=key_set, ring=KeyRing(staff_id=alice.staff.pk, private_key=alice.private_key), staff_id=bob.staff.pk
    )
    staff_session_ring(session_id=unlocked.session.pk, client_key=unlocked.client_key)[1].key_for(key_set)
    assert SessionKeyBundle.objects.filter(session=unlocked.session).exists()
    keysets.grants_destroy_for_staff(staff_id=bob.staff.pk)
    assert not SessionKeyBundle.objects.filter(session=unlocked.session).exists()


def test_blind_index_needs_a_grant_and_matches_equal_contacts(org: dict[str, Any]) -> None:
    from ferry.vault import blind

    admin_ring = org["ring"]["admin"]
    first = blind.blind_index(ring=admin_ring, kind="phone", value="+7 912 345-67-89")
    assert first == blind.blind_index(ring=admin_ring, kind="phone", value="8 (912) 345 67 89")
    assert first != blind.blind_index(ring=admin_ring, kind="telegram", value="+79123456789")
    assert "79123456789" not in first
    # Denied before a grant of the index key set, allowed after.
    alice = org["ring"]["alice"]
    with pytest.raises(NoGrant):
        blind.blind_index(ring=alice, kind="phone", value="+79123456789")
    index_set = blind.index_key_set()
    assert index_set is not None
    keysets.keyset_grant(key_set=index_set, ring=admin_ring, staff_id=org["alice"].staff.pk)
    assert (
        blind.blind_index(
            ring=KeyRing(staff_id=org["alice"].staff.pk, private_key=org["alice"].private_key),
            kind="phone",
            value="+79123456789",
        )
        == first
    )


def test_a_sealed_model_that_is_not_a_sealed_record_fails_the_system_check() -> None:
    """Every model with a SealedField subclasses SealedRecord (ferry.E001); the check sees one that does not."""
    from django.core import checks
    from django.db import models

    from ferry.vault.checks import sealed_models_are_sealed_records
    from ferry.vault.models import SealedField

    assert [m for m in checks.run_checks() if m.id == "ferry.E001"] == []

    class Loose(models.Model):
        secret = SealedField()

        class Meta:
            app_label = "testapp"

    try:
        found = [m.obj for m in sealed_models_are_sealed_records() if m.id == "ferry.E001"]
        assert found == [Loose]
    finally:
        from django.apps import apps

        del apps.all_models["testapp"]["loose"]
        apps.clear_cache()


def test_a_grant_is_found_by_its_key_set_through_its_unique_constraints_alone() -> None:
    # Given the grant table as the migrations leave it
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Grant._meta.db_table)
    by_key_set = {
        name: about
        for name, about in constraints.items()
        if about["columns"][:1] == ["key_set_id"] and (about["index"] or about["unique"])
    }
    # Then every index that begins with the key set is one of the two unique ones (no index of its own to keep
    # on every grant written), and both begin with it, so a look-up by key set still walks an index
    assert sorted(name for name, about in by_key_set.items() if about["unique"]) == [
        "grant_once_per_escrow",
        "grant_once_per_staff",
    ]
    assert [name for name, about in by_key_set.items() if not about["unique"]] == []
