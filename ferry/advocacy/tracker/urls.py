"""Staff URLs of advocacy's tracker: governments and bodies, what they were asked and what they did."""

from django.urls import path

from ferry.advocacy.tracker import views

app_name = "tracker"
urlpatterns = [
    path("", views.government_list, name="governments"),
    path("seed/", views.governments_seed, name="governments_seed"),
    path("overview/", views.overview, name="overview"),
    path("overview/release/", views.overview_release, name="overview_release"),
    path("<int:government_id>/", views.government_detail, name="government"),
    path("<int:government_id>/edit/", views.government_edit, name="government_edit"),
    path("<int:government_id>/ask/", views.ask_add, name="ask_add"),
    path("<int:government_id>/response/", views.response_add, name="response_add"),
    path("<int:government_id>/release/", views.scorecard_release, name="scorecard_release"),
]
