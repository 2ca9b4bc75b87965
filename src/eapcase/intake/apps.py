from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "eapcase.intake"
    label = "intake"
