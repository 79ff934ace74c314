"""Top-level URL map: health, the staff area under its path, and the anonymous intake (the site root by default)."""

from django.conf import settings
from django.urls import include, path

from ferry.core import views as core_views

staff = settings.FERRY_STAFF_PATH

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(f"{staff}/", include("ferry.core.urls")),
    path(f"{staff}/accounts/", include("ferry.accounts.urls")),
    path(f"{staff}/intake/", include("ferry.intake.staff_urls")),
    path(f"{staff}/cases/", include("ferry.cases.urls")),
    path(f"{staff}/documentation/", include("ferry.incidents.urls")),
    path(f"{staff}/advocacy/", include("ferry.advocacy.urls")),
    path(f"{staff}/api/v1/", include("ferry.api.urls")),
    path(f"{staff}/api/", include("ferry.api.page_urls")),
    # The public API: published releases only (ferry/api/views/public.py).
    path("api/v1/public/", include("ferry.api.public_urls")),
    # The anonymous intake: the site root unless FERRY_INTAKE_PATH moves it.
    path(f"{settings.FERRY_INTAKE_PATH}/" if settings.FERRY_INTAKE_PATH else "", include("ferry.intake.urls")),
]
