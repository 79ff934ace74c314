"""The hotline's triage pages, under the staff path."""

from django.urls import path

from ferry.intake import staff_views as views

app_name = "triage"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("dismiss/", views.dismiss, name="dismiss"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/reply/", views.reply, name="reply"),
    path("<str:reference>/duplicate/", views.duplicate, name="duplicate"),
    path("<str:reference>/flag/", views.flag, name="flag"),
    path("<str:reference>/decline/", views.decline, name="decline"),
    path("<str:reference>/reopen/", views.reopen, name="reopen"),
    path("<str:reference>/accept/", views.accept, name="accept"),
    path("<str:reference>/share/", views.share, name="share"),
    path("<str:reference>/revoke/", views.revoke, name="revoke"),
    path("<str:reference>/files/<uuid:attachment_id>/", views.attachment, name="attachment"),
]
