"""Splitting a key set that was sealed to a requester into a staff compartment and a conversation.

Before the split, a request and its case lived under one key set that the person's receipt code also
opened, so a code and a copy of the database opened every staff note of the case. The split needs no
key: it only seals a fresh conversation key to public keys (the person's, the staff holders', the
escrow's) and deletes the person's grant to the old key set, which becomes staff-only. What the old key
set already sealed stays there; a staff member who holds both keys moves the messages into the
conversation later (intake.triage.conversation_settle), so the person sees them again.

Used by a migration, with the historical models it is given; all in the migration's one transaction, so
a kill half-way leaves every request as it was."""

from __future__ import annotations

from typing import Any

from ferry.vault import crypto


def conversations_split(
    *, request_model: Any, keyset_model: Any, grant_model: Any, escrow_model: Any, staff_key_model: Any
) -> int:
    """Give every request without a conversation its own; returns how many were split."""
    escrow = escrow_model.objects.order_by("-created_at").first()
    split = 0
    for request in request_model.objects.filter(conversation__isnull=True).select_related("key_set").order_by("pk"):
        old = request.key_set
        grants = list(grant_model.objects.filter(key_set=old, generation=old.generation))
        requester_keys = [bytes(g.requester_key) for g in grants if g.requester_key is not None]
        staff_ids = sorted({g.staff_id for g in grants if g.staff_id is not None})
        publics = dict(staff_key_model.objects.filter(staff_id__in=staff_ids).values_list("staff_id", "public_key"))
        conversation = keyset_model.objects.create(purpose="conversation", generation=1, created_at=old.created_at)
        key = crypto.random_key()
        new_grants = [
            grant_model(
                key_set=conversation,
                staff_id=staff_id,
                generation=1,
                created_at=old.created_at,
                sealed_key=crypto.seal_to(bytes(publics[staff_id]), key),
            )
            for staff_id in staff_ids
            if staff_id in publics
        ]
        new_grants += [
            grant_model(
                key_set=conversation,
                requester_key=public,
                generation=1,
                created_at=old.created_at,
                sealed_key=crypto.seal_to(public, key),
            )
            for public in requester_keys
        ]
        if escrow is not None:
            new_grants.append(
                grant_model(
                    key_set=conversation,
                    escrow=escrow,
                    generation=1,
                    created_at=old.created_at,
                    sealed_key=crypto.seal_to(bytes(escrow.public_key), key),
                )
            )
        grant_model.objects.bulk_create(new_grants)
        # The old key set keeps the details, staff notes and (after acceptance) the case: staff only now. Its key
        # was the person's too, so the first staff member who opens it re-keys it (keysets.keyset_rekey_if_needed):
        # an old copy of the database with the person's grant then opens nothing written after.
        grant_model.objects.filter(key_set=old, requester_key__isnull=False).delete()
        keyset_model.objects.filter(pk=old.pk).update(rekey_needed=True)
        request_model.objects.filter(pk=request.pk).update(conversation=conversation)
        split += 1
    return split
