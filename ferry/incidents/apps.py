"""App configuration for documentation."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ferry.incidents"
    label = "incidents"
    default_auto_field = "django.db.models.BigAutoField"
