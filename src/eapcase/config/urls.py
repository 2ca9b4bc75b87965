"""URL map of the whole site: each app mounts its own pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("eapcase.api.urls")),
    path("accounts/", include("eapcase.security.urls")),
    path("cases/", include("eapcase.web.case_urls")),
    path("participants/", include("eapcase.web.participant_urls")),
    path("provider/", include("eapcase.providers.urls")),
    path("escalations/", include("eapcase.compliance.urls")),
    path("email/", include("eapcase.intake.urls")),
    path("notifications/", include("eapcase.notifications.urls")),
    path("", include("eapcase.ops.urls")),
    path("reports/", include("eapcase.reports.urls")),
    path("policy/", include("eapcase.reports.policy_urls")),
    path("", include("eapcase.web.urls")),
]
