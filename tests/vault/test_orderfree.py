"""Rows a person causes keep no insertion order: random keys, and on SQLite tables WITHOUT ROWID."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.db import connection, models
from django.test import Client

from ferry.intake.models import Request
from ferry.vault import orderfree
from ferry.vault.checks import order_free_keys_are_random
from ferry.vault.models import OrderFree, random_id
from tests.intake.helpers import submit

pytestmark = pytest.mark.django_db


def test_the_models_a_person_causes_are_order_free() -> None:
    labels = {m._meta.label for m in orderfree.order_free_models()}
    assert {
        "intake.Request",
        "intake.Message",
        "intake.Attachment",
        "intake.Mailbox",
        "intake.MailboxSession",
        "intake.CheckIn",
        "intake.FormNonce",
        "vault.KeySet",
        "vault.Grant",
        "vault.FileKey",
        "accounts.StaffAlert",
    } <= labels
    assert order_free_keys_are_random() == []


def test_random_ids_are_positive_63_bit_and_not_counted() -> None:
    ids = [random_id() for _ in range(1000)]
    assert all(0 < i < 2**63 for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids != sorted(ids)


def test_a_counted_key_on_an_order_free_model_fails_the_system_check() -> None:
    class Counted(OrderFree, models.Model):
        class Meta:
            app_label = "testapp"

    try:
        problems = order_free_keys_are_random()
        assert [p.id for p in problems if isinstance(p, checks.Error)] == ["ferry.E002"]
    finally:
        from django.apps import apps

        del apps.all_models["testapp"]["counted"]
        apps.clear_cache()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's hidden row ids")
def test_every_order_free_table_has_no_hidden_row_id() -> None:
    for model in orderfree.order_free_models():
        assert orderfree.is_order_free(connection, model._meta.db_table), model._meta.label


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's hidden row ids")
@pytest.mark.django_db(transaction=True)
def test_a_table_a_migration_remade_is_rebuilt_after_migrate_with_its_rows(make_staff: Any) -> None:
    # Given a table with rows that a later migration remade (Django's rebuild drops WITHOUT ROWID)
    make_staff("administrator")
    make_staff("coordinator")
    for _ in range(3):
        assert submit(Client())[1]
    before = sorted(Request.objects.values_list("pk", flat=True))
    table = Request._meta.db_table
    with connection.schema_editor() as editor:
        editor._remake_table(Request)
    assert not orderfree.is_order_free(connection, table)

    # When migrate's last step runs
    assert table in orderfree.order_free_tables()

    # Then the table is order-free again, its rows and indexes intact, and a second run changes nothing
    assert orderfree.is_order_free(connection, table)
    assert sorted(Request.objects.values_list("pk", flat=True)) == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        assert cursor.fetchone()[0] >= 1
    assert orderfree.order_free_tables() == []
