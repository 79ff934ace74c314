"""Staff API URLs, under <staff path>/api/v1/ (so the staff path setting still hides them)."""

from django.urls import path

from ferry.api import schema
from ferry.api.views import case_care, cases, documentation, evidence, releases, requests

app_name = "api"
urlpatterns = [
    path("schema/", schema.Schema.as_view(), name="schema"),
    path("cases/", cases.MyCases.as_view(), name="cases"),
    path("cases/<str:reference>/", cases.CaseDetail.as_view(), name="case"),
    path("cases/<str:reference>/stage/", cases.CaseStage.as_view(), name="case_stage"),
    path("cases/<str:reference>/notes/", cases.CaseNote.as_view(), name="case_note"),
    path("cases/<str:reference>/checkins/", cases.CaseCheckIn.as_view(), name="case_checkin"),
    path("cases/<str:reference>/tasks/", cases.CaseTasks.as_view(), name="case_tasks"),
    path("cases/<str:reference>/risk/", case_care.CaseRisk.as_view(), name="case_risk"),
    path("cases/<str:reference>/needs/", case_care.CaseNeeds.as_view(), name="case_needs"),
    path("cases/<str:reference>/checkin-plan/", case_care.CaseCheckInPlan.as_view(), name="case_checkin_plan"),
    path("cases/<str:reference>/referrals/", case_care.CaseReferrals.as_view(), name="case_referrals"),
    path("requests/", requests.RequestQueue.as_view(), name="requests"),
    path("requests/<str:reference>/", requests.RequestDetail.as_view(), name="request"),
    path("requests/<str:reference>/replies/", requests.RequestReply.as_view(), name="request_reply"),
    path("requests/<str:reference>/accept/", requests.RequestAccept.as_view(), name="request_accept"),
    path("incidents/", documentation.IncidentList.as_view(), name="incidents"),
    path("incidents/<str:reference>/", documentation.IncidentDetail.as_view(), name="incident"),
    path("incidents/<str:reference>/evidence/", evidence.IncidentEvidence.as_view(), name="incident_evidence"),
    path("evidence/<str:reference>/", evidence.EvidenceDetail.as_view(), name="evidence"),
    path("evidence/<str:reference>/content/", evidence.EvidenceDownload.as_view(), name="evidence_download"),
    path("perpetrators/", documentation.PerpetratorList.as_view(), name="perpetrators"),
    path("perpetrators/<str:perpetrator_id>/", documentation.PerpetratorDetail.as_view(), name="perpetrator"),
    path("places/", documentation.PlaceList.as_view(), name="places"),
    path("places/<str:place_id>/", documentation.PlaceDetail.as_view(), name="place"),
    path("vocabularies/<str:name>/", documentation.VocabularyDetail.as_view(), name="vocabulary"),
    path("releases/<str:reference>/publish/", releases.ReleasePublish.as_view(), name="release_publish"),
]
