"""Key sets and grants: create, grant, revoke with re-key, shred, and sealing fields under a key set."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils import timezone

from ferry.vault import crypto
from ferry.vault.errors import VaultError
from ferry.vault.files import file_key_context, stored_files_forget
from ferry.vault.keyring import KeyRing, NoGrant, session_caches_drop
from ferry.vault.models import EscrowKey, FileKey, Grant, KeySet, SealedField, StaffKey, random_id
from ferry.vault.rows import rows_insert


class NoStaffKey(VaultError):
    """The staff member has no key pair yet, or it is not confirmed: nothing can be sealed to them."""


class EscrowMissing(VaultError):
    """No escrow key exists; key sets are never created without one."""


def field_context(obj: models.Model, field_name: str) -> crypto.Context:
    return (obj._meta.label_lower, str(obj.pk), field_name)


def seal_field(key: bytes, obj: models.Model, field_name: str, plaintext: str | None) -> None:
    """Set obj.<field_name> to the plaintext sealed under the key, bound to this record and field."""
    value = None if plaintext is None else crypto.seal_str(key, plaintext, field_context(obj, field_name))
    setattr(obj, field_name, value)


def open_field(key: bytes, obj: models.Model, field_name: str) -> str | None:
    blob = getattr(obj, field_name)
    return None if blob is None else crypto.unseal_str(key, bytes(blob), field_context(obj, field_name))


def seal_json(key: bytes, obj: models.Model, field_name: str, value: dict[str, Any]) -> None:
    """seal_field for a JSON object: several values of one record in one envelope."""
    seal_field(key, obj, field_name, json.dumps(value, ensure_ascii=False, sort_keys=True))


def open_json(key: bytes, obj: models.Model, field_name: str) -> dict[str, Any]:
    text = open_field(key, obj, field_name)
    return {} if text is None else dict(json.loads(text))


def sealed_models() -> dict[type[models.Model], list[str]]:
    """Every model with SealedFields and their names: the registry that re-keying and the seizure test use."""
    found: dict[type[models.Model], list[str]] = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, SealedField)]
        if names:
            found[model] = names
    return found


def _active_escrow() -> EscrowKey:
    escrow = EscrowKey.objects.order_by("-created_at").first()
    if escrow is None:
        raise EscrowMissing("no escrow key")
    return escrow


def _public_key(staff_id: int) -> bytes:
    """The staff member's public key, if administrators confirmed it; nothing is ever sealed to a pending one."""
    value = (
        StaffKey.objects.filter(staff_id=staff_id, confirmed_at__isnull=False, paused_at__isnull=True)
        .values_list("public_key", flat=True)
        .first()
    )
    if value is None:
        raise NoStaffKey("staff member has no confirmed key")
    return bytes(value)


@dataclass(frozen=True)
class Recipients:
    """Who new key sets are sealed to: the escrow key and staff members' confirmed public keys, read once for
    the key sets of one transaction (an anonymous request has two). Never kept longer: a key paused or a
    colleague removed must stop receiving grants at once."""

    escrow: EscrowKey
    staff: dict[int, bytes]


def recipients_load(staff_ids: Iterable[int]) -> Recipients:
    """The escrow key and each listed staff member's public key, in one query for all of them; raises
    EscrowMissing, or NoStaffKey when one of them has no confirmed, unpaused key."""
    escrow = _active_escrow()
    wanted = list(dict.fromkeys(staff_ids))
    found = dict(
        StaffKey.objects.filter(staff_id__in=wanted, confirmed_at__isnull=False, paused_at__isnull=True).values_list(
            "staff_id", "public_key"
        )
    )
    if any(staff_id not in found for staff_id in wanted):
        raise NoStaffKey("staff member has no confirmed key")
    return Recipients(escrow=escrow, staff={staff_id: bytes(found[staff_id]) for staff_id in wanted})


@transaction.atomic
def keyset_create(
    *,
    purpose: str,
    grant_to: Iterable[int] | Recipients,
    requester_key: bytes | None = None,
    when: datetime | None = None,
) -> tuple[KeySet, bytes]:
    """A new key set with a random key, sealed to the escrow key, to each listed staff member and, for
    an anonymous request, to the requester's public key. `when` lets the intake store only the day.
    `grant_to` is staff ids, or Recipients already read in this transaction."""
    loaded = grant_to if isinstance(grant_to, Recipients) else recipients_load(grant_to)
    escrow, recipients = loaded.escrow, loaded.staff
    now = when or timezone.now()
    key_set = KeySet.objects.create(purpose=purpose, created_at=now)
    key = crypto.random_key()
    grants = [
        Grant(
            key_set=key_set,
            escrow=escrow,
            generation=1,
            created_at=now,
            sealed_key=crypto.seal_to(bytes(escrow.public_key), key),
        )
    ]
    grants += [
        Grant(
            key_set=key_set,
            staff_id=staff_id,
            generation=1,
            created_at=now,
            sealed_key=crypto.seal_to(public, key),
        )
        for staff_id, public in recipients.items()
    ]
    if requester_key is not None:
        grants.append(
            Grant(
                key_set=key_set,
                requester_key=requester_key,
                generation=1,
                created_at=now,
                sealed_key=crypto.seal_to(requester_key, key),
            )
        )
    Grant.objects.bulk_create(grants)
    return key_set, key


def requester_key_open(*, key_set: KeySet, private_key: bytes) -> bytes:
    """Open the key set's key with a requester's private key (derived from their receipt code)."""
    public = crypto.public_from_private(private_key)
    for sealed, stored_public in Grant.objects.filter(
        key_set=key_set, requester_key__isnull=False, generation=key_set.generation
    ).values_list("sealed_key", "requester_key"):
        if stored_public is not None and crypto.constant_time_equal(bytes(stored_public), public):
            return crypto.unseal_from(private_key, bytes(sealed))
    raise NoGrant("no grant")


@transaction.atomic
def keyset_grant(*, key_set: KeySet, ring: KeyRing, staff_id: int) -> None:
    """Seal the key set's key to another staff member; only someone who can open it may do this."""
    key = ring.key_for(key_set)
    public = _public_key(staff_id)
    Grant.objects.update_or_create(
        key_set=key_set,
        staff_id=staff_id,
        defaults={
            "generation": key_set.generation,
            "sealed_key": crypto.seal_to(public, key),
            "created_at": timezone.now(),
        },
    )


def keyset_grant_with_key(*, key_set: KeySet, key: bytes, staff_id: int) -> None:
    """Grant from a key already opened some other way (escrow recovery)."""
    Grant.objects.update_or_create(
        key_set=key_set,
        staff_id=staff_id,
        defaults={
            "generation": key_set.generation,
            "sealed_key": crypto.seal_to(_public_key(staff_id), key),
            "created_at": timezone.now(),
        },
    )


def grants_destroy_for_staff(*, staff_id: int) -> int:
    """Delete every grant a staff member holds (duress, departure); escrow grants keep the content safe."""
    count, _detail = Grant.objects.filter(staff_id=staff_id).delete()
    session_caches_drop(staff_ids=[staff_id])
    return count


def _staff_holders(key_set: KeySet) -> list[int]:
    """Staff members who hold a grant for the key set: whose sessions may have cached its key."""
    return list(Grant.objects.filter(key_set=key_set, staff__isnull=False).values_list("staff_id", flat=True))


@transaction.atomic
def keyset_revoke(*, key_set: KeySet, ring: KeyRing, staff_id: int | None) -> None:
    """Remove a grant (or none: `staff_id` None, a plain re-key) and re-key: new key, sealed fields
    re-encrypted, file keys re-wrapped, old key gone.

    All in one transaction: a crash leaves everything under the old key or everything under the new one.
    """
    key_set = KeySet.objects.select_for_update().get(pk=key_set.pk)
    old = ring.key_for(key_set)
    holders = _staff_holders(key_set)
    if staff_id is not None:
        Grant.objects.filter(key_set=key_set, staff_id=staff_id).delete()
    new = crypto.random_key()
    for model, names in sealed_models().items():
        rows = list(model._default_manager.select_for_update().filter(key_set=key_set))
        for obj in rows:
            for name in names:
                seal_field(new, obj, name, open_field(old, obj, name))
        model._default_manager.bulk_update(rows, names, batch_size=500)
    file_keys = list(FileKey.objects.select_for_update().filter(key_set=key_set))
    for fk in file_keys:
        context = file_key_context(fk)
        fk.wrapped_key = crypto.seal(new, crypto.unseal(old, bytes(fk.wrapped_key), context), context)
    FileKey.objects.bulk_update(file_keys, ["wrapped_key"], batch_size=500)
    generation = key_set.generation + 1
    grants = list(Grant.objects.select_for_update(of=("self",)).filter(key_set=key_set).select_related("escrow"))
    for grant in grants:
        if grant.escrow is not None:
            public = bytes(grant.escrow.public_key)
        elif grant.requester_key is not None:
            public = bytes(grant.requester_key)
        else:
            public = _public_key(grant.staff_id)  # type: ignore[arg-type]
        grant.sealed_key = crypto.seal_to(public, new)
        grant.generation = generation
    Grant.objects.bulk_update(grants, ["sealed_key", "generation"], batch_size=500)
    key_set.generation = generation
    key_set.rekey_needed = False
    key_set.save(update_fields=["generation", "rekey_needed"])
    # Sessions' cached copies of the old key open nothing now; drop them rather than leave them lying.
    session_caches_drop(staff_ids=holders)
    ring.forget()


@transaction.atomic
def keyset_rekey_if_needed(*, key_set: KeySet, ring: KeyRing) -> bool:
    """Re-key a key set marked rekey_needed, if this ring holds it; True if it did."""
    if not KeySet.objects.filter(pk=key_set.pk, rekey_needed=True).exists() or not ring.can_open(key_set):
        return False
    keyset_revoke(key_set=key_set, ring=ring, staff_id=None)
    key_set.refresh_from_db()
    return True


@transaction.atomic
def keyset_shred(*, key_set: KeySet) -> None:
    """Destroy every grant, file key and sealed field: the content cannot be recovered by anyone, ever."""
    key_set = KeySet.objects.select_for_update().get(pk=key_set.pk)
    session_caches_drop(staff_ids=_staff_holders(key_set))
    Grant.objects.filter(key_set=key_set).delete()
    file_ids = [str(pk) for pk in FileKey.objects.filter(key_set=key_set).values_list("pk", flat=True)]
    FileKey.objects.filter(key_set=key_set).delete()
    # The ciphertexts go later, in the sweep (a backup copying files named by an earlier copy of the database
    # still finds them); without their keys they open nothing already.
    stored_files_forget(file_ids)
    for model, names in sealed_models().items():
        model._default_manager.filter(key_set=key_set).update(**dict.fromkeys(names))
    key_set.shredded_at = timezone.now()
    key_set.save(update_fields=["shredded_at"])


@transaction.atomic
def keysets_create_many(*, purpose: str, grant_to: Iterable[int], count: int) -> list[tuple[KeySet, bytes]]:
    """keyset_create for `count` new key sets at once, each with its own random key and the same holders:
    a few inserts instead of a few per key set (an import of thousands of rows)."""
    if count <= 0:
        return []
    escrow = _active_escrow()
    escrow_public = bytes(escrow.public_key)
    recipients = {staff_id: _public_key(staff_id) for staff_id in grant_to}
    now = timezone.now()
    # Ids, not instances, on the grants, and one plain insert of the key sets: the ORM's per-object work
    # costs more here than the inserts (an import makes two key sets a row).
    created = [KeySet(id=random_id(), purpose=purpose, created_at=now) for _ in range(count)]
    rows_insert(KeySet, created)
    for key_set in created:
        # Saved, as bulk_create would mark them: a later save() updates instead of inserting again.
        key_set._state.adding = False
        key_set._state.db = DEFAULT_DB_ALIAS
    out: list[tuple[KeySet, bytes]] = []
    grants: list[Grant] = []
    for key_set in created:
        key = crypto.random_key()
        out.append((key_set, key))
        grants.append(
            Grant(
                key_set_id=key_set.pk,
                escrow_id=escrow.pk,
                generation=1,
                created_at=now,
                sealed_key=crypto.seal_to(escrow_public, key),
            )
        )
        grants += [
            Grant(
                key_set_id=key_set.pk,
                staff_id=staff_id,
                generation=1,
                created_at=now,
                sealed_key=crypto.seal_to(public, key),
            )
            for staff_id, public in recipients.items()
        ]
    rows_insert(Grant, grants)
    return out


@transaction.atomic
def keysets_shred_many(*, key_set_ids: Iterable[int]) -> None:
    """keyset_shred for many key sets at once (undoing an import): a few statements instead of a few per key set."""
    ids = sorted(set(key_set_ids))
    if not ids:
        return
    session_caches_drop(
        staff_ids=set(Grant.objects.filter(key_set_id__in=ids, staff__isnull=False).values_list("staff_id", flat=True))
    )
    Grant.objects.filter(key_set_id__in=ids).delete()
    file_ids = [str(pk) for pk in FileKey.objects.filter(key_set_id__in=ids).values_list("pk", flat=True)]
    FileKey.objects.filter(key_set_id__in=ids).delete()
    stored_files_forget(file_ids)
    for model, names in sealed_models().items():
        model._default_manager.filter(key_set_id__in=ids).update(**dict.fromkeys(names))
    KeySet.objects.filter(pk__in=ids).update(shredded_at=timezone.now())
