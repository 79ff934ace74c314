"""URLs of cases: admin."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
