"""URLs of check-ins (under the cases' namespace): the missed list and a case's check-in actions."""

from django.urls import path

from ferry.cases.checkins import views as checkin_views

urlpatterns = [
    path("", checkin_views.missed, name="checkins_missed"),
    path("<str:reference>/plan/", checkin_views.plan, name="checkin_plan"),
    path("<str:reference>/record/", checkin_views.record, name="checkin_record"),
    path("<str:reference>/acknowledge/<str:family>/", checkin_views.acknowledge, name="checkin_ack"),
]
