"""Staff URLs of evidence, under the documentation's (namespace "incidents"). An incident's items are named
by the incident's reference, an item by its own, a verification run by its id; none says what it holds."""

from django.urls import path

from ferry.incidents import evidence_views as views

urlpatterns = [
    path("verify/", views.evidence_verify, name="evidence_verify"),
    path("verify/<uuid:run_id>/", views.evidence_verify_run, name="evidence_verify_run"),
    path("incident/<str:reference>/", views.evidence_incident, name="evidence_incident"),
    path("incident/<str:reference>/add/", views.evidence_add, name="evidence_add"),
    path("incident/<str:reference>/report/", views.evidence_incident_report, name="evidence_incident_report"),
    path("<str:reference>/", views.evidence_detail, name="evidence_detail"),
    path("<str:reference>/file/", views.evidence_download, name="evidence_download"),
    path("<str:reference>/copy/", views.evidence_copy, name="evidence_copy"),
    path("<str:reference>/handover/", views.evidence_handover, name="evidence_handover"),
    path("<str:reference>/recheck/", views.evidence_recheck, name="evidence_recheck"),
    path("<str:reference>/report/", views.evidence_report, name="evidence_report"),
]
