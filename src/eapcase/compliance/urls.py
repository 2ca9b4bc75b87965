"""URLs of the compliance app (mounted at /escalations/ in config/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from eapcase.compliance import views

app_name = "compliance"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.escalations, name="escalations"),
    path("<int:pk>/acknowledge/", views.escalation_acknowledge, name="acknowledge"),
    path("overdue/<slug:partner>/", views.overdue_partner, name="overdue_partner"),
]
