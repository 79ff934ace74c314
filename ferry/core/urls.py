"""URLs of the staff area's shell."""

from django.urls import path

from ferry.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
