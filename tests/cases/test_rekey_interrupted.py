"""A process killed in the middle of a re-key leaves the case readable under the old key or the new one,
never a mix: the re-key is one transaction, and the database throws away what a dead process began."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from ferry.cases import services
from ferry.cases.models import Case, Event
from ferry.intake import submission as intake_submission
from ferry.intake import triage
from ferry.intake.models import Request
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Runs in the child: the real keyset_revoke, slowed down after some fields so the parent can kill it there.
CHILD = """
import os, sys, time, django
django.setup()
from ferry.vault import keysets
from ferry.vault.keyring import KeyRing
from ferry.vault.models import KeySet

original = keysets.seal_field
count = [0]
def slow_seal(*args, **kwargs):
    count[0] += 1
    if count[0] == 60:
        print("halfway", flush=True)
        time.sleep(60)
    return original(*args, **kwargs)
keysets.seal_field = slow_seal
ring = KeyRing(staff_id=int(sys.argv[1]), private_key=bytes.fromhex(sys.argv[2]))
keysets.keyset_revoke(key_set=KeySet.objects.get(pk=int(sys.argv[3])), ring=ring, staff_id=int(sys.argv[4]))
print("finished", flush=True)
"""


def _open_everything(key_set: KeySet, key: bytes) -> int:
    """How many sealed values of the key set this key opens; raises if any does not open."""
    opened = 0
    for model, names in keysets.sealed_models().items():
        if "key_set" not in {f.name for f in model._meta.get_fields()}:
            continue
        for row in model._default_manager.filter(key_set=key_set):
            for name in names:
                if getattr(row, name) is not None:
                    keysets.open_field(key, row, name)
                    opened += 1
    return opened


def _case_with_history(make_staff: Any) -> tuple[Case, Any, Any]:
    make_staff("administrator")
    coordinator = make_staff("coordinator")
    leaving = make_staff("caseworker")
    receipt = intake_submission.submission_create(
        data=intake_submission.Submission(
            name="Artur",
            phone="",
            handle="",
            email="",
            country="",
            region="",
            place="",
            story="s",
            needs="",
            urgency="now",
        ),
        uploads=[],
        want_duress=False,
        nonce="rekey",
    )
    assert receipt.code
    ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    request = Request.objects.get()
    triage.request_accept(
        ring=ring, staff=coordinator.staff, reference=request.reference, version=1, caseworker_id=leaving.staff.pk
    )
    case = Case.objects.get()
    for n in range(150):
        services.note_add(ring=ring, staff=coordinator.staff, reference=case.reference, text=f"note {n}")
    return case, coordinator, leaving


def test_a_killed_rekey_leaves_the_old_key_working(make_staff: Any, subprocess_env: dict[str, str]) -> None:
    case, coordinator, leaving = _case_with_history(make_staff)
    key_set = KeySet.objects.get(pk=case.key_set_id)
    ring = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    old_key = ring.key_for(key_set)
    before = _open_everything(key_set, old_key)
    assert before > 150

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(coordinator.staff.pk),
            coordinator.private_key.hex(),
            str(key_set.pk),
            str(leaving.staff.pk),
        ],
        env={**subprocess_env, "PYTHONPATH": os.getcwd()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "halfway", child.stderr.read() if child.stderr else ""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    # Nothing of the half-done re-key survived: same generation, old key opens every value, the grant remains.
    key_set.refresh_from_db()
    assert key_set.generation == 1
    assert _open_everything(key_set, old_key) == before
    assert KeyRing(staff_id=leaving.staff.pk, private_key=leaving.private_key).can_open(key_set)

    # And the re-key can be done again, completely: new key opens everything, old key nothing.
    again = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key)
    keysets.keyset_revoke(key_set=key_set, ring=again, staff_id=leaving.staff.pk)
    key_set.refresh_from_db()
    assert key_set.generation == 2
    new_key = KeyRing(staff_id=coordinator.staff.pk, private_key=coordinator.private_key).key_for(key_set)
    assert _open_everything(key_set, new_key) == before
    assert new_key != old_key
    assert Event.objects.filter(case=case).count() >= 150
    with pytest.raises(Exception):  # noqa: B017, PT011 - any decryption failure
        _open_everything(key_set, old_key)
