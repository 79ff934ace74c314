"""Staff URLs of advocacy's charts."""

from django.urls import URLPattern

app_name = "charts"
urlpatterns: list[URLPattern] = []
