"""URLs of staff accounts."""

from django.urls import path

from ferry.accounts import admin_views, audit_views, key_views, security_views, views

app_name = "accounts"
urlpatterns = [
    path("setup/<str:token>/", views.setup, name="setup"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept"),
    path("enrol/authenticator/", views.enrol_totp, name="enrol_totp"),
    path("enrol/recovery-code/", views.enrol_recovery, name="enrol_recovery"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("login/key/options/", key_views.login_options, name="login_key_options"),
    path("login/key/", key_views.login_with_key, name="login_key"),
    path("logout/", views.logout_view, name="logout"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_ack, name="alert_ack"),
    path("recover/", security_views.recover, name="recover"),
    path("security/", security_views.security, name="security"),
    path("security/passphrase/", security_views.change_passphrase, name="change_passphrase"),
    path("security/duress/", security_views.set_duress, name="set_duress"),
    path("security/duress/remove/", security_views.clear_duress, name="clear_duress"),
    path("security/recovery-code/", security_views.renew_recovery_code, name="renew_recovery_code"),
    path("security/time-zone/", security_views.set_time_zone, name="set_time_zone"),
    path("security/sign-out-everywhere/", security_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("security/keys/options/", key_views.register_options, name="key_register_options"),
    path("security/keys/", key_views.register, name="key_register"),
    path("security/keys/<int:key_id>/remove/", key_views.remove, name="key_remove"),
    path("staff/", admin_views.staff_list, name="staff"),
    path("staff/<int:staff_id>/deactivate/", admin_views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:staff_id>/confirm/", admin_views.staff_confirm, name="staff_confirm"),
    path("invitations/<int:invitation_id>/resend/", admin_views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:invitation_id>/revoke/", admin_views.invitation_revoke, name="invitation_revoke"),
    path("escrow/", admin_views.escrow_page, name="escrow"),
    path("audit/", audit_views.audit_page, name="audit"),
    path("audit/head.txt", audit_views.audit_export, name="audit_export"),
    path("escrow/recover/", admin_views.escrow_recover, name="escrow_recover"),
]
