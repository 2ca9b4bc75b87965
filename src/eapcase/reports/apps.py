from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "eapcase.reports"
    label = "reports"
    verbose_name = "Reports"
