"""App configuration for intake."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ferry.intake"
    label = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.accounts.ceremony import KEY_SET_SIBLINGS
        from ferry.core.dashboard import DASHBOARD_PARTS
        from ferry.intake import dashboard, recipients

        DASHBOARD_PARTS.register(dashboard.intake_part)
        KEY_SET_SIBLINGS.register(recipients.key_set_siblings)
