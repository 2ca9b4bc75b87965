from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "eapcase.audit"
    label = "audit"
