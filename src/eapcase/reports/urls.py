"""URLs of the reports (mounted at /reports/ in config/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from eapcase.reports import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/csv/", views.compliance_csv, name="compliance-csv"),
    path("compliance/cases/", views.compliance_cases, name="compliance-cases"),
    path("email-order/", views.email_order, name="email-order"),
    path("clients/", views.clients, name="clients"),
    path("clients/<int:pk>/", views.client_report, name="client"),
    path("frequent-users/", views.frequent_users, name="frequent-users"),
]
