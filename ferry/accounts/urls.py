"""URLs of staff accounts."""

from django.urls import path

from ferry.accounts import views

app_name = "accounts"
urlpatterns = [
    path("setup/<str:token>/", views.setup, name="setup"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept"),
    path("enrol/authenticator/", views.enrol_totp, name="enrol_totp"),
    path("enrol/recovery-code/", views.enrol_recovery, name="enrol_recovery"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
]
