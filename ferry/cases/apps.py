"""App configuration for cases: the hooks by which the apps below it let cases react."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ferry.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ferry.accounts.ceremony import KEY_SET_RECOVERED
        from ferry.accounts.dashboard import REFERENCES_OPENABLE, STAFF_CASES
        from ferry.cases import dashboard, services, staff_duress
        from ferry.cases.checkins import selectors as checkin_selectors
        from ferry.cases.checkins import services as checkins
        from ferry.core.dashboard import DASHBOARD_PARTS
        from ferry.intake.mailbox import PERSON_CHECKED_IN
        from ferry.intake.triage import REQUEST_ACCEPTED, REQUEST_SHARED_AS_CASE

        REQUEST_ACCEPTED.register(services.case_open_from_request)
        REQUEST_SHARED_AS_CASE.register(services.case_share_from_request)
        PERSON_CHECKED_IN.register(checkins.from_requester)
        KEY_SET_RECOVERED.register(services.case_adopt_after_recovery)
        REFERENCES_OPENABLE.register(checkin_selectors.openable)
        STAFF_CASES.register(staff_duress.cases_of)
        DASHBOARD_PARTS.register(dashboard.missed_part)
