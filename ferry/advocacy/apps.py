"""App configuration for advocacy."""

from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "ferry.advocacy"
    label = "advocacy"
    default_auto_field = "django.db.models.BigAutoField"
