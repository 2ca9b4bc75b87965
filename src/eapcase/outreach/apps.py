from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "eapcase.outreach"
    label = "outreach"
