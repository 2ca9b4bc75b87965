from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "eapcase.web"
    label = "web"
