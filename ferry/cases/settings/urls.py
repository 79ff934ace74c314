"""URLs of the administrators' case settings: the pipeline (stages, closing reasons) and retention."""

from django.urls import path, register_converter

from ferry.cases.settings import views as admin_views


class _KindConverter:
    """stages/ or reasons/ in the address; "stage" or "reason" to the view."""

    regex = "stages|reasons"

    def to_python(self, value: str) -> str:
        return value.removesuffix("s")

    def to_url(self, value: str) -> str:
        return f"{value}s"


register_converter(_KindConverter, "pipeline_kind")

urlpatterns = [
    path("", admin_views.pipeline, name="settings"),
    path("<pipeline_kind:kind>/add/", admin_views.item_add, name="settings_add"),
    path("<pipeline_kind:kind>/<int:pk>/", admin_views.item_edit, name="settings_edit"),
    path("<pipeline_kind:kind>/<int:pk>/move/", admin_views.item_move, name="settings_move"),
    path("<pipeline_kind:kind>/<int:pk>/active/", admin_views.item_active, name="settings_active"),
    path("retention/", admin_views.retention_settings, name="settings_retention"),
    path("retention/<str:reference>/shred/", admin_views.shred_case, name="settings_shred"),
]
