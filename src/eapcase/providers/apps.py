from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "eapcase.providers"
    label = "providers"
