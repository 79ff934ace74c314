"""App configuration for staff accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ferry.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
