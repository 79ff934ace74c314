"""Staff URLs of imports (and of the team's export, beside them)."""

from django.urls import path

from ferry.incidents import import_views

urlpatterns = [
    path("", import_views.import_start, name="import_start"),
    path("export/", import_views.export, name="export"),
    path("<uuid:job_id>/", import_views.import_page, name="import_page"),
    path("<uuid:job_id>/columns/", import_views.import_mapping, name="import_mapping"),
    path("<uuid:job_id>/<str:action>/", import_views.import_decide, name="import_decide"),
]
