"""Staff URLs of the documentation: incidents, the register of perpetrators and places, sources,
vocabularies, evidence and imports."""

from django.urls import include, path

app_name = "incidents"
urlpatterns: list = [
    path("evidence/", include("ferry.incidents.evidence_urls")),
]
