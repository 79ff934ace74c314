"""Top-level URL map: the public allow-list (health, setup, login) and the staff area under its path."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from ferry.core import views as core_views

staff = settings.FERRY_STAFF_PATH

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(f"{staff}/", include("ferry.core.urls")),
    path(f"{staff}/accounts/", include("ferry.accounts.urls")),
    path("", RedirectView.as_view(pattern_name="core:dashboard", permanent=False)),
]
