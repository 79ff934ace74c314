"""App configuration for documentation."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ferry.incidents"
    label = "incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.cases.page import CASE_PAGE_PARTS
        from ferry.core.dashboard import DASHBOARD_PARTS
        from ferry.incidents import dashboard, selectors

        CASE_PAGE_PARTS.register(selectors.victims_of_case)
        DASHBOARD_PARTS.register(dashboard.evidence_part)
