"""Staff URLs of advocacy's dossiers."""

from django.urls import path

from ferry.advocacy.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("", views.dossier_list, name="list"),
    path("<int:perpetrator_id>/", views.dossier_detail, name="detail"),
    path("<int:perpetrator_id>/mark/", views.claim_mark, name="mark"),
    path("<int:perpetrator_id>/unmark/", views.claim_unmark, name="unmark"),
    path("<int:perpetrator_id>/prepare/", views.dossier_prepare, name="prepare"),
]
