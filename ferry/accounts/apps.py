"""App configuration for staff accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ferry.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.accounts import dashboard
        from ferry.core.dashboard import DASHBOARD_PARTS

        DASHBOARD_PARTS.register(dashboard.pending_part)
        DASHBOARD_PARTS.register(dashboard.alerts_part)
        DASHBOARD_PARTS.register(dashboard.escrow_part)
