from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "eapcase.cases"
    label = "cases"
