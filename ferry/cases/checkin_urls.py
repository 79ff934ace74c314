"""URLs of cases: checkin."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
