"""App configuration for the shell."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ferry.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
