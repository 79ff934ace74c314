"""URLs of cases: referrals and the partner list (under staff/cases/referrals/)."""

from django.urls import URLPattern, path

from ferry.cases.referrals import views

app_name = "referrals"
urlpatterns: list[URLPattern] = [
    path("partners/", views.partners, name="partners"),
    path("partners/<int:partner_id>/", views.partner_update, name="partner_update"),
    path("partners/<int:partner_id>/active/", views.partner_active, name="partner_active"),
    path("case/<str:reference>/", views.create, name="create"),
    path("<uuid:referral_id>/status/", views.status, name="status"),
    path("<uuid:referral_id>/packet/", views.packet, name="packet"),
    path("<uuid:referral_id>/packet.pdf", views.packet_pdf, name="packet_pdf"),
]
