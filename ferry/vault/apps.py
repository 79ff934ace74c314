"""App configuration for the vault."""

from django.apps import AppConfig
from django.core import checks


class VaultConfig(AppConfig):
    name = "ferry.vault"
    label = "vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.vault.checks import sealed_models_are_sealed_records

        checks.register(sealed_models_are_sealed_records)
