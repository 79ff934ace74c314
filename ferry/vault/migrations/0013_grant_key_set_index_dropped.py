"""A grant's key set needs no index of its own: both unique constraints begin with it.

The index is dropped by name rather than by altering the field, which on SQLite would copy the whole grant
table (millions of rows on a large documentation store); dropping an index rewrites nothing."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "vault_grant"


def _single_column_indexes(schema_editor) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, about in constraints.items()
        if about["columns"] == ["key_set_id"] and about["index"] and not about["unique"] and not about["primary_key"]
    ]


def index_drop(apps, schema_editor) -> None:
    for name in _single_column_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def index_create(apps, schema_editor) -> None:
    if _single_column_indexes(schema_editor):
        return
    name = schema_editor._create_index_name(TABLE, ["key_set_id"])
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(TABLE)} ({quote('key_set_id')})")


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0012_keyset_advocacy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="grant",
                    name="key_set",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="grants",
                        to="vault.keyset",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(index_drop, index_create)],
        ),
    ]
