from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "eapcase.ops"
    verbose_name = "Operations"
