"""Many key sets at once (an import): created with the same holders as one at a time, shredded together,
and rows written in one statement per batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ferry.vault import files, keysets
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.models import FileKey, Grant, KeySet, ShreddedFile
from ferry.vault.rows import rows_insert
from tests.testapp.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(make_staff: Any) -> dict[str, Any]:
    return {"admin": make_staff("administrator"), "alice": make_staff("caseworker"), "bob": make_staff("caseworker")}


def _ring(person: Any) -> KeyRing:
    return KeyRing(staff_id=person.staff.pk, private_key=person.private_key)


def test_many_key_sets_each_with_its_own_key_granted_to_the_holders_and_escrow(people: dict[str, Any]) -> None:
    made = keysets.keysets_create_many(purpose="documentation", grant_to=[people["alice"].staff.pk], count=3)
    assert len({key for _set, key in made}) == 3
    for key_set, key in made:
        assert _ring(people["alice"]).key_for(key_set) == key
        assert not _ring(people["bob"]).can_open(key_set)
        assert Grant.objects.filter(key_set=key_set, escrow__isnull=False).count() == 1
    assert keysets.keysets_create_many(purpose="documentation", grant_to=[], count=0) == []


def test_rows_insert_writes_sealed_rows_that_open(people: dict[str, Any]) -> None:
    (key_set, key), (other_set, other_key) = keysets.keysets_create_many(
        purpose="case", grant_to=[people["alice"].staff.pk], count=2
    )
    notes = []
    for n, (ks, k) in enumerate([(key_set, key), (other_set, other_key)]):
        note = Note(key_set=ks)
        keysets.seal_field(k, note, "title", f"title {n}")
        keysets.seal_field(k, note, "body", None)
        notes.append(note)
    rows_insert(Note, notes)
    stored = Note.objects.get(pk=notes[1].pk)
    assert keysets.open_field(other_key, stored, "title") == "title 1"
    assert stored.body is None
    # And the grant rows it wrote (auto ids left to the database) are what the ring opens
    assert Grant.objects.filter(key_set__in=[key_set, other_set]).count() == 4


def test_shred_many_leaves_nothing_to_open(people: dict[str, Any]) -> None:
    made = keysets.keysets_create_many(purpose="case", grant_to=[people["alice"].staff.pk], count=2)
    kept, kept_key = keysets.keyset_create(purpose="case", grant_to=[people["alice"].staff.pk])
    note = Note(key_set=made[0][0])
    keysets.seal_field(made[0][1], note, "title", "gone")
    note.save()
    file_id = files.file_put(key_set=made[1][0], set_key=made[1][1], content=b"gone too")
    keysets.keysets_shred_many(key_set_ids=[ks.pk for ks, _key in made])
    note.refresh_from_db()
    assert note.title is None
    assert not Grant.objects.filter(key_set__in=[ks for ks, _key in made]).exists()
    assert KeySet.objects.filter(pk__in=[ks.pk for ks, _key in made], shredded_at__isnull=False).count() == 2
    # The file's key is gone at once; its ciphertext (which nothing opens now) goes with the sweep, a margin later
    assert not FileKey.objects.filter(pk=file_id).exists()
    assert ShreddedFile.objects.filter(file_id=file_id).exists()
    files.stored_files_sweep(now=timezone.now() + files.SWEEP_MARGIN + timedelta(minutes=1))
    assert not files.storage().exists(files.stored_name(str(file_id)))
    with pytest.raises(NoGrant):
        _ring(people["alice"]).key_for(made[0][0])
    # The key set not named is untouched
    assert _ring(people["alice"]).key_for(kept) == kept_key
