"""URLs of cases: referral."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
