"""URLs of the case pages (mounted at /cases/ in config/urls.py; namespace `cases`)."""

from django.urls import path

from eapcase.web import case_views as views
from eapcase.web import caselife_views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", caselife_views.case_new, name="new"),
    path("<str:ref>/", views.case_detail, name="detail"),
    path("<str:ref>/handover/", views.case_handover, name="handover"),
    path("<str:ref>/attempt/", views.AttemptView.as_view(), name="attempt"),
    path("<str:ref>/detailed-email/", views.DetailedEmailView.as_view(), name="detailed-email"),
    path("<str:ref>/callback/", views.CallbackView.as_view(), name="callback"),
    path("<str:ref>/outreach/", views.OutreachRequestView.as_view(), name="outreach"),
    path(
        "<str:ref>/outreach/<int:pk>/close/",
        views.OutreachCloseView.as_view(),
        name="outreach-close",
    ),
    path("<str:ref>/session/", views.SessionView.as_view(), name="session"),
    path("<str:ref>/review/", views.ReviewView.as_view(), name="review"),
    path("<str:ref>/note/", views.NoteView.as_view(), name="note"),
    path("<str:ref>/query/", views.QueryView.as_view(), name="query"),
    path(
        "<str:ref>/query/<int:pk>/resolve/", views.QueryResolveView.as_view(), name="query-resolve"
    ),
    path("<str:ref>/dissatisfaction/", views.DissatisfactionView.as_view(), name="dissatisfaction"),
    path("<str:ref>/escalate/", views.EscalationView.as_view(), name="escalate"),
    path(
        "<str:ref>/email/<int:pk>/acknowledge/",
        views.EmailAcknowledgeView.as_view(),
        name="email-acknowledge",
    ),
    path("<str:ref>/email/<int:pk>/action/", views.EmailActionView.as_view(), name="email-action"),
    path(
        "<str:ref>/email/<int:pk>/urgency/", views.EmailUrgencyView.as_view(), name="email-urgency"
    ),
    path(
        "<str:ref>/provider-contact/<int:pk>/answer/",
        views.ProviderResponseView.as_view(),
        name="provider-answer",
    ),
    path(
        "<str:ref>/case-notes/<int:pk>/review/",
        views.NotesReviewView.as_view(),
        name="notes-review",
    ),
    path("<str:ref>/close/", views.CloseView.as_view(), name="close"),
    path("<str:ref>/reopen/", views.ReopenView.as_view(), name="reopen"),
    path("<str:ref>/risk/", caselife_views.RiskView.as_view(), name="risk"),
    path("<str:ref>/participant/", caselife_views.ContactDetailsView.as_view(), name="participant"),
]
