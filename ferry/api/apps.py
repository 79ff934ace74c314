"""App configuration for the REST API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ferry.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
