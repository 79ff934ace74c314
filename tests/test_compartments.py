"""Compartments (P1, P2): a receipt code, even with a copy of the database, opens only the person's own
conversation: never the request's details, staff notes or anything of the case.

For every sealed model the test lists which kinds of holder open it (the person's code-derived key, a
caseworker on the case, a coordinator) and fails when the person's key opens anything but the
conversation. The split of requests made before the compartments existed is tested here too: it needs
no key, a failure half-way leaves every request as it was, and the old messages reach the person again
once a colleague holding both keys opens the request."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.test import Client

from ferry.cases.models import Case
from ferry.intake.models import Mailbox, Message, Request
from ferry.vault import compartments, crypto, keysets
from ferry.vault.errors import VaultError
from ferry.vault.keyring import KeyRing, NoGrant
from ferry.vault.models import EscrowKey, Grant, KeySet, StaffKey
from tests.cases.conftest import staff_client
from tests.intake.helpers import box_post, code_opens, jpeg_with_gps, open_box, submit

pytestmark = pytest.mark.django_db

# What the person may open with their code: what they wrote to us and what we wrote to them.
CONVERSATION = {"intake.message", "intake.attachment"}


def _requester_keys(code: str) -> dict[int, bytes]:
    """Every key set key a copy of the database and the receipt code open together."""
    opened = code_opens(code)
    assert opened is not None
    assert opened.private_key is not None
    keys = {}
    for key_set in KeySet.objects.filter(grants__requester_key__isnull=False).distinct():
        try:
            keys[key_set.pk] = keysets.requester_key_open(key_set=key_set, private_key=opened.private_key)
        except (NoGrant, VaultError):
            continue
    return keys


def _opened_by(keys: dict[int, bytes]) -> dict[str, int]:
    """For each sealed model, how many of its filled sealed values these keys open."""
    found: dict[str, int] = {}
    for model, names in keysets.sealed_models().items():
        for row in model._default_manager.all():
            key = keys.get(row.key_set_id)
            for name in names:
                if key is None or getattr(row, name) is None:
                    continue
                try:
                    keysets.open_field(key, row, name)
                except VaultError:
                    continue
                found[model._meta.label_lower] = found.get(model._meta.label_lower, 0) + 1
    return found


def _ring_keys(person: Any) -> dict[int, bytes]:
    ring = KeyRing(staff_id=person.staff.pk, private_key=person.private_key)
    return ring.keys_for(KeySet.objects.all())


def test_a_receipt_code_opens_only_the_conversation(client: Client, make_staff: Any) -> None:
    # Given a request with a photo, a reply, the person's answer with a file, a staff note on the request,
    # and a case carried by a caseworker (note, risk reason, task, need, staff check-in, referral)
    admin, coordinator, worker = make_staff("administrator"), make_staff("coordinator"), make_staff("caseworker")
    _response, code, _ = submit(client, files=[jpeg_with_gps()])
    request = Request.objects.get()
    hotline = staff_client(coordinator)
    base = f"/staff/intake/{request.reference}"
    assert hotline.post(f"{base}/reply/", {"text": "We read you."}).status_code == 302
    _page, box = open_box(client, code)
    assert (
        box_post(client, "/box/send?lang=en", box, {"text": "Thank you", "files": [jpeg_with_gps()]}).status_code == 200
    )
    request.refresh_from_db()
    flagged = {"version": request.version, "flagged": "on", "note": "Could be a trap: the number is known."}
    assert hotline.post(f"{base}/flag/", flagged).status_code == 302
    request.refresh_from_db()
    accept = {"version": request.version, "caseworker": worker.staff.pk}
    assert hotline.post(f"{base}/accept/", accept).status_code == 302
    case = Case.objects.get()
    carrier = staff_client(worker)
    ref = f"/staff/cases/{case.reference}"
    assert carrier.post(f"{ref}/note/", {"text": "Safe house at Lenina 5, flat 12"}).status_code == 302
    assert (
        carrier.post(f"{ref}/risk/", {"version": case.version, "risk": "critical", "reason": "Brother"}).status_code
        == 302
    )
    assert (
        carrier.post(f"{ref}/need/", {"kind": "shelter", "status": "open", "detail": "two nights"}).status_code == 302
    )
    record = {"at": "2026-01-01T10:00", "channel": "phone", "note": "Spoke, voice shaking"}
    carrier.post(f"/staff/cases/checkins/{case.reference}/record/", record)

    # When the person's code is used with a copy of the database
    by_code = _opened_by(_requester_keys(code))

    # Then it opens the conversation (both ways, and the files sent in it), and nothing else
    assert set(by_code) == CONVERSATION, by_code
    assert by_code["intake.message"] == Message.objects.count() == 2
    assert by_code["intake.attachment"] == 1, "only the file sent in a message, not the one sent with the form"
    # While the caseworker opens the case and the conversation, and the coordinator what they hold
    by_worker = _opened_by(_ring_keys(worker))
    assert {"cases.case", "cases.event", "cases.need", "intake.request", "intake.message"} <= set(by_worker)
    assert "intake.request" in _opened_by(_ring_keys(coordinator))
    assert _opened_by(_ring_keys(admin)) == {}, "an administrator holds no case content by role alone"


def _legacy_request(client: Client, coordinator: Any) -> tuple[Request, str]:
    """A request shaped as before the split: one key set, also sealed to the person, holding everything."""
    _response, code, _ = submit(client)
    request = Request.objects.get()
    conversation = request.conversation
    assert conversation is not None
    # Put the person's grant on the request's own key set and drop the conversation, as it used to be.
    staff_key = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key).key_for(request.key_set)
    public = bytes(Mailbox.objects.get(request=request).public_key)
    Grant.objects.create(
        key_set=request.key_set,
        requester_key=public,
        generation=request.key_set.generation,
        sealed_key=crypto.seal_to(public, staff_key),
        created_at=request.key_set.created_at,
    )
    old = Message(request=request, key_set=request.key_set, sender=Message.Sender.STAFF, sent_on=request.received_on)
    keysets.seal_json(
        staff_key, old, "content", {"text": "An answer from before the split", "at": "2026-01-01T00:00:00+00:00"}
    )
    old.save(force_insert=True)
    Request.objects.filter(pk=request.pk).update(conversation=None)
    Grant.objects.filter(key_set=conversation).delete()
    request.refresh_from_db()
    return request, code


def _split() -> int:
    return compartments.conversations_split(
        request_model=django_apps.get_model("intake", "Request"),
        keyset_model=KeySet,
        grant_model=Grant,
        escrow_model=EscrowKey,
        staff_key_model=StaffKey,
    )


def test_requests_from_before_the_split_are_split_without_a_key(client: Client, make_staff: Any) -> None:
    make_staff("administrator")
    coordinator = make_staff("coordinator")
    request, code = _legacy_request(client, coordinator)
    # Before: the code opens the request's own key set, with the details and every staff note
    assert "intake.request" in _opened_by(_requester_keys(code))
    key_in_an_old_copy = _requester_keys(code)[request.key_set_id]

    # When the split runs (the migration calls it with its historical models)
    assert _split() == 1

    # Then the code opens the new conversation only, and the request's own key set is staff's alone
    request.refresh_from_db()
    assert request.conversation is not None
    assert not Grant.objects.filter(key_set=request.key_set, requester_key__isnull=False).exists()
    assert set(_opened_by(_requester_keys(code))) <= CONVERSATION
    # The old answer is still there for staff; the person sees it again once a colleague with both keys opens
    # the request (it moves into the conversation), and it was never lost
    page, _box = open_box(Client(), code)
    assert "An answer from before the split" not in page.content.decode()
    assert staff_client(coordinator).get(f"/staff/intake/{request.reference}/").status_code == 200
    page, _box = open_box(Client(), code)
    assert "An answer from before the split" in page.content.decode()
    assert _split() == 0, "a second run changes nothing"
    # And that first opening re-keyed the request's own key set: the key an old copy of the database and the
    # code still give opens nothing staff write from now on
    request.refresh_from_db()
    assert request.key_set.generation == 2
    assert not request.key_set.rekey_needed
    note = {"version": request.version, "flagged": "on", "note": "A note written after the split"}
    assert staff_client(coordinator).post(f"/staff/intake/{request.reference}/flag/", note).status_code == 302
    request.refresh_from_db()
    with pytest.raises(VaultError):
        keysets.open_field(key_in_an_old_copy, request, "entrapment_note")


def test_a_split_that_fails_half_way_changes_nothing(
    client: Client, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_staff("administrator")
    coordinator = make_staff("coordinator")
    first, _code = _legacy_request(client, coordinator)
    grants_before = sorted(Grant.objects.values_list("pk", "key_set_id", "generation"))
    key_sets_before = KeySet.objects.count()
    # Given a split that dies after creating the conversation's grants (as a kill would)
    real_filter = Request.objects.filter

    def dying(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("pk") == first.pk:
            raise RuntimeError("killed")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Request.objects, "filter", dying)
    with pytest.raises(RuntimeError), transaction.atomic():
        _split()
    monkeypatch.undo()
    # Then nothing changed: the same grants, no new key set, the request still waiting for its split
    assert sorted(Grant.objects.values_list("pk", "key_set_id", "generation")) == grants_before
    assert KeySet.objects.count() == key_sets_before
    first.refresh_from_db()
    assert first.conversation is None
