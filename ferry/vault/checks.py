"""System check: every model with a sealed field is a SealedRecord, so the door, re-keying and the seizure
test treat it alike (a UUID id bound into each envelope, a key set)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from ferry.vault.models import SealedField, SealedRecord


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
