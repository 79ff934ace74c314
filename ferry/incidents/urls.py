"""Staff URLs of the documentation: incidents, the register of perpetrators and places, sources,
vocabularies, evidence and imports."""

from django.urls import path  # noqa: F401 - the routes follow

app_name = "incidents"
urlpatterns: list = []
