"""App configuration for the vault."""

from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "ferry.vault"
    label = "vault"
    default_auto_field = "django.db.models.BigAutoField"
