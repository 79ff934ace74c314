"""Staff URLs of advocacy's tracker."""

from django.urls import URLPattern

app_name = "tracker"
urlpatterns: list[URLPattern] = []
