"""URLs of the api app, mounted at /api/v1/ in config/urls.py."""

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from eapcase.api import docs, views
from eapcase.api.fhir import CaseFhir

app_name = "api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
    path("cases/", views.CaseList.as_view(), name="case-list"),
    path("cases/<str:reference>/", views.CaseDetail.as_view(), name="case-detail"),
    path("cases/<str:reference>/events/", views.CaseEvents.as_view(), name="case-events"),
    path("cases/<str:reference>/sessions/", views.CaseSessions.as_view(), name="case-sessions"),
    path("cases/<str:reference>/fhir/", CaseFhir.as_view(), name="case-fhir"),
    path("participants/", views.ParticipantList.as_view(), name="participant-list"),
    path("participants/<int:pk>/", views.ParticipantDetail.as_view(), name="participant-detail"),
    path("obligations/", views.ObligationList.as_view(), name="obligation-list"),
    path("escalations/", views.EscalationList.as_view(), name="escalation-list"),
    path("escalations/<int:pk>/", views.EscalationDetail.as_view(), name="escalation-detail"),
    path(
        "escalations/<int:pk>/acknowledge/",
        views.EscalationAcknowledge.as_view(),
        name="escalation-acknowledge",
    ),
    re_path(r"^.*$", docs.not_found, name="not-found"),
]
