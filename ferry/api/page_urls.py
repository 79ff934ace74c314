"""Staff pages of the API (browser session): tokens and the list of endpoints."""

from django.urls import path

from ferry.api import pages

app_name = "api_pages"
urlpatterns = [
    path("", pages.endpoints, name="endpoints"),
    path("tokens/", pages.token_list, name="tokens"),
    path("tokens/new/", pages.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", pages.token_revoke, name="token_revoke"),
]
