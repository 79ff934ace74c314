"""App configuration for cases."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ferry.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"
