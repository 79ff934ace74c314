"""Staff URLs of advocacy's exports."""

from django.urls import URLPattern

app_name = "exports"
urlpatterns: list[URLPattern] = []
