"""Staff URLs of the documentation: incidents, the register of perpetrators and places, sources,
vocabularies, evidence and imports."""

from django.urls import include, path

from ferry.incidents import views

app_name = "incidents"
urlpatterns = [
    # First: the incident routes below take any word as a reference.
    path("evidence/", include("ferry.incidents.evidence_urls")),
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("sources/", views.source_list, name="sources"),
    path("perpetrators/", views.perpetrator_list, name="perpetrators"),
    path("perpetrators/<int:perpetrator_id>/", views.perpetrator_detail, name="perpetrator"),
    path("perpetrators/<int:perpetrator_id>/position/", views.perpetrator_position, name="perpetrator_position"),
    path("perpetrators/<int:perpetrator_id>/link/", views.perpetrator_link, name="perpetrator_link"),
    path("places/", views.place_list, name="places"),
    path("places/<int:place_id>/", views.place_detail, name="place"),
    path("vocabularies/<str:name>/", views.vocabulary_page, name="vocabulary"),
    path("vocabularies/<str:name>/<int:term_id>/", views.term_change, name="term_change"),
    path("victims/<str:victim_id>/", views.victim_detail, name="victim"),
    path("import/", include("ferry.incidents.import_urls")),
    path("<str:reference>/", views.incident_detail, name="detail"),
    path("<str:reference>/edit/", views.incident_edit, name="edit"),
    path("<str:reference>/verify/", views.incident_verify, name="verify"),
    path("<str:reference>/victim/", views.victim_add, name="victim_add"),
    path("<str:reference>/act/", views.act_add, name="act_add"),
    path("<str:reference>/information/", views.information_add, name="information_add"),
    path("<str:reference>/intervention/", views.intervention_add, name="intervention_add"),
    path("<str:reference>/share/", views.incident_share, name="share"),
    path("<str:reference>/unshare/", views.incident_unshare, name="unshare"),
]
