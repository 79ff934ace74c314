"""Staff URLs of advocacy: the statistics builder, releases (the one door out), the government response
tracker, perpetrator dossiers, charts and maps, and exports."""

from django.urls import include, path

from ferry.advocacy import views

app_name = "advocacy"
urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path("pathway/", views.pathway_page, name="pathway"),
    path("report/", views.report_page, name="report"),
    path("releases/", views.release_list, name="releases"),
    path("releases/<str:reference>/", views.release_detail, name="release"),
    path("releases/<str:reference>/approve/", views.release_approve, name="release_approve"),
    path("releases/<str:reference>/withdraw/", views.release_withdraw, name="release_withdraw"),
    path("releases/<str:reference>/download/", views.release_download, name="release_download"),
    path("tracker/", include("ferry.advocacy.tracker.urls")),
    path("dossiers/", include("ferry.advocacy.dossiers.urls")),
    path("exports/", include("ferry.advocacy.exports.urls")),
    path("charts/", include("ferry.advocacy.charts.urls")),
]
