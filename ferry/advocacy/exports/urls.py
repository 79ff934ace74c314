"""Staff URLs of advocacy's exports."""

from django.urls import path

from ferry.advocacy.exports import views

app_name = "exports"
urlpatterns = [
    path("", views.export_page, name="export"),
]
