"""App configuration for the audit log."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ferry.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
