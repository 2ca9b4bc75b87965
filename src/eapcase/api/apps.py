from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "eapcase.api"
    label = "api"
