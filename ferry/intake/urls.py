"""Public intake URLs: neutral words only, since they end up in a browser's history."""

from django.urls import path

from ferry.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.front, name="front"),
    path("send", views.send, name="send"),
    path("open", views.mailbox_open, name="open"),
    path("box", views.mailbox_view, name="box"),
    path("box/send", views.mailbox_send, name="box_send"),
    path("box/safe", views.mailbox_checkin, name="box_checkin"),
    path("box/close", views.mailbox_close, name="box_close"),
]
