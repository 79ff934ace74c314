"""App configuration for the vault."""

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class VaultConfig(AppConfig):
    name = "ferry.vault"
    label = "vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.vault.checks import order_free_keys_are_random, sealed_models_are_sealed_records
        from ferry.vault.orderfree import after_migrate

        checks.register(sealed_models_are_sealed_records)
        checks.register(order_free_keys_are_random)
        # Once per migrate, after every app's migrations (not per app: `sender` is left out).
        post_migrate.connect(after_migrate, dispatch_uid="ferry.vault.orderfree")
