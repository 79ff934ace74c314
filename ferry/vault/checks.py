"""System check: every model with a sealed field is a SealedRecord, so the door, re-keying and the seizure
test treat it alike (a UUID id bound into each envelope, a key set)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from ferry.vault.models import OrderFree, SealedField, SealedRecord, random_id


def sealed_models_are_sealed_records(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for model in apps.get_models():
        sealed = [f.name for f in model._meta.get_fields() if isinstance(f, SealedField)]
        if sealed and not issubclass(model, SealedRecord):
            problems.append(
                checks.Error(
                    f"{model._meta.label} has sealed fields ({', '.join(sealed)}) but is not a SealedRecord.",
                    hint="Subclass ferry.vault.models.SealedRecord: it gives the UUID id and the key set.",
                    obj=model,
                    id="ferry.E001",
                )
            )
    return problems


def order_free_keys_are_random(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    """Rows a person causes have random keys: a UUID, a random text, or an integer made by random_id."""
    problems: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not issubclass(model, OrderFree):
            continue
        pk = model._meta.pk
        counted = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
        if counted or (isinstance(pk, models.IntegerField) and pk.default is not random_id):
            problems.append(
                checks.Error(
                    f"{model._meta.label} is OrderFree but its key counts its rows.",
                    hint="Give it id = models.BigIntegerField(primary_key=True, default=random_id, editable=False).",
                    obj=model,
                    id="ferry.E002",
                )
            )
    return problems
