"""Staff URLs of cases: caseloads, the board, a case's page and its actions."""

from django.urls import include, path

from ferry.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.my_cases, name="mine"),
    path("board/", views.board, name="board"),
    path("checkins/", include("ferry.cases.checkins.urls")),
    path("referrals/", include("ferry.cases.referrals.urls")),
    path("settings/", include("ferry.cases.settings.urls")),
    path("duress/<int:staff_id>/acknowledge/", views.duress_acknowledge, name="duress_ack"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/stage/", views.stage, name="stage"),
    path("<str:reference>/risk/", views.risk, name="risk"),
    path("<str:reference>/note/", views.note, name="note"),
    path("<str:reference>/assign/", views.assign, name="assign"),
    path("<str:reference>/unassign/", views.unassign, name="unassign"),
    path("<str:reference>/need/", views.need, name="need"),
    path("<str:reference>/task/", views.task_add, name="task_add"),
    path("<str:reference>/task/<uuid:task_id>/done/", views.task_done, name="task_done"),
    path("<str:reference>/message/", views.message, name="message"),
]
