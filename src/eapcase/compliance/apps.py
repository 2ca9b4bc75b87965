from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "eapcase.compliance"
    label = "compliance"
