"""App configuration for intake."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ferry.intake"
    label = "intake"
    default_auto_field = "django.db.models.BigAutoField"
