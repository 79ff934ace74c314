"""Public API URLs, under /api/v1/public/: published releases only."""

from django.urls import path

from ferry.api.views import public

app_name = "api_public"
urlpatterns = [
    path("releases/", public.PublishedList.as_view(), name="releases"),
    path("releases/<str:reference>/", public.PublishedDetail.as_view(), name="release"),
    path("releases/<str:reference>/content/", public.PublishedContent.as_view(), name="release_content"),
]
